"""labelsieve: find mislabeled examples and estimate label noise.

Confident learning with cleanlab-compatible answers and a threaded C++ core.
Quick start::

    import labelsieve
    issues = labelsieve.find_issues(labels, pred_probs)   # boolean mask
"""

from labelsieve.api import (
    calibrate_confident_joint,
    confident_joint,
    confident_thresholds,
    estimate_joint,
    estimate_latent,
    estimate_noise,
    find_issues,
    find_label_issues,
    label_quality_scores,
    num_label_issues,
    order_label_issues,
)
from labelsieve.cv import estimate_cv_predicted_probabilities
from labelsieve.health import (
    find_overlapping_classes,
    health_summary,
    overall_label_health_score,
    rank_classes_by_label_quality,
)
from labelsieve.losses import forward_corrected_cross_entropy, noise_adapted_cross_entropy
from labelsieve import noise  # submodule: labelsieve.noise.generate_noisy_labels etc.
from labelsieve import multilabel  # submodule: labelsieve.multilabel.find_issues etc.

__version__ = "0.1.0"

__all__ = [
    "calibrate_confident_joint",
    "confident_joint",
    "confident_thresholds",
    "estimate_joint",
    "estimate_latent",
    "estimate_cv_predicted_probabilities",
    "estimate_noise",
    "find_issues",
    "find_label_issues",
    "find_overlapping_classes",
    "forward_corrected_cross_entropy",
    "health_summary",
    "label_quality_scores",
    "noise_adapted_cross_entropy",
    "num_label_issues",
    "overall_label_health_score",
    "order_label_issues",
    "rank_classes_by_label_quality",
    "__version__",
]
