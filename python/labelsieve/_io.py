"""Reading labels and pred_probs from files for the command line.

Formats (chosen by file extension):

* ``.npy``  -- memory-mapped (``np.load(mmap_mode="r")``): a big ``pred_probs``
  is never read into memory up front; the passes stream it.
* ``.npz``  -- one array by name (``--labels-key`` / ``--pred-probs-key``), else a
  conventional name (``labels``, ``noisy_labels``, ... / ``pred_probs``, ...), else
  the archive's only array.  A ``class_names`` array, if present, names the classes.
* ``.csv``  -- comma-separated, optional header row.  Labels: one column (or the
  column named by ``--labels-key``).  pred_probs: every column is a class; a header
  row gives the class names.
* ``.parquet`` -- same column rules as CSV; needs pyarrow (``labelsieve[parquet]``).

Labels may be class names (strings).  They are mapped to indices by
:func:`encode_labels`: in the order of explicit ``class_names``, else the
pred_probs column names, else sorted order.

Every problem is raised as :class:`InputError` (a ``ValueError``) with a
one-line message naming the file.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

LABEL_KEYS = ("labels", "label", "noisy_labels", "given_labels", "y")
PROB_KEYS = ("pred_probs", "probs", "probabilities", "pred_prob")
FORMATS = (".npy", ".npz", ".csv", ".parquet")


class InputError(ValueError):
    """A file that cannot be used as labels / pred_probs (one-line message)."""


@dataclass
class Table:
    """What was read from one file: the array and, if the file named them, column names."""

    values: np.ndarray
    column_names: Optional[List[str]] = None
    class_names: Optional[List[str]] = None  # an npz 'class_names' array


def _format_of(path: str, what: str) -> str:
    if not os.path.exists(path):
        raise InputError(f"{what} file not found: {path}")
    if os.path.isdir(path):
        raise InputError(f"{what} path is a directory, not a file: {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise InputError(
            f"{what} file {path}: unsupported format {ext or '(no extension)'!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    return ext


def _pick_npz(archive, path: str, what: str, key: Optional[str], conventional: Sequence[str]) -> str:
    names = list(archive.files)
    if key is not None:
        if key not in names:
            raise InputError(f"{what} file {path} has no array {key!r} (arrays: {', '.join(names)})")
        return key
    for name in conventional:
        if name in names:
            return name
    candidates = [n for n in names if n != "class_names"]
    if len(candidates) == 1:
        return candidates[0]
    raise InputError(
        f"{what} file {path} holds several arrays ({', '.join(names)}); "
        f"choose one with --{what.replace('_', '-')}-key"
    )


def _read_npz(path: str, what: str, key: Optional[str], conventional: Sequence[str]) -> Table:
    try:
        with np.load(path, allow_pickle=False) as archive:
            name = _pick_npz(archive, path, what, key, conventional)
            values = archive[name]
            class_names = None
            if "class_names" in archive.files and name != "class_names":
                class_names = [str(n) for n in archive["class_names"]]
    except InputError:
        raise
    except Exception as exc:  # zipfile / pickle / format errors
        raise InputError(f"cannot read {what} file {path}: {exc}") from None
    return Table(values, class_names=class_names)


def _read_npy(path: str, what: str) -> Table:
    try:
        values = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if "pickle" not in str(exc):
            raise InputError(f"cannot read {what} file {path}: {exc}") from None
        raise InputError(f"{what} file {path} holds Python objects; save a numeric or string array") from None
    except Exception as exc:
        raise InputError(f"cannot read {what} file {path}: {exc}") from None
    if values.dtype.kind in "US":  # small string label arrays: read them normally
        values = np.array(values)
    return Table(values)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_csv(path: str, what: str, key: Optional[str] = None) -> Table:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [row for row in csv.reader(fh) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read {what} file {path}: {exc}") from None
    if not rows:
        raise InputError(f"{what} file {path} is empty")
    width = len(rows[0])
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise InputError(
                f"{what} file {path}: row {number} has {len(row)} columns, the first row has {width}"
            )
    # A header row: the first row is not all numbers while the second row is.  A column of
    # class names cannot show a header that way, so there the first cell is a header only
    # when it is the requested key or a conventional label column name.
    first = [c.strip() for c in rows[0]]
    header = None
    if width > 1 and first[0] == "":
        # pandas' to_csv(): a header whose first cell is empty, over an index column (dropped)
        header, rows = first[1:], [row[1:] for row in rows]
    elif not all(_is_number(c) for c in first) and len(rows) > 1 and all(_is_number(c) for c in rows[1]):
        header = first
    elif key is not None and key in first:
        header = first
    elif any(c.lower() in LABEL_KEYS + ("class", "class_name", "target") for c in first):
        header = first
    body = rows[1:] if header else rows
    columns = list(zip(*body)) if body else [() for _ in range(len(rows[0]))]
    arrays = []
    for column in columns:
        cells = [c.strip() for c in column]
        if all(_is_number(c) for c in cells):
            arrays.append(np.array([float(c) for c in cells], dtype=np.float64))
        else:
            arrays.append(np.array(cells, dtype=str))
    return Table(_stack(arrays, path, what), column_names=header)


def _read_parquet(path: str, what: str) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            'reading .parquet files needs pyarrow: pip install "labelsieve[parquet]"'
        ) from None
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise InputError(f"cannot read {what} file {path}: {exc}") from None
    arrays = []
    for column in table.columns:
        arr = column.to_numpy(zero_copy_only=False)
        if arr.dtype.kind == "O":
            arr = arr.astype(str)
        arrays.append(arr)
    return Table(_stack(arrays, path, what), column_names=[str(n) for n in table.column_names])


def _stack(arrays: List[np.ndarray], path: str, what: str) -> np.ndarray:
    if not arrays:
        raise InputError(f"{what} file {path} has no columns")
    if len(arrays) == 1:
        return arrays[0]
    if any(a.dtype.kind not in "iuf" for a in arrays):
        raise InputError(f"{what} file {path}: every column of a multi-column file must be numeric")
    dtype = np.result_type(*arrays)
    return np.column_stack(arrays).astype(dtype if dtype.kind == "f" else np.float64, copy=False)


def _select_column(table: Table, key: Optional[str], path: str, what: str) -> np.ndarray:
    values = table.values
    if values.ndim == 1:
        if key is not None and table.column_names and key not in table.column_names:
            raise InputError(f"{what} file {path} has no column {key!r}")
        return values
    names = table.column_names
    if names is not None:
        wanted = [key] if key is not None else [n for n in names if n.lower() in LABEL_KEYS][:1]
        if wanted and wanted[0] in names:
            return values[:, names.index(wanted[0])]
        if key is not None:
            raise InputError(f"{what} file {path} has no column {key!r} (columns: {', '.join(names)})")
    if values.ndim == 2 and values.shape[1] == 1:
        return values[:, 0]
    raise InputError(
        f"{what} file {path} must hold one column of labels, got shape {values.shape}"
        + ("; choose a column with --labels-key" if names else "")
    )


def read_labels(path: str, key: Optional[str] = None) -> Table:
    """Labels from a file: a 1-D array of class indices or class names."""
    what = "labels"
    ext = _format_of(path, what)
    if ext == ".npy":
        table = _read_npy(path, what)
    elif ext == ".npz":
        table = _read_npz(path, what, key, LABEL_KEYS)
    elif ext == ".csv":
        table = _read_csv(path, what, key)
    else:
        table = _read_parquet(path, what)
    column = _select_column(table, key if ext in (".csv", ".parquet") else None, path, what)
    if column.ndim != 1:
        raise InputError(f"labels file {path} must hold a 1-D array, got shape {column.shape}")
    return Table(np.asarray(column), class_names=table.class_names)


def read_pred_probs(path: str, key: Optional[str] = None) -> Table:
    """pred_probs from a file: N x K floats (a read-only memmap for .npy)."""
    what = "pred_probs"
    ext = _format_of(path, what)
    if ext == ".npy":
        table = _read_npy(path, what)
    elif ext == ".npz":
        table = _read_npz(path, what, key, PROB_KEYS)
    elif ext == ".csv":
        table = _read_csv(path, what)
    else:
        table = _read_parquet(path, what)
    values = table.values
    if values.ndim == 1 and values.dtype.kind in "iuf" and table.column_names is None and ext != ".npy":
        values = values[:, None]  # one column file: K = 1
    if values.ndim != 2:
        raise InputError(
            f"pred_probs file {path} must hold a 2-D array (num_examples x num_classes), got shape {values.shape}"
        )
    if values.dtype.kind not in "f":
        if values.dtype.kind in "iu":
            values = values.astype(np.float64)
        else:
            raise InputError(f"pred_probs file {path} must hold numbers, got dtype {values.dtype}")
    return Table(values, column_names=table.column_names, class_names=table.class_names)


def encode_labels(
    raw: np.ndarray, class_names: Optional[Sequence[str]], num_classes: int
) -> Tuple[np.ndarray, Optional[List[str]]]:
    """Class indices for ``raw`` labels.

    Integer-valued labels are returned as they are (with ``class_names`` passed
    through for display).  String labels are mapped to indices: by position in
    ``class_names`` when given (every label must appear there), else in sorted
    order.  Returns ``(indices, names)``; ``names`` is None when nothing names
    the classes.
    """
    if raw.dtype.kind in "iub":
        return raw, list(class_names) if class_names is not None else None
    if raw.dtype.kind == "f":
        if raw.size and not np.all(np.isfinite(raw)):
            raise InputError("labels contain NaN or infinite values (missing labels?)")
        if raw.size and np.any(raw != np.floor(raw)):
            raise InputError("labels must be class indices or class names; found non-integer numbers")
        return raw.astype(np.int64), list(class_names) if class_names is not None else None
    text = raw.astype(str)
    unique = np.unique(text)
    if class_names is not None:
        names = [str(n) for n in class_names]
        missing = sorted(set(unique.tolist()) - set(names))
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise InputError(f"labels {shown} are not among the class names ({', '.join(names)})")
    else:
        names = unique.tolist()
        if len(names) > num_classes:
            raise InputError(
                f"labels name {len(names)} different classes but pred_probs has only {num_classes} columns"
            )
        if len(names) < num_classes:
            raise InputError(
                f"labels name only {len(names)} of the {num_classes} classes, so the column of each class "
                "is ambiguous; give the class order with --class-names or a pred_probs header row"
            )
    lookup = {name: index for index, name in enumerate(names)}
    indices = np.fromiter((lookup[t] for t in text), dtype=np.int64, count=text.size)
    return indices, names



@dataclass
class LoadedInputs:
    """Labels as class indices, pred_probs (a memmap for .npy), the class names if anything
    named them, and whether the labels were given as names."""

    labels: np.ndarray
    pred_probs: np.ndarray
    class_names: Optional[List[str]]
    labels_were_names: bool


def parse_class_names(text: str, num_classes: int) -> List[str]:
    """``"a,b,c"`` -> names, one per pred_probs column, distinct."""
    names = [n.strip() for n in text.split(",")]
    if len(names) != num_classes:
        raise InputError(f"--class-names gives {len(names)} names but pred_probs has {num_classes} columns")
    if len(set(names)) != len(names):
        raise InputError("--class-names contains repeated names")
    return names


def load_inputs(
    labels_path: str,
    pred_probs_path: str,
    *,
    labels_key: Optional[str] = None,
    pred_probs_key: Optional[str] = None,
    class_names: Optional[str] = None,
) -> LoadedInputs:
    """Read both files and map name labels to columns.  The class names come from
    ``class_names`` ("a,b,c"), else a non-numeric pred_probs header, else a
    ``class_names`` array in either .npz file."""
    probs = read_pred_probs(pred_probs_path, pred_probs_key)
    raw = read_labels(labels_path, labels_key)
    k = probs.values.shape[1]
    header = probs.column_names
    if class_names is not None:
        names = parse_class_names(class_names, k)
    elif header is not None and not all(c.strip().lstrip("-").isdigit() for c in header):
        names = header
    else:
        names = probs.class_names or raw.class_names
    labels, names = encode_labels(raw.values, names, k)
    return LoadedInputs(labels, probs.values, names, raw.values.dtype.kind in "US")

CSV_COLUMNS = ("index", "given_label", "suggested_label", "label_quality_score")
_CSV_BLOCK = 65536


def write_issues_csv(path: str, table, class_names: Optional[Sequence[str]] = None) -> None:
    """Write an :class:`labelsieve.report.IssueTable` as CSV (``path`` "-" = stdout).

    Labels are written as class names when ``class_names`` is given (labels that
    were read as names), else as indices.  Scores are written with full
    precision (``repr``), so reading the file back gives the API's values.
    """
    import sys

    names = None if class_names is None else [_csv_text(str(n)) for n in class_names]
    stream = sys.stdout if path == "-" else open(path, "w", encoding="utf-8", newline="")
    try:
        stream.write(",".join(CSV_COLUMNS) + "\n")
        for start in range(0, len(table), _CSV_BLOCK):
            rows = slice(start, start + _CSV_BLOCK)
            # .tolist() gives Python ints/floats: much faster to format than NumPy scalars,
            # and repr() of a float32 score's exact value parses back to that float32.
            given, suggested = table.given[rows].tolist(), table.suggested[rows].tolist()
            if names is not None:
                given, suggested = [names[g] for g in given], [names[s] for s in suggested]
            stream.write("".join(
                f"{i},{g},{s},{q!r}\n"
                for i, g, s, q in zip(table.index[rows].tolist(), given, suggested, table.score[rows].tolist())
            ))
        stream.flush()
    finally:
        if stream is not sys.stdout:
            stream.close()


def _csv_text(text: str) -> str:
    if any(ch in text for ch in ',"\n\r') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text
