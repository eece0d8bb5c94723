"""Packaging: one version everywhere, the _core stub matches the extension, the files a
distribution must carry, and which backend a given build selects.

Two environment variables turn the "when available" checks into requirements; the
distribution scripts (tools/build_and_test_dists.sh) set them:

* ``LABELSIEVE_EXPECT_INSTALLED=1``: labelsieve must be imported from an installed
  distribution (site-packages, not the source tree's python/), whose metadata carries the
  same version and the licence files.
* ``LABELSIEVE_EXPECT_BACKEND=cpp|numba``: the default backend (``LABELSIEVE_BACKEND``
  unset) must be this one; for ``numba`` the compiled extension must be absent (a
  pure-Python build), for ``cpp`` it must be present.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import sys
import sysconfig
from pathlib import Path

import pytest

import labelsieve
from labelsieve import _backend

PACKAGE_DIR = Path(labelsieve.__file__).resolve().parent
SOURCE_ROOT = Path(__file__).resolve().parents[1]
EXPECT_INSTALLED = os.environ.get("LABELSIEVE_EXPECT_INSTALLED") == "1"
EXPECT_BACKEND = os.environ.get("LABELSIEVE_EXPECT_BACKEND") or None

# PEP 440 public version (release, optional pre/post/dev segments).
PEP440 = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


def _installed_distribution() -> importlib.metadata.Distribution | None:
    """The installed distribution that provides the imported labelsieve, if any."""
    try:
        dist = importlib.metadata.distribution("labelsieve")
    except importlib.metadata.PackageNotFoundError:
        return None
    init = Path(dist.locate_file("labelsieve/__init__.py")).resolve()
    return dist if init == Path(labelsieve.__file__).resolve() else None


def _stub_signatures() -> dict[str, list[str]]:
    tree = ast.parse((PACKAGE_DIR / "_core.pyi").read_text())
    return {
        node.name: [a.arg for a in node.args.posonlyargs + node.args.args]
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


def _runtime_signatures(core) -> dict[str, list[str]]:
    """Parameter names from pybind11's generated signature line of each function."""
    out = {}
    for name in dir(core):
        obj = getattr(core, name)
        if name.startswith("_") or not callable(obj):
            continue
        first = (obj.__doc__ or "").splitlines()[0]
        match = re.match(rf"{name}\((.*)\) -> ", first)
        assert match, f"unexpected signature line for _core.{name}: {first!r}"
        out[name] = re.findall(r"(\w+):", match.group(1))
    return out


def test_version_is_pep440_and_single_sourced():
    assert PEP440.match(labelsieve.__version__), labelsieve.__version__
    pyproject = SOURCE_ROOT / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("no source tree next to the tests")
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads(pyproject.read_text())
    assert "version" not in config["project"], "the version must live only in __init__.py"
    assert "version" in config["project"]["dynamic"]
    provider = config["tool"]["scikit-build"]["metadata"]["version"]
    assert provider["provider"] == "scikit_build_core.metadata.regex"
    source = (SOURCE_ROOT / provider["input"]).read_text()
    # scikit-build-core's default regex for the version provider.
    found = re.findall(r"""(?i)^(__version__|VERSION)(?: ?: ?str)? *= *(['"])v?(?P<value>.+?)\2""", source, re.M)
    assert [m[2] for m in found] == [labelsieve.__version__]


def test_installed_metadata_version_matches():
    dist = _installed_distribution()
    if dist is None:
        if EXPECT_INSTALLED:
            pytest.fail(f"labelsieve imported from {labelsieve.__file__}, not from an installed distribution")
        pytest.skip("labelsieve is imported from the source tree, not an installed distribution")
    assert dist.version == labelsieve.__version__
    assert importlib.metadata.version("labelsieve") == labelsieve.__version__
    assert dist.metadata["License-Expression"] == "MIT"
    license_files = set(dist.metadata.get_all("License-File") or [])
    assert {"LICENSE", "THIRD_PARTY_NOTICES.md"} <= license_files
    for name in ("LICENSE", "THIRD_PARTY_NOTICES.md"):
        text = next(f for f in dist.files if f.name == name and "licenses" in f.parts).read_text()
        assert "MIT" in text
    notices = next(f for f in dist.files if f.name == "THIRD_PARTY_NOTICES.md").read_text()
    assert "Copyright (c) 2019 Curtis G. Northcutt" in notices


@pytest.mark.skipif(not EXPECT_INSTALLED, reason="set LABELSIEVE_EXPECT_INSTALLED=1 to require an installed package")
def test_imported_from_site_packages_not_the_source_tree():
    here = Path(labelsieve.__file__).resolve()
    site_dirs = {Path(sysconfig.get_path(key)).resolve() for key in ("purelib", "platlib")}
    assert any(here.is_relative_to(d) for d in site_dirs), (here, site_dirs)
    assert not here.is_relative_to((SOURCE_ROOT / "python").resolve())
    assert not any(Path(p or ".").resolve() == (SOURCE_ROOT / "python").resolve() for p in sys.path)


def test_package_ships_typing_and_notice_files():
    assert (PACKAGE_DIR / "py.typed").is_file()
    assert (PACKAGE_DIR / "_core.pyi").is_file()
    assert "Curtis G. Northcutt" in (PACKAGE_DIR / "data" / "NOTICE.md").read_text()


def test_core_stub_matches_the_extension():
    core = pytest.importorskip("labelsieve._core")
    stub = _stub_signatures()
    runtime = _runtime_signatures(core)
    hint = "update python/labelsieve/_core.pyi to match src/"
    assert set(stub) == set(runtime), f"functions in _core.pyi and labelsieve._core differ: {hint}"
    for name, params in runtime.items():
        assert stub[name] == params, f"_core.{name}: stub {stub[name]} vs extension {params}: {hint}"


def test_core_stub_is_valid_python_typing():
    tree = ast.parse((PACKAGE_DIR / "_core.pyi").read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            # The primitives write into out_* arrays; simd_level reports the loops in use,
            # narrow_labels whether every label was in range.
            expected = {"simd_level": "str", "narrow_labels": "bool"}.get(node.name, "None")
            assert node.returns is not None and ast.unparse(node.returns) == expected, node.name
            missing = [a.arg for a in node.args.args if a.annotation is None]
            assert not missing, f"{node.name}: unannotated {missing}"


def test_without_the_extension_the_default_backend_is_numba(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.delenv("LABELSIEVE_BACKEND", raising=False)
    # Import fails as it does when the .so is missing.
    monkeypatch.setitem(sys.modules, "labelsieve._core", None)
    monkeypatch.delattr(labelsieve, "_core", raising=False)
    assert _backend.get_backend().__name__ == "labelsieve._numba"
    with pytest.raises(ImportError, match="compiled extension"):
        _backend.get_backend("cpp")


@pytest.mark.skipif(EXPECT_BACKEND is None, reason="set LABELSIEVE_EXPECT_BACKEND to check a build's default")
def test_build_selects_the_expected_backend(monkeypatch):
    monkeypatch.delenv("LABELSIEVE_BACKEND", raising=False)
    assert EXPECT_BACKEND in _backend.BACKENDS
    assert _backend.get_backend().__name__ == {"cpp": "labelsieve._core", "numba": "labelsieve._numba"}[EXPECT_BACKEND]
    has_extension = any(PACKAGE_DIR.glob("_core.*.so")) or any(PACKAGE_DIR.glob("_core*.pyd"))
    assert has_extension == (EXPECT_BACKEND == "cpp")
    if EXPECT_BACKEND == "numba":
        with pytest.raises(ImportError):
            import labelsieve._core  # noqa: F401
    dist = _installed_distribution()
    if dist is not None:  # pure builds are py3-none-any wheels, compiled ones platform wheels
        tags = re.findall(r"^Tag: (\S+)$", dist.read_text("WHEEL") or "", re.M)
        assert tags and all(tag.endswith("-none-any") == (EXPECT_BACKEND == "numba") for tag in tags), tags


def test_docs_index_examples_run(capsys):
    """The Python blocks of docs/index.md run in order, in one namespace (they assert)."""
    page = SOURCE_ROOT / "docs" / "index.md"
    if not page.is_file():
        pytest.skip("no docs/ next to the tests")
    blocks = re.findall(r"^```python\n(.*?)^```", page.read_text(), re.M | re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(page), "exec"), namespace)
    out = capsys.readouterr().out
    assert "issues;" in out and "labelsieve._" in out
