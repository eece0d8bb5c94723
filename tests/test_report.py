"""``labelsieve report``: the HTML page's contents against the API and the health
functions, the PNG heatmap, the no-matplotlib fallback, and (marked ``browser``) that
headless Chromium renders the page."""

import base64
import html
import re
import shutil
import subprocess

import numpy as np
import pytest

import labelsieve
from datasets import noisy_dataset
from test_cli import run_cli

pytest.importorskip("pandas")

N, K = 600, 5
NAMES = ["oak", "elm", "ash", "yew", "fir & co"]  # '&' must be escaped in the page
TOP = 20
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data():
    return noisy_dataset(11, N, K, np.float32, noise=0.3)


@pytest.fixture(scope="module")
def written(tmp_path_factory, data):
    """One subprocess run writing both the page and the heatmap."""
    pytest.importorskip("matplotlib")
    labels, pred_probs = data
    folder = tmp_path_factory.mktemp("report")
    np.save(folder / "l.npy", np.array(NAMES)[labels])
    np.save(folder / "p.npy", pred_probs)
    proc = run_cli("report", "--labels", folder / "l.npy", "--pred-probs", folder / "p.npy",
                   "--class-names", ",".join(NAMES), "--top", TOP,
                   "--html", folder / "report.html", "--png", folder / "heat.png")
    return folder, proc


def test_page_holds_every_section_with_the_api_figures(written, data):
    from labelsieve.health import overall_label_health_score

    folder, proc = written
    labels, pred_probs = data
    page = (folder / "report.html").read_text()
    for heading in ("Estimated noise matrix", "Class label quality", "Overlapping classes", "Top label issues"):
        assert f"<h2>{heading}</h2>" in page
    score = overall_label_health_score(labels, pred_probs, verbose=False)
    assert f">{score:.3f}</div>" in page and f"health score {score:.3f}" in proc.stderr
    # the noise matrix values (the table under the heatmap), row by row
    _, noise, _, _ = labelsieve.estimate_noise(labels, pred_probs)
    cell = r'<td style="background:#[0-9a-f]{6};color:#[0-9a-f]{3}">([0-9.]+)</td>'
    cells = [float(v) for v in re.findall(cell, page)]
    np.testing.assert_allclose(cells, noise.ravel(), atol=5e-4)
    # top issues: the first TOP rows of the ranked issues, with names and the model's suggestion
    order = labelsieve.find_issues(labels, pred_probs, return_indices_ranked_by="self_confidence")
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\d+)</td><td class=t>([^<]+)</td><td class=t>([^<]+)</td>", page)
    assert [int(r[1]) for r in rows] == order[:TOP].tolist()
    assert [html.unescape(r[2]) for r in rows] == [NAMES[v] for v in labels[order[:TOP]]]
    assert [html.unescape(r[3]) for r in rows] == [NAMES[v] for v in pred_probs[order[:TOP]].argmax(1)]
    assert f"{len(order):,} flagged examples" in page
    assert "fir &amp; co" in page and "fir & co" not in page


def test_page_is_self_contained(written):
    folder, _ = written
    page = (folder / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<link" not in page and "http://" not in page and "https://" not in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 1 and base64.b64decode(images[0]).startswith(PNG_MAGIC)
    heat = (folder / "heat.png").read_bytes()
    assert heat.startswith(PNG_MAGIC) and len(heat) > 5000


def test_report_tables_equal_the_health_functions(data):
    """build_report's joint (from estimate_noise's confident joint) gives the same tables
    as the health functions called on labels and pred_probs."""
    from pandas.testing import assert_frame_equal

    from labelsieve.health import find_overlapping_classes, rank_classes_by_label_quality
    from labelsieve.report import build_report

    labels, pred_probs = data
    report = build_report(labels, pred_probs, class_names=NAMES, top=5)
    assert_frame_equal(report.class_quality, rank_classes_by_label_quality(labels, pred_probs, class_names=NAMES))
    assert_frame_equal(report.overlapping, find_overlapping_classes(labels, pred_probs, class_names=NAMES))
    assert len(report.issues) == 5 and report.num_issues > 5


def test_without_matplotlib_the_page_uses_a_colour_table(data, monkeypatch):
    import sys

    from labelsieve import report as report_module

    labels, pred_probs = data
    built = report_module.build_report(labels, pred_probs, top=3)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    page = report_module.render_html(built)
    assert "<img" not in page and 'class="heat"' in page and "Top label issues" in page
    with pytest.raises(ImportError, match=r"labelsieve\[plot\]"):
        report_module.heatmap_png(built.noise_matrix, built.class_names)


def test_report_needs_an_output(tmp_path):
    labels, pred_probs = noisy_dataset(1, 50, 3, np.float32)
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", pred_probs)
    proc = run_cli("report", "--labels", tmp_path / "l.npy", "--pred-probs", tmp_path / "p.npy", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "labelsieve: error: nothing to write: give --html FILE and/or --png FILE"


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.browser
@pytest.mark.skipif(_chromium() is None, reason="no chromium binary (Debian: apt-get install chromium)")
def test_page_renders_in_headless_chromium(written, tmp_path):
    mpimg = pytest.importorskip("matplotlib.image")
    folder, _ = written
    shot = tmp_path / "shot.png"
    subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1200,1600",
         (folder / "report.html").as_uri()],
        capture_output=True, timeout=180, check=True,
    )
    assert shot.stat().st_size > 20000
    pixels = mpimg.imread(str(shot))[..., :3]
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels.std() > 0.05  # not a blank page
    # the heatmap's colours were drawn: many clearly coloured (non-grey) pixels
    saturation = pixels.max(axis=2) - pixels.min(axis=2)
    assert (saturation > 0.3).mean() > 0.02
    # text was drawn in the top band (title and health cards): dark pixels there
    assert (pixels[:200].mean(axis=2) < 0.3).mean() > 0.002
