"""Two builds of a backend compared in one process, call by call: each
find_issues call runs on build A or B in turn (A B B A ...), so a shared
machine's slow spells fall on both.  Prints, per build, the best and median
time of find_issues and of its class pass, joint pass and pruning, and B / A.

    python bench/ab_builds.py OLD NEW --n 1000000 --k 100 [--n-jobs 1] [--repeat 16]
    python bench/ab_builds.py OLD_KERNELS.py NEW_KERNELS.py --backend numba --k 100

C++ (the default): OLD and NEW are extension files (_core*.so) or folders
holding one (a checkout's python/labelsieve after tools/dev_build.sh).
numba: OLD and NEW are two versions of labelsieve/_numba/_kernels.py (say, a
copy of the committed one and the working tree's); they import the rest of
the numba backend from this checkout, so only that file may differ.  Run it
with the working tree's package on the path (PYTHONPATH=python): only the
compiled primitives or the kernels module are swapped, the Python around
them is this checkout's.  The two builds must give the same masks; the
script stops if they do not.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

import labelsieve
from find_issues_breakdown import STEPS, timed
from labelsieve._backend import get_backend
from noisy_data import noisy_predictions


def load_extension(path: str, alias: str) -> ModuleType:
    """The extension module in `path` (a file, or a folder holding one), under its own name."""
    found = Path(path)
    if found.is_dir():
        candidates = sorted(found.glob("_core*.so")) + sorted(found.glob("_core*.pyd"))
        if len(candidates) != 1:
            raise SystemExit(f"{path}: expected one _core extension file, found {len(candidates)}")
        found = candidates[0]
    name = f"{alias}._core"  # the last part picks the init function, PyInit__core
    loader = importlib.machinery.ExtensionFileLoader(name, str(found))
    spec = importlib.util.spec_from_file_location(name, str(found), loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def load_kernels(path: str, alias: str) -> ModuleType:
    """A version of labelsieve/_numba/_kernels.py, under its own name.  It
    runs from a copy in the temporary folder: numba caches compiled functions
    beside their file under the module's name, and a cache written by the
    alias beside the package's own _kernels.py would break the package."""
    copy = Path(tempfile.gettempdir()) / "labelsieve-ab-kernels" / f"{alias}.py"
    copy.parent.mkdir(exist_ok=True)
    shutil.copy2(path, copy)  # same modification time: numba's cache stays valid
    spec = importlib.util.spec_from_file_location(alias, copy)
    module = importlib.util.module_from_spec(spec)
    sys.modules[alias] = module  # numba's cache finds the module by name
    spec.loader.exec_module(module)
    return module


class Build:
    """One build's primitives (the steps timed), installed in turn on the
    backend module; for numba, the backend's own wrappers, timed, with this
    build's kernels module behind them."""

    def __init__(self, module: ModuleType, backend: ModuleType | None = None):
        self.times: dict[str, list[float]] = {name: [] for name in ["find_issues", *STEPS]}
        self.kernels = module if backend is not None else None
        source = backend if backend is not None else module
        self.primitives = {
            name: timed(getattr(source, name), self.times[name]) if name in STEPS else getattr(source, name)
            for name in getattr(source, "__all__", vars(source))
            if not name.startswith("_") and callable(getattr(source, name))
        }

    def install(self, core: ModuleType) -> None:
        """Point the backend module's primitives (and kernels) at this build's."""
        for name, primitive in self.primitives.items():
            setattr(core, name, primitive)
        if self.kernels is not None:
            core._kernels = self.kernels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=16, help="calls per build")
    parser.add_argument("--backend", default="cpp", choices=["cpp", "numba"])
    args = parser.parse_args()

    core = get_backend(args.backend)
    originals = {name: getattr(core, name) for name in dir(core) if not name.startswith("__")}
    if args.backend == "cpp":
        builds = [Build(load_extension(args.old, "ab_old")), Build(load_extension(args.new, "ab_new"))]
    else:
        builds = [Build(load_kernels(args.old, "ab_old_kernels"), core), Build(load_kernels(args.new, "ab_new_kernels"), core)]
    labels, probs = noisy_predictions(args.n, args.k, "float32", seed=0)

    def run(build: Build):
        build.install(core)
        start = time.perf_counter()
        issues = labelsieve.find_issues(labels, probs, n_jobs=args.n_jobs, backend=args.backend)
        build.times["find_issues"].append(time.perf_counter() - start)
        return issues

    try:
        masks = [run(build) for build in builds]  # warm-up, and the answers compared
        if not np.array_equal(masks[0], masks[1]):
            raise SystemExit("the two builds flag different rows")
        for build in builds:
            for samples in build.times.values():
                samples.clear()
        for call in range(args.repeat):
            for build in builds if call % 2 == 0 else builds[::-1]:
                run(build)
    finally:
        for name, primitive in originals.items():
            setattr(core, name, primitive)

    print(f"{args.n} x {args.k} float32, {args.backend}, n_jobs={args.n_jobs}, {args.repeat} calls per build, alternating")
    print(f"  A = {args.old}\n  B = {args.new}")
    print(f"  {'step':12s} {'A best':>9s} {'A median':>9s} {'B best':>9s} {'B median':>9s}  B/A best  B/A median")
    for name in builds[0].times:
        a, b = (np.array(build.times[name]) * 1e3 for build in builds)
        a_med, b_med = statistics.median(a), statistics.median(b)
        print(
            f"  {STEPS.get(name, name):12s} {a.min():9.1f} {a_med:9.1f} {b.min():9.1f} {b_med:9.1f}"
            f"  {b.min() / a.min():8.3f}  {b_med / a_med:10.3f}"
        )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
