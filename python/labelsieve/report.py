"""Ranked label issues and a self-contained HTML report.

:func:`rank_issues` is the table ``labelsieve find-issues`` writes: the
flagged rows worst first, with their given label, the model's suggested label
(argmax of the row of ``pred_probs``) and the label-quality score.

:func:`build_report` gathers everything a dataset review needs -- the
estimated noise matrix, the per-class label quality, the overlapping class
pairs, the overall health score and the top issues -- and :func:`render_html`
turns it into one HTML page with no external assets (the heatmap is a
base64-embedded PNG when matplotlib is installed, an HTML colour table
otherwise).  :func:`heatmap_png` draws the heatmap alone.

Needs pandas for the class tables (``labelsieve[pandas]``); matplotlib
(``labelsieve[plot]``) is optional for the HTML page and required for PNGs.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence

import numpy as np

from labelsieve.api import estimate_noise, find_issues, label_quality_scores

ArrayLike = Any
TOP_ISSUES = 50
TOP_OVERLAPS = 15


@dataclass
class IssueTable:
    """Flagged rows, worst first: row index, given label, suggested label, score."""

    index: np.ndarray
    given: np.ndarray
    suggested: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def head(self, count: int) -> "IssueTable":
        return IssueTable(self.index[:count], self.given[:count], self.suggested[:count], self.score[:count])


def rank_issues(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    progress: Any = None,
) -> IssueTable:
    """The label issues ``find_issues(filter_by=...)`` flags, ordered as
    ``find_issues(..., return_indices_ranked_by=rank_by)`` orders them, with the
    given label, the suggested label ``argmax(pred_probs[i])`` and the
    ``label_quality_scores(method=rank_by)`` score of each."""
    if progress is not None:
        progress.step("finding issues")
    order = find_issues(
        labels, pred_probs, filter_by=filter_by, return_indices_ranked_by=rank_by, n_jobs=n_jobs, backend=backend
    )
    if progress is not None:
        progress.step("scoring")
    scores = label_quality_scores(labels, pred_probs, method=rank_by, n_jobs=n_jobs, backend=backend)
    given = np.asarray(labels)[order]
    # Only the flagged rows are read again (a memmap stays on disk otherwise).
    suggested = np.argmax(np.asarray(pred_probs[order]), axis=1) if order.size else np.zeros(0, np.int64)
    return IssueTable(order, given, suggested, scores[order])


@dataclass
class Report:
    """Everything the HTML report shows."""

    num_examples: int
    num_classes: int
    class_names: List[str]
    noise_matrix: np.ndarray
    health_score: float
    class_quality: Any  # pandas DataFrame (labelsieve.health.rank_classes_by_label_quality)
    overlapping: Any  # pandas DataFrame (labelsieve.health.find_overlapping_classes)
    issues: IssueTable
    num_issues: int
    settings: dict = field(default_factory=dict)
    title: str = "labelsieve label-quality report"


def build_report(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    class_names: Optional[Sequence[str]] = None,
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    top: int = TOP_ISSUES,
    n_jobs: Optional[int] = None,
    backend: Optional[str] = None,
    progress: Any = None,
) -> Report:
    """Compute the report's contents (``labels`` are class indices)."""
    from labelsieve.health import (
        find_overlapping_classes,
        overall_label_health_score,
        rank_classes_by_label_quality,
    )

    issues = rank_issues(
        labels, pred_probs, filter_by=filter_by, rank_by=rank_by, n_jobs=n_jobs, backend=backend, progress=progress
    )
    if progress is not None:
        progress.step("estimating noise")
    n, k = np.shape(pred_probs)
    names = [str(c) for c in class_names] if class_names is not None else [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"class_names must have one name per class ({k}), got {len(names)}")
    _, noise_matrix, _, joint_counts = estimate_noise(labels, pred_probs, n_jobs=n_jobs, backend=backend)
    # The joint P(given, true) from the calibrated confident joint, as estimate_joint computes it.
    joint = joint_counts / max(float(joint_counts.sum()), 1e-100)
    if progress is not None:
        progress.step("dataset health")
    quality = rank_classes_by_label_quality(joint=joint, num_examples=n, class_names=names)
    overlapping = find_overlapping_classes(joint=joint, num_examples=n, class_names=names)
    score = overall_label_health_score(labels, pred_probs, verbose=False, n_jobs=n_jobs, backend=backend)
    return Report(
        num_examples=n,
        num_classes=k,
        class_names=names,
        noise_matrix=noise_matrix,
        health_score=float(score),
        class_quality=quality,
        overlapping=overlapping,
        issues=issues.head(top),
        num_issues=len(issues),
        settings={"filter_by": filter_by, "rank_by": rank_by},
    )


# ---------------------------------------------------------------------- figures


def _matplotlib_figure():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError('drawing the heatmap needs matplotlib: pip install "labelsieve[plot]"') from None
    return Figure


def heatmap_png(noise_matrix: np.ndarray, class_names: Sequence[str], *, dpi: int = 110) -> bytes:
    """PNG bytes of the noise matrix P(given = row | true = column) as a heatmap
    (values written in the cells up to 20 classes).  Needs matplotlib."""
    Figure = _matplotlib_figure()
    matrix = np.asarray(noise_matrix, dtype=np.float64)
    k = matrix.shape[0]
    side = min(14.0, max(4.5, 0.55 * k + 2.5))
    fig = Figure(figsize=(side + 1.2, side), dpi=dpi)  # no pyplot: no global state, no GUI backend
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(matrix, cmap="viridis", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    labels = [str(n)[:14] for n in class_names]
    if k <= 40:
        ax.set_xticks(range(k), labels, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(k), labels, fontsize=8)
    if k <= 20:
        for given in range(k):
            for true in range(k):
                value = matrix[given, true]
                ax.text(true, given, f"{value:.2f}", ha="center", va="center", fontsize=7,
                        color="black" if value > 0.6 else "white")
    ax.set_xlabel("true label")
    ax.set_ylabel("given label")
    ax.set_title("estimated noise matrix P(given | true)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _has_matplotlib() -> bool:
    try:
        _matplotlib_figure()
    except ImportError:
        return False
    return True


# ---------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
color:#1d2430;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #dde;
padding-bottom:.2rem}
.sub{color:#5a6270;margin-top:0}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #dde;border-radius:8px;padding:.8rem 1.2rem;min-width:10rem}
.card .v{font-size:1.8rem;font-weight:600}.card .l{color:#5a6270;font-size:.85rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #e2e5ea;padding:.25rem .55rem;text-align:right}
th{background:#f3f5f8}td.t,th.t{text-align:left}
.heat td{text-align:center;min-width:2.6rem}
img{max-width:100%}
.bad{color:#b3261e}.ok{color:#1e7b34}
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _cell(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"<td>{float(value):.4f}</td>"
    if isinstance(value, (int, np.integer)):
        return f"<td>{int(value):,}</td>"
    return f'<td class="t">{_esc(value)}</td>'


def _frame_html(frame: Any, limit: Optional[int] = None) -> str:
    """A DataFrame as a plain HTML table (no pandas styling dependency)."""
    rows = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{_esc(c)}</th>" for c in rows.columns)
    body = "".join(
        "<tr>" + "".join(_cell(v) for v in record) + "</tr>" for record in rows.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _heat_colour(value: float) -> str:
    # white (0) to dark blue (1)
    level = min(max(value, 0.0), 1.0) ** 0.5
    r, g, b = (int(255 - level * (255 - c)) for c in (31, 71, 136))
    return f"#{r:02x}{g:02x}{b:02x}"


def _heat_table(matrix: np.ndarray, names: Sequence[str]) -> str:
    head = '<th class="t">given \\ true</th>' + "".join(f"<th>{_esc(n)}</th>" for n in names)
    rows = []
    for name, row in zip(names, matrix):
        cells = "".join(
            f'<td style="background:{_heat_colour(v)};color:{"#fff" if v > 0.45 else "#000"}">{v:.3f}</td>'
            for v in row
        )
        rows.append(f'<tr><th class="t">{_esc(name)}</th>{cells}</tr>')
    return f'<table class="heat"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _issues_html(report: Report) -> str:
    names = report.class_names
    head = "<tr><th>rank</th><th>row</th><th class=t>given label</th><th class=t>suggested label</th>" \
        f"<th>{_esc(report.settings.get('rank_by', 'score'))}</th></tr>"
    rows = []
    issues = report.issues
    for rank, (i, g, s, q) in enumerate(zip(issues.index, issues.given, issues.suggested, issues.score), start=1):
        rows.append(
            f"<tr><td>{rank}</td><td>{int(i)}</td><td class=t>{_esc(names[int(g)])}</td>"
            f"<td class=t>{_esc(names[int(s)])}</td><td>{float(q):.4g}</td></tr>"
        )
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def render_html(report: Report, *, embed_png: Optional[bool] = None) -> str:
    """One self-contained HTML page (inline CSS, base64 image, no scripts).
    ``embed_png`` None: a PNG heatmap when matplotlib is installed, else an
    HTML colour table."""
    if embed_png is None:
        embed_png = _has_matplotlib()
    n, k = report.num_examples, report.num_classes
    health = report.health_score
    if embed_png:
        png = base64.b64encode(heatmap_png(report.noise_matrix, report.class_names)).decode("ascii")
        heatmap = (f'<img alt="estimated noise matrix heatmap" src="data:image/png;base64,{png}">'
                   "<details><summary>values</summary>"
                   f"{_heat_table(report.noise_matrix, report.class_names)}</details>")
    else:
        heatmap = _heat_table(report.noise_matrix, report.class_names)
    shown = len(report.issues)
    settings = ", ".join(f"{_esc(key)}={_esc(value)}" for key, value in report.settings.items())
    issue_share = report.num_issues / n if n else 0.0
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_esc(report.title)}</h1>",
        f'<p class="sub">{n:,} examples, {k} classes; {settings}</p>',
        '<div class="cards">',
        f'<div class="card"><div class="v {"ok" if health >= 0.9 else "bad"}">{health:.3f}</div>'
        '<div class="l">overall label health score<br>(1 &minus; estimated issues / N)</div></div>',
        f'<div class="card"><div class="v">{report.num_issues:,}</div>'
        f'<div class="l">label issues flagged ({issue_share:.1%})</div></div>',
        "</div>",
        "<h2>Estimated noise matrix</h2>",
        "<p>Entry (row <i>s</i>, column <i>y</i>) is the estimated probability that an example whose "
        "true class is <i>y</i> was labelled <i>s</i>; off-diagonal mass is label noise.</p>",
        heatmap,
        "<h2>Class label quality</h2>",
        "<p>Per class, worst first: estimated issues among examples labelled with the class, examples of "
        "the class labelled otherwise, and the label quality score (1 &minus; label noise).</p>",
        _frame_html(report.class_quality),
        "<h2>Overlapping classes</h2>",
        f"<p>The {min(TOP_OVERLAPS, len(report.overlapping))} class pairs most often confused with each "
        "other (estimated joint probability of the pair, both directions).</p>",
        _frame_html(report.overlapping, TOP_OVERLAPS),
        f"<h2>Top label issues</h2><p>The {shown:,} most likely mislabeled of the {report.num_issues:,} "
        "flagged examples, worst first (suggested label = the model's most likely class).</p>",
        _issues_html(report),
        '<p class="sub">Generated by labelsieve.</p>',
        "</body></html>",
    ]
    return "\n".join(parts)
