"""Fuzz target for the C++ binding (labelsieve._core) and the public API.

Fuzzer bytes choose a function, array shapes, dtypes (including wrong ones),
layouts (C, Fortran, strided, byte-swapped, read-only, 0-D/1-D/3-D), label
values and raw probability bytes (so NaN, inf, subnormals, negatives...).
The only acceptable outcomes are a return or TypeError/ValueError; anything
else -- another exception, a crash, a sanitizer report -- is a finding.
Successful public-API calls are also checked for not modifying their inputs.

Run with atheris (coverage-guided, libFuzzer options apply):
    python tests/fuzz/fuzz_binding.py -max_total_time=60
Without atheris, or with --random, it feeds seeded pseudo-random inputs for
the time budget given by -max_total_time (default 60 s).
"""

from __future__ import annotations

import random
import sys
import time
import warnings

import numpy as np

try:
    import atheris
except ImportError:  # the random fallback below
    atheris = None

if atheris is not None and "--random" not in sys.argv:
    with atheris.instrument_imports():
        import labelsieve
        from labelsieve import _core
else:
    import labelsieve
    from labelsieve import _core

EXPECTED = (TypeError, ValueError)
FLOATS = (np.float16, np.float32, np.float64)
ODD = (np.int32, np.int64, np.uint8, np.bool_, np.complex64, np.longdouble)
LABEL_TYPES = (np.int32, np.int64, np.int8, np.uint8, np.uint64, np.float64, np.bool_, np.int16)


class Bytes:
    """A FuzzedDataProvider look-alike over plain bytes (for the fallback)."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def ConsumeIntInRange(self, lo: int, hi: int) -> int:  # noqa: N802 - atheris' names
        span = hi - lo + 1
        width = max(1, (span.bit_length() + 7) // 8)
        chunk = self.data[self.pos:self.pos + width]
        self.pos += width
        return lo + int.from_bytes(chunk.ljust(width, b"\0"), "little") % span

    def ConsumeBytes(self, count: int) -> bytes:  # noqa: N802
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def ConsumeBool(self) -> bool:  # noqa: N802
        return bool(self.ConsumeIntInRange(0, 1))


def provider(data: bytes):
    return atheris.FuzzedDataProvider(data) if atheris is not None and "--random" not in sys.argv else Bytes(data)


def make_array(fdp, shape, dtype) -> np.ndarray:
    size = int(np.prod(shape))
    itemsize = np.dtype(dtype).itemsize
    raw = fdp.ConsumeBytes(size * itemsize).ljust(size * itemsize, b"\0")
    if fdp.ConsumeBool():  # mostly sane values: probabilities from bytes
        values = np.frombuffer(raw, np.uint8)[:size].astype(np.float64) / 255.0
        values = np.resize(values, size) if size else values
        arr = values.reshape(shape).astype(dtype) if np.dtype(dtype).kind != "V" else values.reshape(shape)
    else:
        arr = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    return arr


def relayout(fdp, arr: np.ndarray) -> np.ndarray:
    choice = fdp.ConsumeIntInRange(0, 7)
    if choice == 1 and arr.ndim == 2:
        return np.asfortranarray(arr)
    if choice == 2 and arr.ndim >= 1:
        return np.repeat(arr, 2, axis=0)[::2]
    if choice == 3 and arr.dtype.kind in "iuf" and arr.dtype.itemsize > 1:
        return arr.astype(arr.dtype.newbyteorder(">"))
    if choice == 4:
        frozen = arr.copy()
        frozen.setflags(write=False)
        return frozen
    if choice == 5:
        return arr.reshape(-1) if arr.ndim == 2 else arr[..., None]
    if choice == 6 and arr.ndim >= 1 and arr.shape[0] > 0:
        return arr[::-1]
    return arr


def make_problem(fdp):
    n = fdp.ConsumeIntInRange(0, 40)
    k = fdp.ConsumeIntInRange(0, 6)
    ptype = FLOATS[fdp.ConsumeIntInRange(0, 2)] if fdp.ConsumeIntInRange(0, 9) else ODD[fdp.ConsumeIntInRange(0, 5)]
    p = relayout(fdp, make_array(fdp, (n, k), ptype))
    ltype = LABEL_TYPES[fdp.ConsumeIntInRange(0, len(LABEL_TYPES) - 1)] if fdp.ConsumeIntInRange(0, 3) else np.int64
    n_labels = n if fdp.ConsumeIntInRange(0, 7) else fdp.ConsumeIntInRange(0, 41)
    bound = max(k, 1) if fdp.ConsumeIntInRange(0, 5) else 2**62
    labels = np.array([fdp.ConsumeIntInRange(0, bound) for _ in range(n_labels)], dtype=np.int64)
    if fdp.ConsumeIntInRange(0, 9) == 0 and n_labels:
        labels[fdp.ConsumeIntInRange(0, n_labels - 1)] = -fdp.ConsumeIntInRange(1, 2**40)
    with np.errstate(all="ignore"):
        labels = relayout(fdp, labels.astype(ltype))
    return labels, p


def out_array(fdp, length, dtype):
    if fdp.ConsumeIntInRange(0, 15) == 0:  # a wrong output: size, dtype or read-only
        choice = fdp.ConsumeIntInRange(0, 2)
        if choice == 0:
            return np.zeros(max(0, length - 1), dtype)
        if choice == 1:
            return np.zeros(length, np.int16)
        frozen = np.zeros(length, dtype)
        frozen.setflags(write=False)
        return frozen
    return np.zeros(length, dtype)


def acc_type(p) -> type:
    return np.float64 if getattr(p, "dtype", None) == np.float64 else np.float32


def call_core(fdp, labels, p):
    n = labels.shape[0] if labels.ndim else 0
    k = p.shape[1] if p.ndim == 2 else 1
    threads = fdp.ConsumeIntInRange(0, 4)
    which = fdp.ConsumeIntInRange(0, 6)
    acc = acc_type(p)
    if which == 0:
        _core.value_range(p, out_array(fdp, 2, acc), threads)
    elif which == 1:
        _core.class_sums(labels, p, out_array(fdp, k, np.int64), out_array(fdp, k, acc), threads)
    elif which == 2:
        cut = np.array([fdp.ConsumeIntInRange(0, 100) / 100 for _ in range(k)], acc)
        _core.joint_pass(labels, p, cut, fdp.ConsumeBool(), out_array(fdp, n, np.int32),
                         out_array(fdp, k * k, np.int64).reshape(-1) if fdp.ConsumeBool() else np.zeros((k, k), np.int64),
                         out_array(fdp, n, np.uint8), threads)
    elif which == 3:
        _core.entropy_sums(p, out_array(fdp, n, np.float32 if getattr(p, "dtype", None) == np.float32 else np.float64),
                           threads)
    elif which == 4:
        counts = np.array([fdp.ConsumeIntInRange(-2, 2**63 - 1) for _ in range(k * k)], np.int64).reshape(k, k)
        ok = np.array([fdp.ConsumeIntInRange(0, 1) for _ in range(k)], np.uint8)
        _core.prune_by_noise_rate(labels, p, counts, ok, out_array(fdp, n, np.uint8), threads)
    elif which == 5:
        num = np.array([fdp.ConsumeIntInRange(-2, 2**63 - 1) for _ in range(k)], np.int64)
        _core.prune_by_class(labels, p, num, out_array(fdp, n, np.uint8), threads)
    else:
        scores = p.reshape(-1) if isinstance(p, np.ndarray) else p
        _core.select_lowest(scores, fdp.ConsumeIntInRange(-5, 2**63 - 1), out_array(fdp, scores.size, np.uint8),
                            threads)


def call_api(fdp, labels, p):
    backend = "cpp" if fdp.ConsumeIntInRange(0, 3) else "numba"
    which = fdp.ConsumeIntInRange(0, 5)
    filters = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
               "low_normalized_margin", "low_self_confidence")
    snapshot = (labels.tobytes(), p.tobytes())
    n_jobs = fdp.ConsumeIntInRange(1, 3)
    if which == 0:
        labelsieve.find_issues(labels, p, filter_by=filters[fdp.ConsumeIntInRange(0, 6)], backend=backend,
                               n_jobs=n_jobs)
    elif which == 1:
        labelsieve.find_issues(labels, p, return_indices_ranked_by="normalized_margin", backend=backend, n_jobs=n_jobs,
                               frac_noise=fdp.ConsumeIntInRange(0, 10) / 10,
                               min_examples_per_class=fdp.ConsumeIntInRange(0, 5))
    elif which == 2:
        labelsieve.confident_joint(labels, p, calibrate=fdp.ConsumeBool(), backend=backend, n_jobs=n_jobs)
    elif which == 3:
        methods = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")
        labelsieve.label_quality_scores(labels, p, method=methods[fdp.ConsumeIntInRange(0, 2)], backend=backend,
                                        n_jobs=n_jobs)
    elif which == 4:
        labelsieve.estimate_noise(labels, p, backend=backend, n_jobs=n_jobs)
    else:
        labelsieve.num_label_issues(labels, p, backend=backend, n_jobs=n_jobs)
    assert (labels.tobytes(), p.tobytes()) == snapshot, "an input was modified"


def TestOneInput(data: bytes) -> None:  # noqa: N802 - the name atheris expects
    fdp = provider(data)
    api = fdp.ConsumeBool()
    labels, p = make_problem(fdp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            (call_api if api else call_core)(fdp, labels, p)
        except EXPECTED:
            pass
        except MemoryError:
            if api:
                raise  # the API never needs more than O(N K) for these sizes


def max_total_time(argv) -> float:
    for arg in argv:
        if arg.startswith("-max_total_time="):
            return float(arg.split("=", 1)[1])
    return 60.0


def random_fuzz(seconds: float, seed: int = 0) -> int:
    rng = random.Random(seed)
    end, runs = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        TestOneInput(rng.randbytes(rng.randint(0, 600)))
        runs += 1
    return runs


def main() -> None:
    if atheris is None or "--random" in sys.argv:
        seconds = max_total_time(sys.argv)
        print(f"fuzz_binding: {'atheris not installed; ' if atheris is None else ''}seeded random inputs "
              f"for {seconds:g} s")
        print(f"fuzz_binding: {random_fuzz(seconds)} inputs, no findings")
        return
    atheris.Setup([a for a in sys.argv if a != "--random"], TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
