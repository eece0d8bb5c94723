"""The ``labelsieve find-issues`` command, driven as a subprocess: every input format,
class-name labels, options, help, and one-line errors with a non-zero exit."""

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

import labelsieve
from datasets import noisy_dataset

N, K = 400, 4
NAMES = ["cat", "dog", "bird", "fish"]  # pred_probs column order (not sorted)


def run_cli(*args, env=None, check=True):
    full_env = dict(os.environ, **(env or {}))
    # The tests import labelsieve from wherever pytest found it; the subprocess must too.
    package_root = os.path.dirname(os.path.dirname(labelsieve.__file__))
    full_env["PYTHONPATH"] = package_root + os.pathsep + full_env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "labelsieve.cli", *map(str, args)],
        capture_output=True, env=full_env, timeout=300,
    )
    # decoded by hand: text=True would turn the progress line's carriage returns into newlines
    proc.stdout, proc.stderr = proc.stdout.decode(), proc.stderr.decode()
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def data():
    labels, pred_probs = noisy_dataset(7, N, K, np.float32, noise=0.25)
    return labels, pred_probs


def expected_rows(labels, pred_probs, filter_by="prune_by_noise_rate", rank_by="self_confidence"):
    order = labelsieve.find_issues(labels, pred_probs, filter_by=filter_by, return_indices_ranked_by=rank_by)
    scores = labelsieve.label_quality_scores(labels, pred_probs, method=rank_by)
    return order, labels[order], pred_probs[order].argmax(axis=1), scores[order]


def read_csv(path_or_text, from_text=False):
    lines = path_or_text.splitlines() if from_text else open(path_or_text, newline="").read().splitlines()
    rows = list(csv.reader(lines))
    assert rows[0] == ["index", "given_label", "suggested_label", "label_quality_score"]
    return rows[1:]


def assert_csv_equals_api(rows, labels, pred_probs, names=None, **options):
    order, given, suggested, scores = expected_rows(labels, pred_probs, **options)
    assert len(order) > 10
    assert [int(r[0]) for r in rows] == order.tolist()
    decode = (lambda v: names.index(v)) if names else int
    assert [decode(r[1]) for r in rows] == given.tolist()
    assert [decode(r[2]) for r in rows] == suggested.tolist()
    # full precision: the parsed score is the API's score, bit for bit
    np.testing.assert_array_equal(np.array([float(r[3]) for r in rows], dtype=scores.dtype), scores)


def write_csv(path, rows, header=None):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        if header:
            writer.writerow(header)
        writer.writerows(rows)


# ------------------------------------------------------------------ formats


@pytest.mark.parametrize("fmt", ["npy", "npz", "csv", "csv_header", "parquet"])
def test_every_format_gives_the_api_answer(tmp_path, data, fmt):
    labels, pred_probs = data
    if fmt == "npy":
        np.save(tmp_path / "l.npy", labels)
        np.save(tmp_path / "p.npy", pred_probs)
        files = ["--labels", tmp_path / "l.npy", "--pred-probs", tmp_path / "p.npy"]
    elif fmt == "npz":  # one archive for both, found by their conventional names
        np.savez(tmp_path / "d.npz", noisy_labels=labels, pred_probs=pred_probs, true_labels=labels)
        files = ["--labels", tmp_path / "d.npz", "--pred-probs", tmp_path / "d.npz"]
    elif fmt.startswith("csv"):
        header = fmt == "csv_header"
        write_csv(tmp_path / "l.csv", [[v] for v in labels], ["label"] if header else None)
        write_csv(tmp_path / "p.csv", [[repr(float(v)) for v in row] for row in pred_probs],
                  [f"p{j}" for j in range(K)] if header else None)
        files = ["--labels", tmp_path / "l.csv", "--pred-probs", tmp_path / "p.csv"]
    else:
        pa = pytest.importorskip("pyarrow")
        pq = pytest.importorskip("pyarrow.parquet")
        pq.write_table(pa.table({"label": labels, "x": np.zeros(N)}), tmp_path / "l.parquet")
        pq.write_table(pa.table({str(j): pred_probs[:, j] for j in range(K)}), tmp_path / "p.parquet")
        files = ["--labels", tmp_path / "l.parquet", "--pred-probs", tmp_path / "p.parquet"]
    proc = run_cli("find-issues", *files, "--out", tmp_path / "issues.csv")
    # CSV float text is parsed as float64: compare against the API on the same values
    probs = pred_probs.astype(np.float64) if fmt.startswith("csv") else pred_probs
    assert_csv_equals_api(read_csv(tmp_path / "issues.csv"), labels, probs)
    summary = proc.stderr.strip().splitlines()
    assert len(summary) == 1 and f"{N:,} examples x {K} classes" in summary[0]
    assert "label issues" in summary[0] and "Traceback" not in proc.stderr


def test_csv_goes_to_stdout_by_default_with_options(tmp_path, data):
    labels, pred_probs = data
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", pred_probs)
    proc = run_cli("find-issues", "--labels", tmp_path / "l.npy", "--pred-probs", tmp_path / "p.npy",
                   "--filter-by", "both", "--rank-by", "normalized_margin", "--n-jobs", "2")
    assert_csv_equals_api(read_csv(proc.stdout, from_text=True), labels, pred_probs,
                          filter_by="both", rank_by="normalized_margin")
    assert "by both, ranked by normalized_margin" in proc.stderr


# ------------------------------------------------------------------ class names


def test_name_labels_follow_the_pred_probs_header(tmp_path, data):
    labels, pred_probs = data
    write_csv(tmp_path / "l.csv", [[NAMES[v]] for v in labels], ["species"])
    write_csv(tmp_path / "p.csv", [[repr(float(v)) for v in row] for row in pred_probs], NAMES)
    proc = run_cli("find-issues", "--labels", tmp_path / "l.csv", "--labels-key", "species",
                   "--pred-probs", tmp_path / "p.csv", "--out", tmp_path / "o.csv")
    assert "0=cat 1=dog 2=bird 3=fish" in proc.stderr  # the mapping is printed
    assert_csv_equals_api(read_csv(tmp_path / "o.csv"), labels, pred_probs.astype(np.float64), names=NAMES)


def test_name_labels_with_class_names_option_and_sorted_default(tmp_path, data):
    labels, pred_probs = data
    np.save(tmp_path / "l.npy", np.array(NAMES)[labels])
    np.save(tmp_path / "p.npy", pred_probs)
    files = ["--labels", tmp_path / "l.npy", "--pred-probs", tmp_path / "p.npy"]
    proc = run_cli("find-issues", *files, "--class-names", ",".join(NAMES))
    assert_csv_equals_api(read_csv(proc.stdout, from_text=True), labels, pred_probs, names=NAMES)
    # Without names for the columns, sorted order: bird=0 cat=1 dog=2 fish=3.
    proc = run_cli("find-issues", *files)
    assert "0=bird 1=cat 2=dog 3=fish" in proc.stderr
    remapped = np.array([sorted(NAMES).index(NAMES[v]) for v in labels])
    assert_csv_equals_api(read_csv(proc.stdout, from_text=True), remapped, pred_probs, names=sorted(NAMES))


# ------------------------------------------------------------------ progress


def test_progress_line_when_forced_and_results_unchanged(tmp_path, data):
    """Not a terminal: no progress line (the format tests check stderr is the one summary
    line).  Forced on: drawn with carriage returns, and the CSV is unchanged."""
    labels, pred_probs = data
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", pred_probs)
    shown = run_cli("find-issues", "--labels", tmp_path / "l.npy", "--pred-probs", tmp_path / "p.npy",
                    env={"LABELSIEVE_PROGRESS": "1"})
    assert "\r[" in shown.stderr and "finding issues" in shown.stderr and "4/4 writing" in shown.stderr
    assert_csv_equals_api(read_csv(shown.stdout, from_text=True), labels, pred_probs)


# ------------------------------------------------------------------ help


def test_help_lists_commands_and_options():
    top = run_cli("--help").stdout
    for word in ("demo", "find-issues", "report", "exit status"):
        assert word in top
    find = run_cli("find-issues", "--help").stdout
    for option in ("--labels", "--pred-probs", "--filter-by", "--rank-by", "--out", "--class-names",
                   "--labels-key", "--pred-probs-key", "--backend", "--n-jobs", ".parquet", "prune_by_noise_rate"):
        assert option in find
    report = run_cli("report", "--help").stdout
    for option in ("--html", "--png", "--top", "--labels", "--pred-probs", "matplotlib"):
        assert option in report
    assert "--backend" in run_cli("demo", "--help").stdout
    assert run_cli("--version").stdout.strip() == f"labelsieve {labelsieve.__version__}"


# ------------------------------------------------------------------ errors


def error_cases(tmp_path, labels, pred_probs):
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", pred_probs)
    np.save(tmp_path / "short.npy", labels[:-3])
    np.save(tmp_path / "p1d.npy", pred_probs[:, 0])
    np.save(tmp_path / "big.npy", labels + K)
    np.save(tmp_path / "names.npy", np.array(NAMES)[labels])
    np.savez(tmp_path / "many.npz", a=labels, b=labels)
    (tmp_path / "p.txt").write_text("0.5,0.5\n")
    (tmp_path / "ragged.csv").write_text("0.5,0.5\n0.5\n")
    (tmp_path / "bad.npz").write_bytes(b"not a zip file")
    probs_over = pred_probs.copy()
    probs_over[0, 0] = 1.5
    np.save(tmp_path / "over.npy", probs_over)
    ok = str(tmp_path / "l.npy"), str(tmp_path / "p.npy")
    return [
        (["--labels", tmp_path / "missing.npy", "--pred-probs", ok[1]], "labels file not found"),
        (["--labels", ok[0], "--pred-probs", tmp_path / "nope.csv"], "pred_probs file not found"),
        (["--labels", ok[0], "--pred-probs", tmp_path / "p1d.npy"], "must hold a 2-D array"),
        (["--labels", tmp_path / "short.npy", "--pred-probs", ok[1]], "same length"),
        (["--labels", tmp_path / "big.npy", "--pred-probs", ok[1]], "labels contain class"),
        (["--labels", ok[0], "--pred-probs", tmp_path / "p.txt"], "unsupported format"),
        (["--labels", ok[0], "--pred-probs", tmp_path / "ragged.csv"], "row 2 has 1 columns"),
        (["--labels", tmp_path / "bad.npz", "--pred-probs", ok[1]], "cannot read labels file"),
        (["--labels", tmp_path / "many.npz", "--pred-probs", ok[1]], "--labels-key"),
        (["--labels", tmp_path / "names.npy", "--pred-probs", ok[1], "--class-names", "cat,dog,bird"],
         "--class-names gives 3 names"),
        (["--labels", tmp_path / "names.npy", "--pred-probs", ok[1], "--class-names", "cat,dog,bird,eel"],
         "'fish' are not among the class names"),
        (["--labels", ok[0], "--pred-probs", tmp_path / "over.npy"], "between 0 and 1"),
        (["--labels", ok[0], "--pred-probs", ok[1], "--n-jobs", "0"], "n_jobs"),
        (["--labels", ok[0], "--pred-probs", ok[1], "--out", tmp_path / "no_dir" / "o.csv"], "does not exist"),
    ]


def check_one_line_error(returncode, stdout, stderr, message):
    lines = stderr.strip().splitlines()
    assert returncode == 2, stderr
    assert len(lines) == 1 and lines[0].startswith("labelsieve: error:"), stderr
    assert message in lines[0], (message, lines[0])
    assert stdout == "" and "Traceback" not in stderr


def test_errors_are_one_line_and_exit_2(tmp_path, data):
    """The commonest mistakes as a subprocess (missing file, wrong shape, length mismatch,
    unknown format); the rest in process through main(), which is the same code path."""
    labels, pred_probs = data
    cases = error_cases(tmp_path, labels, pred_probs)
    for argv, message in (cases[0], cases[2], cases[3], cases[5]):
        proc = run_cli("find-issues", *argv, check=False)
        check_one_line_error(proc.returncode, proc.stdout, proc.stderr, message)


def test_every_input_error_is_one_line(tmp_path, data, capsys):
    from labelsieve.cli import main

    labels, pred_probs = data
    for argv, message in error_cases(tmp_path, labels, pred_probs):
        returncode = main(["find-issues", *map(str, argv)])
        out, err = capsys.readouterr()
        check_one_line_error(returncode, out, err, message)


def test_usage_errors_exit_2_without_traceback(tmp_path):
    for argv in (["find-issues"], ["find-issues", "--labels", "x.npy", "--pred-probs", "y.npy", "--rank-by", "bad"],
                 ["nonsense"], []):
        proc = run_cli(*argv, check=False)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr
        assert "error:" in proc.stderr.strip().splitlines()[-1]


# ------------------------------------------------------------------ file reading (in process)


def test_npy_pred_probs_stay_memory_mapped(tmp_path, data):
    from labelsieve import _io

    labels, pred_probs = data
    np.save(tmp_path / "p.npy", pred_probs)
    table = _io.read_pred_probs(str(tmp_path / "p.npy"))
    assert isinstance(table.values, np.memmap) and not table.values.flags.writeable
    np.testing.assert_array_equal(table.values, pred_probs)


def test_encode_labels_rules():
    from labelsieve._io import InputError, encode_labels

    idx, names = encode_labels(np.array(["b", "a", "b"]), None, 2)
    assert idx.tolist() == [1, 0, 1] and names == ["a", "b"]
    idx, names = encode_labels(np.array(["b", "a"]), ["b", "a", "c"], 3)
    assert idx.tolist() == [0, 1] and names == ["b", "a", "c"]
    idx, _ = encode_labels(np.array([2.0, 0.0]), None, 3)
    assert idx.dtype.kind == "i" and idx.tolist() == [2, 0]
    with pytest.raises(InputError, match="ambiguous"):
        encode_labels(np.array(["a", "b"]), None, 3)
    with pytest.raises(InputError, match="non-integer"):
        encode_labels(np.array([0.5]), None, 2)
    with pytest.raises(InputError, match="NaN"):
        encode_labels(np.array([np.nan]), None, 2)


def test_progress_bar_draws_only_on_a_terminal(tmp_path, data, monkeypatch):
    import io

    from labelsieve import _io, _progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("LABELSIEVE_PROGRESS", raising=False)
    monkeypatch.setattr(_progress, "BLOCK_BYTES", 1024)  # many row blocks
    monkeypatch.setattr(_progress, "TICK_SECONDS", 60.0)  # no timed redraws: count exactly
    _, pred_probs = data
    np.save(tmp_path / "p.npy", pred_probs)
    memmap = _io.read_pred_probs(str(tmp_path / "p.npy")).values
    tty = Terminal()
    with _progress.Progress(2, stream=tty) as bar:
        bar.step("reading")
        _progress.page_in(memmap, bar)
        bar.step("done")
    text = tty.getvalue()
    blocks = -(-N // (1024 // (K * 4)))
    assert text.count("\r[") == 1 + blocks + 1 and "1/2 reading" in text and "2/2 done" in text
    assert text.endswith("\r")  # the line is cleared at the end
    assert "[" + "#" * 12 + "-" * 12 + "] 1/2" in text  # half way after reading
    piped = io.StringIO()
    with _progress.Progress(2, stream=piped) as bar:
        bar.step("reading")
        _progress.page_in(memmap, bar)
    assert piped.getvalue() == ""
    monkeypatch.setenv("LABELSIEVE_PROGRESS", "0")
    assert not _progress.progress_enabled(tty)


def test_progress_redraws_elapsed_time_during_a_long_step(monkeypatch):
    import io
    import time

    from labelsieve import _progress

    monkeypatch.setattr(_progress, "TICK_SECONDS", 0.02)
    stream = io.StringIO()
    bar = _progress.Progress(1, stream=stream, enabled=True)
    bar.step("waiting")
    time.sleep(0.3)
    bar.close()
    assert stream.getvalue().count("\r[") >= 4  # the first draw plus timed redraws
    drawn = len(stream.getvalue())
    bar.step("after close")
    time.sleep(0.05)
    assert len(stream.getvalue()) == drawn  # nothing once closed


def test_bundled_cifar_npz_for_both_inputs_with_top(tmp_path):
    """The real bundled set: labels (noisy_labels) and pred_probs from one .npz; --top
    keeps the worst rows of the same ranking; the demo's 14,319 issues."""
    from labelsieve.cli import DEMO_FILE, load_demo

    path = os.path.join(os.path.dirname(labelsieve.__file__), "data", DEMO_FILE)
    proc = run_cli("find-issues", "--labels", path, "--pred-probs", path, "--top", 25)
    assert "14,319 label issues" in proc.stderr and "the worst 25" in proc.stderr
    data = load_demo()
    order, given, suggested, scores = expected_rows(data["noisy_labels"], data["pred_probs"])
    rows = read_csv(proc.stdout, from_text=True)
    assert [int(r[0]) for r in rows] == order[:25].tolist()
    assert [int(r[2]) for r in rows] == suggested[:25].tolist()
    np.testing.assert_array_equal(np.array([float(r[3]) for r in rows], dtype=scores.dtype), scores[:25])


def test_warnings_are_one_line(tmp_path, data, capsys):
    from labelsieve.cli import main

    labels, pred_probs = data
    labels = np.where(labels == 3, 0, labels)
    labels[5] = 3  # class 3 has a single example: "may not flag all label issues"
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", pred_probs)
    assert main(["find-issues", "--labels", str(tmp_path / "l.npy"), "--pred-probs", str(tmp_path / "p.npy"),
                 "--out", str(tmp_path / "o.csv")]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[0].startswith("labelsieve: warning: May not flag all label issues")
    assert err[1].startswith("labelsieve: 400 examples")


def test_pandas_written_csv_files(tmp_path, data):
    """pandas' to_csv() writes an index column under an empty header cell: it is dropped,
    and the header names the columns (here the classes, so name labels map by it)."""
    pd = pytest.importorskip("pandas")
    labels, pred_probs = data
    pd.Series(np.array(NAMES)[labels], name="animal").to_csv(tmp_path / "l.csv")
    pd.DataFrame(pred_probs.astype(np.float64), columns=NAMES).to_csv(tmp_path / "p.csv")
    proc = run_cli("find-issues", "--labels", tmp_path / "l.csv", "--pred-probs", tmp_path / "p.csv")
    assert "0=cat 1=dog 2=bird 3=fish" in proc.stderr
    assert_csv_equals_api(read_csv(proc.stdout, from_text=True), labels, pred_probs.astype(np.float64), names=NAMES)


def test_parquet_without_pyarrow_names_the_extra(tmp_path, data, capsys, monkeypatch):
    from labelsieve.cli import main

    (tmp_path / "p.parquet").write_bytes(b"PAR1")
    np.save(tmp_path / "l.npy", data[0])
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert main(["find-issues", "--labels", str(tmp_path / "l.npy"), "--pred-probs", str(tmp_path / "p.parquet")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == 'labelsieve: error: reading .parquet files needs pyarrow: pip install "labelsieve[parquet]"'


def test_unexpected_errors_are_one_line_too(tmp_path, data, capsys, monkeypatch):
    from labelsieve import report
    from labelsieve.cli import main

    def broken(*args, **kwargs):
        raise RuntimeError("core exploded\nsecond line")

    monkeypatch.setattr(report, "rank_issues", broken)
    np.save(tmp_path / "l.npy", data[0])
    np.save(tmp_path / "p.npy", data[1])
    argv = ["find-issues", "--labels", str(tmp_path / "l.npy"), "--pred-probs", str(tmp_path / "p.npy")]
    monkeypatch.delenv("LABELSIEVE_DEBUG", raising=False)
    assert main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["labelsieve: error: unexpected RuntimeError: core exploded second line "
                   "(run with LABELSIEVE_DEBUG=1 for the traceback and please report it)"]
    monkeypatch.setenv("LABELSIEVE_DEBUG", "1")
    with pytest.raises(RuntimeError, match="core exploded"):
        main(argv)


def test_class_names_option_names_integer_labels_in_the_csv(tmp_path, data):
    labels, pred_probs = data
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", pred_probs)
    proc = run_cli("find-issues", "--labels", tmp_path / "l.npy", "--pred-probs", tmp_path / "p.npy",
                   "--class-names", ",".join(NAMES))
    assert_csv_equals_api(read_csv(proc.stdout, from_text=True), labels, pred_probs, names=NAMES)
