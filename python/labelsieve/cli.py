"""The ``labelsieve`` command line."""

from __future__ import annotations

import argparse
import os
import sys
import time
from importlib import resources
from typing import Optional, Sequence

import numpy as np

DEMO_FILE = "cifar10_sparsity00_noise20.npz"


def load_demo() -> dict:
    """The bundled CIFAR-10 set (see labelsieve/data/NOTICE.md)."""
    with resources.files("labelsieve").joinpath("data", DEMO_FILE).open("rb") as fh:
        with np.load(fh, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}


def _format_matrix(matrix: np.ndarray, names: Sequence[str]) -> str:
    width = max(6, max(len(n) for n in names[: len(matrix)]))
    header = " " * (width + 2) + " ".join(f"{n[:width]:>{width}}" for n in names)
    lines = [header]
    for name, row in zip(names, matrix):
        lines.append(f"{name[:width]:>{width}}  " + " ".join(f"{v:>{width}.3f}" for v in row))
    return "\n".join(lines)


def run_demo(backend: Optional[str], n_jobs: Optional[int]) -> int:
    from labelsieve import estimate_noise, find_issues
    from labelsieve._backend import get_backend

    data = load_demo()
    labels, pred_probs = data["noisy_labels"], data["pred_probs"]
    names = [str(n) for n in data["class_names"]]
    n, k = pred_probs.shape
    print(f"labelsieve demo: CIFAR-10, {n} examples x {k} classes ({pred_probs.dtype}), "
          f"20% of labels flipped; backend {get_backend(backend).__name__}")

    start = time.perf_counter()
    issues = find_issues(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    elapsed = time.perf_counter() - start
    truly_wrong = labels != data["true_labels"]
    found = int(issues.sum())
    hits = int((issues & truly_wrong).sum())
    precision = hits / found if found else 0.0
    recall = hits / int(truly_wrong.sum())
    print(f"flagged {found} label issues in {elapsed * 1000:.1f} ms "
          f"(actually mislabeled: {int(truly_wrong.sum())})")
    print(f"precision {precision:.3f}  recall {recall:.3f}")

    _, noise_matrix, _, _ = estimate_noise(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    print("\nestimated noise matrix P(given label = row | true label = column):")
    print(_format_matrix(noise_matrix, names))
    return 0


FIND_HELP = """\
Find the examples whose given label is likely wrong.  Writes a CSV with one row per
flagged example, worst first: row index, given label, suggested label (the model's most
likely class) and label-quality score (low = likely mislabeled).  A summary goes to stderr.

Files: .npy (memory-mapped: pred_probs larger than memory are streamed), .npz, .csv
(optional header row; a pred_probs header names the classes) and .parquet (needs pyarrow).
Labels may be class indices 0..K-1 or class names; names are mapped to pred_probs columns
by --class-names, else the pred_probs header, else sorted order (the mapping is printed).
"""

REPORT_HELP = """\
Write a self-contained HTML page reviewing a labelled dataset: the estimated noise matrix
as a heatmap, the per-class label quality, the most overlapping class pairs, the overall
label health score and the top label issues.  --png writes the heatmap alone.  The heatmap
image needs matplotlib (pip install "labelsieve[plot]"; without it the page shows a colour
table); the class tables need pandas (pip install "labelsieve[pandas]").
"""

EPILOG = """\
examples:
  labelsieve demo
  labelsieve find-issues --labels labels.csv --pred-probs pred_probs.npy --out issues.csv
  labelsieve report --labels labels.npy --pred-probs pred_probs.npy --html report.html

exit status: 0 on success, 2 for bad arguments or unusable input files (one-line
message on stderr), 1 for an unexpected internal error (LABELSIEVE_DEBUG=1 shows the
traceback), 130 when interrupted.  LABELSIEVE_PROGRESS=1/0 forces the progress line
on/off (default: shown only when stderr is a terminal)."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _add_compute_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["cpp", "numba"], default=None,
                        help="compute backend (default: $LABELSIEVE_BACKEND, else cpp if built, else numba)")
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N",
                        help="threads (default: all cores); never changes results")


def _add_input_options(parser: argparse.ArgumentParser) -> None:
    from labelsieve._validate import FILTERS, SCORE_METHODS

    files = parser.add_argument_group("input files")
    files.add_argument("--labels", required=True, metavar="FILE",
                       help="given labels (.npy, .npz, .csv, .parquet): class indices or class names")
    files.add_argument("--pred-probs", required=True, metavar="FILE",
                       help="out-of-sample predicted probabilities, N x K (.npy, .npz, .csv, .parquet)")
    files.add_argument("--labels-key", metavar="NAME",
                       help="array (.npz) or column (.csv/.parquet) holding the labels "
                            "(default: labels, noisy_labels, ... or the only one)")
    files.add_argument("--pred-probs-key", metavar="NAME",
                       help="array in a .npz holding pred_probs (default: pred_probs, or the only one)")
    files.add_argument("--class-names", metavar="A,B,...",
                       help="comma-separated class names in pred_probs column order "
                            "(maps name labels to columns; names the classes in the output)")
    method = parser.add_argument_group("method")
    method.add_argument("--filter-by", choices=FILTERS, default="prune_by_noise_rate", metavar="METHOD",
                        help="how issues are selected, as find_issues(filter_by=...): "
                             f"{', '.join(FILTERS)} (default: %(default)s)")
    method.add_argument("--rank-by", choices=SCORE_METHODS, default="self_confidence", metavar="SCORE",
                        help="label-quality score that orders the issues: "
                             f"{', '.join(SCORE_METHODS)} (default: %(default)s)")
    _add_compute_options(method)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="labelsieve",
        description="Find mislabeled examples and estimate label noise (confident learning, "
                    "cleanlab-compatible answers).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"labelsieve {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser("demo", help="find the label issues in a bundled real CIFAR-10 set",
                          description="Find the label issues in a bundled CIFAR-10 set (50000 real "
                                      "out-of-sample predictions, 20%% of labels flipped) and compare "
                                      "them with the known true labels.")
    _add_compute_options(demo)

    find = sub.add_parser("find-issues", help="write the likely mislabeled examples to a CSV",
                          description=FIND_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_input_options(find)
    out = find.add_argument_group("output")
    out.add_argument("--out", "-o", metavar="FILE", default="-",
                     help="CSV file to write (default: standard output)")
    out.add_argument("--top", type=_positive_int, default=None, metavar="N",
                     help="write only the N worst issues (default: all)")

    report = sub.add_parser("report", help="write an HTML report (noise heatmap, class quality, issues)",
                            description=REPORT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_input_options(report)
    out = report.add_argument_group("output")
    out.add_argument("--html", metavar="FILE", help="HTML page to write")
    out.add_argument("--png", metavar="FILE",
                     help="write the noise-matrix heatmap alone as a PNG (needs matplotlib)")
    out.add_argument("--top", type=_positive_int, default=50, metavar="N",
                     help="label issues listed in the page (default: %(default)s)")
    return parser


def _version() -> str:
    from labelsieve import __version__

    return __version__


def _note(message: str) -> None:
    print(f"labelsieve: {message}", file=sys.stderr)


def _check_output(path: Optional[str], option: str) -> None:
    """Fail before the work, not after it, when an output file cannot be created."""
    if path is None or path == "-":
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"{option} {path}: folder {folder} does not exist")
    if os.path.isdir(path):
        raise ValueError(f"{option} {path} is a folder, not a file")


def _load(args: argparse.Namespace, progress):
    """(labels as indices, pred_probs, class names or None, labels were names)."""
    from labelsieve import _io
    from labelsieve._progress import page_in

    progress.step("reading files")
    loaded = _io.load_inputs(args.labels, args.pred_probs, labels_key=args.labels_key,
                             pred_probs_key=args.pred_probs_key, class_names=args.class_names)
    if loaded.labels_were_names:
        mapping = " ".join(f"{i}={name}" for i, name in enumerate(loaded.class_names))
        _note(f"class names mapped to pred_probs columns: {mapping}")
    page_in(loaded.pred_probs, progress)
    return loaded.labels, loaded.pred_probs, loaded.class_names, loaded.labels_were_names


def run_find_issues(args: argparse.Namespace) -> int:
    from labelsieve._io import write_issues_csv
    from labelsieve._progress import Progress
    from labelsieve.report import rank_issues

    _check_output(args.out, "--out")
    start = time.perf_counter()
    with Progress(4) as progress:
        labels, pred_probs, names, by_name = _load(args, progress)
        table = rank_issues(labels, pred_probs, filter_by=args.filter_by, rank_by=args.rank_by,
                            n_jobs=args.n_jobs, backend=args.backend, progress=progress)
        progress.step("writing")
        if args.out == "-":
            progress.close()  # the CSV may be going to the same terminal
        shown = table if args.top is None else table.head(args.top)
        write_issues_csv(args.out, shown, names if by_name or args.class_names else None)
    n, k = pred_probs.shape
    where = "standard output" if args.out == "-" else args.out
    if len(shown) < len(table):
        where = f"the worst {len(shown):,} to {where}"
    _note(f"{n:,} examples x {k} classes: {len(table):,} label issues ({len(table) / n:.1%}) "
          f"by {args.filter_by}, ranked by {args.rank_by}; wrote {where} "
          f"in {time.perf_counter() - start:.2f} s")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from labelsieve._progress import Progress
    from labelsieve.report import build_report, heatmap_png, render_html

    if not args.html and not args.png:
        raise ValueError("nothing to write: give --html FILE and/or --png FILE")
    if args.png:
        from labelsieve.report import _matplotlib_figure

        _matplotlib_figure()  # fail before the work if matplotlib is missing
    _check_output(args.html, "--html")
    _check_output(args.png, "--png")
    with Progress(6) as progress:
        labels, pred_probs, names, _ = _load(args, progress)
        report = build_report(labels, pred_probs, class_names=names, filter_by=args.filter_by,
                              rank_by=args.rank_by, top=args.top, n_jobs=args.n_jobs,
                              backend=args.backend, progress=progress)
        progress.step("writing")
        if args.html:
            with open(args.html, "w", encoding="utf-8") as fh:
                fh.write(render_html(report))
        if args.png:
            with open(args.png, "wb") as fh:
                fh.write(heatmap_png(report.noise_matrix, report.class_names))
    written = " and ".join(p for p in (args.html, args.png) if p)
    _note(f"{report.num_examples:,} examples x {report.num_classes} classes: health score "
          f"{report.health_score:.3f}, {report.num_issues:,} label issues; wrote {written}")
    return 0


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    _note(f"warning: {message}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``labelsieve`` command; returns the exit status."""
    import warnings

    args = build_parser().parse_args(argv)
    commands = {"demo": lambda: run_demo(args.backend, args.n_jobs),
                "find-issues": lambda: run_find_issues(args),
                "report": lambda: run_report(args)}
    try:
        with warnings.catch_warnings():  # warnings as one "labelsieve: warning:" line each
            warnings.showwarning = _show_warning
            return commands[args.command]()
    except KeyboardInterrupt:
        _note("interrupted")
        return 130
    except BrokenPipeError:  # e.g. piped into head: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, TypeError, ImportError, OSError) as exc:
        _note(f"error: {_one_line(exc)}")
        return 2
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("LABELSIEVE_DEBUG"):
            raise
        _note(f"error: unexpected {type(exc).__name__}: {_one_line(exc)} "
              "(run with LABELSIEVE_DEBUG=1 for the traceback and please report it)")
        return 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
