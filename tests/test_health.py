"""labelsieve.health vs cleanlab 2.9.0's cleanlab.dataset: identical
DataFrames (values, dtypes, column order and row order), scores and printed
lines, on random data and the 13 CIFAR-10 sets; every input option; bad
inputs; the pandas extra; the examples of docs/health.md."""

import contextlib
import io
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cleanlab.count
import cleanlab.dataset as cd
import labelsieve
from labelsieve import _backend, multilabel
from datasets import KINDS, noisy_dataset

ROOT = Path(__file__).resolve().parents[1]
CIFAR = ROOT.parent / "shared" / "data" / "cifar10-cl"
CIFAR_SETS = sorted(p.name for p in CIFAR.glob("cifar10_*.npz")) if CIFAR.is_dir() else []
DTYPES = (np.float16, np.float32, np.float64)


def same_frame(ours, theirs):
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    assert list(ours.columns) == list(theirs.columns)


def same_summary(ours, theirs):
    assert set(ours) == set(theirs)
    assert ours["overall_label_health_score"] == theirs["overall_label_health_score"]
    assert np.array_equal(ours["joint"], theirs["joint"])
    same_frame(ours["classes_by_label_quality"], theirs["classes_by_label_quality"])
    same_frame(ours["overlapping_classes"], theirs["overlapping_classes"])


def random_cases():
    for seed in range(24):
        k = (2, 3, 4, 6, 10, 17)[seed % 6]
        kind = KINDS[seed % len(KINDS)]
        yield seed, k, kind, DTYPES[seed % 3]


CASES = list(random_cases())


CASE_IDS = [f"{s}-k{k}-{kind}-{np.dtype(d).name}" for s, k, kind, d in CASES]


@pytest.mark.parametrize("seed,k,kind,dtype", CASES, ids=CASE_IDS)
def test_labels_and_pred_probs_match_cleanlab(seed, k, kind, dtype):
    labels, p = noisy_dataset(seed, 400 + 37 * seed, k, dtype, kind)
    names = [f"class {i}" for i in range(k)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for class_names in (None, names):
            same_frame(
                labelsieve.rank_classes_by_label_quality(labels, p, class_names=class_names),
                cd.rank_classes_by_label_quality(labels, p, class_names=class_names),
            )
            for asymmetric in (False, True):
                same_frame(
                    labelsieve.find_overlapping_classes(labels, p, asymmetric=asymmetric, class_names=class_names),
                    cd.find_overlapping_classes(labels, p, asymmetric=asymmetric, class_names=class_names),
                )
        assert labelsieve.overall_label_health_score(labels, p, verbose=False) == cd.overall_label_health_score(
            labels, p, verbose=False
        )
        same_summary(
            labelsieve.health_summary(labels, p, class_names=names, asymmetric=seed % 2 == 1, verbose=False),
            cd.health_summary(labels, p, class_names=names, asymmetric=seed % 2 == 1, verbose=False),
        )


@pytest.mark.parametrize("seed", range(8))
def test_joint_and_confident_joint_inputs_match_cleanlab(seed):
    k = 3 + seed
    labels, p = noisy_dataset(100 + seed, 600, k, np.float64, KINDS[seed % len(KINDS)])
    n = len(labels)
    cj = cleanlab.count.compute_confident_joint(labels, p, calibrate=False)
    joint = cleanlab.count.estimate_joint(labels, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # joint + num_examples
        same_frame(labelsieve.rank_classes_by_label_quality(joint=joint, num_examples=n),
                   cd.rank_classes_by_label_quality(joint=joint, num_examples=n))
        same_frame(labelsieve.find_overlapping_classes(joint=joint, num_examples=n, asymmetric=True),
                   cd.find_overlapping_classes(joint=joint, num_examples=n, asymmetric=True))
        assert labelsieve.overall_label_health_score(joint=joint, num_examples=n, verbose=False) == \
            cd.overall_label_health_score(joint=joint, num_examples=n, verbose=False)
        # confident joint + labels (calibrated against the labels)
        same_frame(labelsieve.rank_classes_by_label_quality(labels, confident_joint=cj),
                   cd.rank_classes_by_label_quality(labels, confident_joint=cj))
        same_frame(labelsieve.find_overlapping_classes(labels, confident_joint=cj),
                   cd.find_overlapping_classes(labels, confident_joint=cj))
        assert labelsieve.overall_label_health_score(labels, confident_joint=cj, verbose=False) == \
            cd.overall_label_health_score(labels, confident_joint=cj, verbose=False)
        # confident joint alone (count = its sum)
        same_frame(labelsieve.find_overlapping_classes(confident_joint=cj),
                   cd.find_overlapping_classes(confident_joint=cj))
        assert labelsieve.overall_label_health_score(confident_joint=cj, verbose=False) == \
            cd.overall_label_health_score(confident_joint=cj, verbose=False)
        # labels + pred_probs + a user confident joint: the issue count ignores it (with a warning)
        assert labelsieve.overall_label_health_score(labels, p, confident_joint=cj, verbose=False) == \
            cd.overall_label_health_score(labels, p, confident_joint=cj, verbose=False)
        same_summary(labelsieve.health_summary(labels, p, confident_joint=cj, verbose=False),
                     cd.health_summary(labels, p, confident_joint=cj, verbose=False))
        # a given joint wins over labels + pred_probs for the tables
        same_summary(labelsieve.health_summary(labels, p, joint=joint, verbose=False),
                     cd.health_summary(labels, p, joint=joint, verbose=False))
    with pytest.warns(UserWarning, match="confident_joint"):
        labelsieve.overall_label_health_score(labels, p, confident_joint=cj, verbose=False)


def test_confident_joint_alone_works_where_cleanlab_raises():
    """Documented difference: cleanlab's rank_classes_by_label_quality needs
    labels for the example count; labelsieve uses sum(confident_joint)."""
    labels, p = noisy_dataset(7, 500, 5, np.float64)
    cj = cleanlab.count.compute_confident_joint(labels, p)
    with pytest.raises(ValueError):
        cd.rank_classes_by_label_quality(confident_joint=cj)
    same_frame(labelsieve.rank_classes_by_label_quality(confident_joint=cj),
               cd.rank_classes_by_label_quality(confident_joint=cj, num_examples=int(cj.sum())))
    ours = labelsieve.health_summary(confident_joint=cj, verbose=False)
    theirs = cd.health_summary(confident_joint=cj, num_examples=int(cj.sum()), verbose=False)
    same_summary(ours, theirs)
    # joint + num_examples only: cleanlab's health_summary crashes in its last step; ours uses trace(joint)
    joint = cj / cj.sum()
    summary = labelsieve.health_summary(joint=joint, num_examples=500, verbose=False)
    assert summary["overall_label_health_score"] == np.trace(joint)


def test_ties_come_out_in_cleanlab_order():
    """A joint with many equal (zero) pair probabilities: the row order of
    tied rows is pandas' default (unstable) sort, as in cleanlab."""
    joint = np.zeros((9, 9))
    np.fill_diagonal(joint, 1.0)
    joint[0, 1] = joint[2, 3] = joint[5, 4] = 0.25
    joint /= joint.sum()
    for asymmetric in (False, True):
        same_frame(labelsieve.find_overlapping_classes(joint=joint, num_examples=90, asymmetric=asymmetric),
                   cd.find_overlapping_classes(joint=joint, num_examples=90, asymmetric=asymmetric))
    same_frame(labelsieve.rank_classes_by_label_quality(joint=joint, num_examples=90),
               cd.rank_classes_by_label_quality(joint=joint, num_examples=90))


def test_verbose_output_matches_cleanlab(capsys):
    labels, p = noisy_dataset(3, 2000, 4, np.float32)
    for kwargs in ({"labels": labels, "pred_probs": p}, {"joint": cleanlab.count.estimate_joint(labels, p),
                                                           "num_examples": 2000}):
        cd.overall_label_health_score(**kwargs)
        theirs = capsys.readouterr().out
        labelsieve.overall_label_health_score(**kwargs)
        assert capsys.readouterr().out == theirs
        assert "labels in your dataset have potential issues" in theirs
    summary = labelsieve.health_summary(labels, p, class_names=["a", "b", "c", "d"])
    out = capsys.readouterr().out
    assert "Health Summary" in out and "Class Overlap" in out and "Label Quality Score" in out
    assert f"{summary['overall_label_health_score']:.2f}." in out


def available_backends():
    names = []
    for name in _backend.BACKENDS:
        try:
            _backend.get_backend(name)
            names.append(name)
        except ImportError:
            pass
    return names


def test_backend_and_n_jobs_never_change_an_answer():
    labels, p = noisy_dataset(21, 30_000, 8, np.float32, "rounded")
    reference = cd.health_summary(labels, p, verbose=False)
    for backend in available_backends():
        for n_jobs in (1, 2):
            options = dict(n_jobs=n_jobs, backend=backend)
            same_summary(labelsieve.health_summary(labels, p, verbose=False, **options), reference)
            same_frame(labelsieve.rank_classes_by_label_quality(labels, p, **options),
                       reference["classes_by_label_quality"])
            same_frame(labelsieve.find_overlapping_classes(labels, p, **options), reference["overlapping_classes"])
            assert labelsieve.overall_label_health_score(labels, p, verbose=False, **options) == \
                reference["overall_label_health_score"]


@pytest.mark.skipif(len(CIFAR_SETS) != 13, reason=f"CIFAR-10 sets not found in {CIFAR}")
@pytest.mark.parametrize("name", CIFAR_SETS)
def test_cifar10_sets_match_cleanlab(name):
    with np.load(CIFAR / name) as d:
        labels, p = d["noisy_labels"].astype(np.int64), d["pred_probs"]
        names = [str(c) for c in d["class_names"]]
    same_summary(labelsieve.health_summary(labels, p, class_names=names, verbose=False),
                 cd.health_summary(labels, p, class_names=names, verbose=False))
    same_frame(labelsieve.find_overlapping_classes(labels, p, asymmetric=True),
               cd.find_overlapping_classes(labels, p, asymmetric=True))


def test_overall_score_is_one_minus_issue_fraction():
    labels, p = noisy_dataset(5, 3000, 6, np.float64, noise=0.3)
    score = labelsieve.overall_label_health_score(labels, p, verbose=False)
    assert score == 1 - labelsieve.num_label_issues(labels, p) / 3000
    assert 0.5 < score < 0.95
    table = labelsieve.rank_classes_by_label_quality(labels, p)
    assert list(table["Label Quality Score"]) == sorted(table["Label Quality Score"])
    assert np.allclose(table["Label Quality Score"], 1 - table["Label Noise"])


# ------------------------------------------------------------------ bad inputs


def test_bad_inputs_name_the_argument():
    labels, p = noisy_dataset(1, 200, 3, np.float64)
    with pytest.raises(ValueError, match="labels and pred_probs"):
        labelsieve.rank_classes_by_label_quality()
    with pytest.raises(ValueError, match="labels and pred_probs"):
        labelsieve.find_overlapping_classes(labels)
    with pytest.raises(ValueError, match="num_examples"):
        labelsieve.find_overlapping_classes(joint=np.eye(3) / 3)
    with pytest.raises(ValueError, match="num_examples"):
        labelsieve.overall_label_health_score(joint=np.eye(3) / 3, verbose=False)
    with pytest.raises(ValueError, match="joint"):
        labelsieve.rank_classes_by_label_quality(joint=np.ones((2, 3)), num_examples=5)
    with pytest.raises(ValueError, match="class_names"):
        labelsieve.rank_classes_by_label_quality(labels, p, class_names=["a", "b"])
    with pytest.raises(TypeError, match="class_names"):
        labelsieve.find_overlapping_classes(labels, p, class_names="abc")
    with pytest.raises(ValueError, match="num_examples"):
        labelsieve.rank_classes_by_label_quality(joint=np.eye(3) / 3, num_examples=0)
    with pytest.raises(TypeError, match="num_examples"):
        labelsieve.rank_classes_by_label_quality(joint=np.eye(3) / 3, num_examples=2.5)
    with pytest.raises(ValueError, match="pred_probs"):
        labelsieve.health_summary(labels, p[:10], verbose=False)
    with pytest.raises(ValueError, match="backend"):
        labelsieve.find_overlapping_classes(labels, p, backend="fortran")
    pointers = {labelsieve.rank_classes_by_label_quality: "rank_classes_by_multilabel_quality",
                labelsieve.find_overlapping_classes: "common_multilabel_issues",
                labelsieve.overall_label_health_score: "overall_multilabel_health_score",
                labelsieve.health_summary: "multilabel_health_summary"}
    for function, instead in pointers.items():
        with pytest.raises(NotImplementedError, match=f"labelsieve.multilabel.{instead}"):
            function(labels, p, multi_label=True)
        with pytest.raises(ValueError):  # the exception type cleanlab raises here
            function(labels, p, multi_label=True)
        with pytest.raises(ValueError):
            getattr(cd, function.__name__)(labels, p, multi_label=True)
        assert callable(getattr(multilabel, instead))


def test_missing_pandas_raises_a_clear_import_error(monkeypatch):
    labels, p = noisy_dataset(2, 200, 3, np.float64)
    monkeypatch.setitem(sys.modules, "pandas", None)
    for function in (labelsieve.rank_classes_by_label_quality, labelsieve.find_overlapping_classes,
                     labelsieve.health_summary):
        with pytest.raises(ImportError, match=re.escape('labelsieve[pandas]')):
            function(labels, p)
    # the overall score needs no pandas
    assert 0 < labelsieve.overall_label_health_score(labels, p, verbose=False) <= 1
    from labelsieve import multilabel

    onehot = (np.random.default_rng(0).random((200, 3)) < 0.4).astype(int)
    for function in (multilabel.common_multilabel_issues, multilabel.rank_classes_by_multilabel_quality):
        with pytest.raises(ImportError, match=re.escape('labelsieve[pandas]')):
            function(onehot, p)


# ------------------------------------------------------------------ docs


def test_docs_health_examples_run():
    """Every python block of docs/health.md runs, in order, in one namespace."""
    text = (ROOT / "docs" / "health.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 4
    namespace = {}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()) as out:
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, "docs/health.md", "exec"), namespace)
    assert "label health score" in out.getvalue()
