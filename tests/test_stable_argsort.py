"""The packed-key sort used for ranked output equals NumPy's stable argsort,
including ties, signed zeros, infinities, subnormals and NaNs."""

import numpy as np
import pytest

from labelsieve._scores import stable_argsort


def awkward_values(rng, n, dtype):
    info = np.finfo(dtype)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, info.tiny, -info.tiny,
                         info.smallest_subnormal, -info.smallest_subnormal, info.max, -info.max, 1.0, -1.0],
                        dtype=dtype)
    values = np.round(rng.normal(size=n), 1).astype(dtype)  # many ties
    pick = rng.random(n) < 0.2
    values[pick] = rng.choice(specials, int(pick.sum()))
    return values


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 2, 17, 1000, 100_000])
def test_matches_numpy_stable_argsort(dtype, n):
    rng = np.random.default_rng(n)
    values = awkward_values(rng, n, dtype)
    # NaN payloads other than the default one
    if n > 10 and dtype != np.float64:
        bits = values.view(np.uint16 if dtype == np.float16 else np.uint32)
        bits[3] = 0x7E01 if dtype == np.float16 else 0x7FC00001
        bits[5] = 0xFE00 if dtype == np.float16 else 0xFFC00000
    before = values.copy()
    got = stable_argsort(values)
    np.testing.assert_array_equal(got, np.argsort(values, kind="stable"))
    np.testing.assert_array_equal(values.view(np.uint8), before.view(np.uint8))  # input untouched
