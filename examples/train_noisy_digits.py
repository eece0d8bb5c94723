"""Training with 30% wrong labels: does confident learning help?

scikit-learn's digits (1797 8x8 images, 10 classes), split 70/30 into train
and test; a fraction ``--noise`` (default 0.3) of the *training* labels is
flipped to a different class chosen uniformly.  Test labels stay clean.
For every seed:

(a) LogisticRegression on the noisy labels, plain vs
    ``labelsieve.sklearn.CleanClassifier(LogisticRegression())`` (find the
    label issues from 5-fold out-of-sample probabilities, drop them, refit
    with the noise-rate sample weights).
(b) A small torch MLP (64-128-10) trained on the noisy labels with plain
    cross-entropy, the noise-adapted cross-entropy (``epsilon`` estimated
    from labelsieve's noise matrix) and the forward-corrected cross-entropy
    (labelsieve's estimated noise matrix).  All three start from the same
    weights and see the same mini-batches.

The noise estimates come from the same out-of-sample probabilities of a
LogisticRegression (stratified 5-fold cross-validation), computed once per
seed.  Rows "clean labels" train on the true labels (the ceiling), rows
marked "true T" use the real noise matrix (what a perfect estimate gives).

Run:  nice -n 10 python examples/train_noisy_digits.py          (5 seeds)
      python examples/train_noisy_digits.py --seeds 1 --quick  (smoke test)
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Dict, List

import numpy as np

import labelsieve
from labelsieve.cv import estimate_cv_predicted_probabilities
from labelsieve.sklearn import CleanClassifier

try:
    import torch
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
except ImportError as exc:  # pragma: no cover
    raise SystemExit(f"this example needs scikit-learn and torch: {exc}")

from labelsieve.torch import ForwardCorrectedCrossEntropy, NoiseAdaptedCrossEntropy


def flip_labels(labels: np.ndarray, k: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Flip exactly round(fraction * N) labels, each to a uniformly chosen other class."""
    noisy = labels.copy()
    flipped = rng.choice(len(labels), size=int(round(fraction * len(labels))), replace=False)
    noisy[flipped] = (labels[flipped] + rng.integers(1, k, size=flipped.size)) % k
    return noisy


def true_noise_matrix(true: np.ndarray, noisy: np.ndarray, k: int) -> np.ndarray:
    """The realised P(given = i | true = j) of this training set."""
    counts = np.zeros((k, k))
    np.add.at(counts, (noisy, true), 1)
    return counts / counts.sum(axis=0, keepdims=True)


def logistic() -> LogisticRegression:
    return LogisticRegression(max_iter=500)


def train_mlp(X, y, loss_fn, *, seed: int, epochs: int) -> torch.nn.Module:
    """64-128-10 ReLU MLP, Adam, mini-batches of 32; same init and batch order for a given seed."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.tensor(X, dtype=torch.float32), torch.as_tensor(y)
    order_rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for batch in np.array_split(order_rng.permutation(len(y)), max(1, len(y) // 32)):
            optimiser.zero_grad()
            loss_fn(model(xt[batch]), yt[batch]).backward()
            optimiser.step()
    return model


def mlp_accuracy(model: torch.nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        return float((model(torch.tensor(X, dtype=torch.float32)).argmax(1).numpy() == y).mean())


def run_seed(seed: int, noise: float, epochs: int) -> Dict[str, float]:
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    k = 10
    noisy = flip_labels(y_tr, k, noise, np.random.default_rng(seed))
    out: Dict[str, float] = {}

    # Out-of-sample probabilities, once: they feed CleanClassifier and the noise estimates.
    pred_probs = estimate_cv_predicted_probabilities(X_tr, noisy, logistic(), cv_n_folds=5, seed=seed)
    _, noise_matrix, _, _ = labelsieve.estimate_noise(noisy, pred_probs)
    epsilon = float(np.clip((1 - np.mean(np.diagonal(noise_matrix))) * k / (k - 1), 0.0, 1.0))
    out["epsilon_hat"] = epsilon

    # (a) LogisticRegression
    out["lr_clean_labels"] = logistic().fit(X_tr, y_tr).score(X_te, y_te)
    out["lr_plain"] = logistic().fit(X_tr, noisy).score(X_te, y_te)
    cleaner = CleanClassifier(logistic(), seed=seed).fit(X_tr, noisy, pred_probs=pred_probs)
    out["lr_clean_classifier"] = cleaner.score(X_te, y_te)
    flagged = np.asarray(cleaner.label_issues_["is_label_issue"])
    wrong = noisy != y_tr
    out["flagged"] = float(flagged.sum())
    out["flipped"] = float(wrong.sum())
    out["precision"] = float(np.mean(wrong[flagged])) if flagged.any() else 0.0
    out["recall"] = float(np.mean(flagged[wrong]))

    # (b) torch MLP
    losses = {
        "mlp_clean_labels": (torch.nn.CrossEntropyLoss(), y_tr),
        "mlp_plain": (torch.nn.CrossEntropyLoss(), noisy),
        "mlp_noise_adapted": (NoiseAdaptedCrossEntropy(epsilon), noisy),
        "mlp_forward": (ForwardCorrectedCrossEntropy(noise_matrix), noisy),
        "mlp_forward_true_T": (ForwardCorrectedCrossEntropy(true_noise_matrix(y_tr, noisy, k)), noisy),
    }
    for name, (loss_fn, targets) in losses.items():
        model = train_mlp(X_tr, targets, loss_fn, seed=seed, epochs=epochs)
        out[name] = mlp_accuracy(model, X_te, y_te)
    return out


ROWS = [
    ("LogisticRegression", "clean labels (reference)", "lr_clean_labels"),
    ("LogisticRegression", "plain, noisy labels", "lr_plain"),
    ("LogisticRegression", "CleanClassifier", "lr_clean_classifier"),
    ("MLP 64-128-10", "clean labels (reference)", "mlp_clean_labels"),
    ("MLP 64-128-10", "plain cross-entropy", "mlp_plain"),
    ("MLP 64-128-10", "noise-adapted (estimated epsilon)", "mlp_noise_adapted"),
    ("MLP 64-128-10", "forward-corrected (estimated T)", "mlp_forward"),
    ("MLP 64-128-10", "forward-corrected (true T, reference)", "mlp_forward_true_T"),
]


def main(argv: List[str] = None) -> Dict[str, np.ndarray]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (0, 1, ...); default 5")
    parser.add_argument("--noise", type=float, default=0.3, help="fraction of training labels flipped")
    parser.add_argument("--epochs", type=int, default=60, help="MLP training epochs")
    parser.add_argument("--quick", action="store_true", help="few epochs (smoke test)")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # LogisticRegression convergence chatter on noisy labels

    start = time.perf_counter()
    results = [run_seed(seed, args.noise, epochs) for seed in range(args.seeds)]
    table = {key: np.array([r[key] for r in results]) for key in results[0]}
    print(f"digits, {args.noise:.0%} of training labels flipped, {args.seeds} seed(s), "
          f"MLP {epochs} epochs, {time.perf_counter() - start:.0f} s")
    print()
    print("| model | training | test accuracy (mean ± sd) |")
    print("|---|---|---|")
    for model, training, key in ROWS:
        print(f"| {model} | {training} | {table[key].mean():.3f} ± {table[key].std():.3f} |")
    print()
    print(f"CleanClassifier removed {table['flagged'].mean():.0f} training examples on average "
          f"({table['flipped'].mean():.0f} labels were flipped): precision {table['precision'].mean():.3f}, "
          f"recall {table['recall'].mean():.3f}. Estimated epsilon {table['epsilon_hat'].mean():.3f} "
          f"(true {args.noise * 10 / 9:.3f}).")
    return table


if __name__ == "__main__":
    main()
