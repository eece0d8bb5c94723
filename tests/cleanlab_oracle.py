"""cleanlab 2.9.0 with one change: its per-example argsorts are stable.

NumPy's default argsort breaks ties in a CPU-dependent order (SPEC 0.4);
labelsieve breaks them by ascending row index.  Swapping the ``np`` seen by
cleanlab.filter and cleanlab.rank for a proxy whose argsort is stable gives
an oracle that labelsieve must match bit for bit on every input.  The K x K
argsorts (calibration) are left untouched: labelsieve matches those as is."""

import contextlib
import warnings

import numpy as np

import cleanlab.count
import cleanlab.filter
import cleanlab.rank


class _StableNumpy:
    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def argsort(a, *args, **kwargs):
        kwargs.pop("kind", None)
        return np.argsort(a, *args, kind="stable", **kwargs)


@contextlib.contextmanager
def stable_cleanlab():
    """Yield (filter, count, rank) modules of cleanlab with stable argsorts."""
    saved = (cleanlab.filter.np, cleanlab.rank.np)
    cleanlab.filter.np = cleanlab.rank.np = _StableNumpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield cleanlab.filter, cleanlab.count, cleanlab.rank
    finally:
        cleanlab.filter.np, cleanlab.rank.np = saved
