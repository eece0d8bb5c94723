"""Check a built sdist and wheel: required files present, nothing stray, one version, the
C++ core inside the wheel, and its external libraries limited to the C++ runtime and libc.

Usage: python tools/check_dists.py SDIST WHEEL [--auditwheel PATH]
(needs pyelftools, which auditwheel installs).  Exits non-zero with a message on failure.
"""

from __future__ import annotations

import argparse
import email.parser
import fnmatch
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

# DT_NEEDED entries a Linux wheel may have: the C++ runtime and the C library (glibc's parts
# and its dynamic loader).  Python extension modules never link libpython on Linux.
ALLOWED_LIBS = re.compile(
    r"^(libstdc\+\+\.so\.6|libgcc_s\.so\.1|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2"
    r"|librt\.so\.1|ld-linux-[\w-]+\.so\.\d)$"
)

SDIST_REQUIRED = [
    "pyproject.toml", "CMakeLists.txt", "README.md", "LICENSE", "THIRD_PARTY_NOTICES.md", "CHANGELOG.md",
    "cpp/*.cpp", "cpp/*.hpp", "src/module.cpp", "python/labelsieve/__init__.py", "python/labelsieve/_core.pyi",
    "python/labelsieve/py.typed", "python/labelsieve/data/NOTICE.md", "python/labelsieve/data/*.npz",
    "tests/test_packaging.py",
]
SDIST_FORBIDDEN = ["*.so", "*.pyd", "*.o", "build/*", ".git/*", "*__pycache__*", "dist/*", "*.egg-info/*"]
WHEEL_REQUIRED = [
    "labelsieve/__init__.py", "labelsieve/_core.pyi", "labelsieve/py.typed", "labelsieve/data/NOTICE.md",
    "labelsieve/data/*.npz", "labelsieve/_numba/__init__.py",
    "labelsieve-*.dist-info/licenses/LICENSE", "labelsieve-*.dist-info/licenses/THIRD_PARTY_NOTICES.md",
]
WHEEL_FORBIDDEN = ["tests/*", "*.cpp", "*.hpp", "*__pycache__*", "labelsieve/*.o"]


def fail(message: str) -> None:
    sys.exit(f"check_dists: FAILED: {message}")


def check_names(kind: str, names: list[str], required: list[str], forbidden: list[str]) -> None:
    for pattern in required:
        if not fnmatch.filter(names, pattern):
            fail(f"{kind} lacks {pattern}")
    for pattern in forbidden:
        hits = fnmatch.filter(names, pattern)
        if hits:
            fail(f"{kind} must not contain {pattern}: {hits[:5]}")


def metadata(text: str) -> email.message.Message:
    return email.parser.Parser().parsestr(text)


def source_version(init_text: str) -> str:
    found = re.findall(r"""^__version__\s*=\s*["']([^"']+)["']""", init_text, re.M)
    if len(found) != 1:
        fail(f"expected one __version__ in __init__.py, found {found}")
    return found[0]


def check_sdist(path: Path) -> str:
    with tarfile.open(path) as tar:
        members = tar.getnames()
        top = members[0].split("/")[0]
        names = [m[len(top) + 1 :] for m in members if m.startswith(top + "/")]
        check_names("sdist", names, SDIST_REQUIRED, SDIST_FORBIDDEN)
        pkg_info = metadata(tar.extractfile(f"{top}/PKG-INFO").read().decode())
        version = source_version(tar.extractfile(f"{top}/python/labelsieve/__init__.py").read().decode())
    if pkg_info["Version"] != version or top != f"labelsieve-{version}":
        fail(f"sdist version mismatch: PKG-INFO {pkg_info['Version']}, __init__ {version}, dir {top}")
    if pkg_info["License-Expression"] != "MIT":
        fail(f"sdist License-Expression is {pkg_info['License-Expression']!r}")
    print(f"sdist {path.name}: {len(names)} files, version {version}, licence files present")
    return version


def needed_libraries(blob: bytes) -> list[str]:
    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile

    with tempfile.TemporaryFile() as fh:
        fh.write(blob)
        fh.seek(0)
        elf = ELFFile(fh)
        return [
            tag.needed
            for section in elf.iter_sections()
            if isinstance(section, DynamicSection)
            for tag in section.iter_tags()
            if tag.entry.d_tag == "DT_NEEDED"
        ]


def check_wheel(path: Path, version: str) -> list[str]:
    with zipfile.ZipFile(path) as whl:
        names = whl.namelist()
        check_names("wheel", names, WHEEL_REQUIRED, WHEEL_FORBIDDEN)
        cores = [n for n in names if re.fullmatch(r"labelsieve/_core\..*(so|pyd)", n)]
        if len(cores) != 1:
            fail(f"the wheel must contain exactly one compiled labelsieve/_core, found {cores}: "
                 "a packaging build never drops the C++ core")
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = metadata(whl.read(info).decode())
        wheel_file = whl.read(info.replace("METADATA", "WHEEL")).decode()
        libs = needed_libraries(whl.read(cores[0])) if cores[0].endswith(".so") else []
    if meta["Version"] != version:
        fail(f"wheel version {meta['Version']} != sdist version {version}")
    if not set(meta.get_all("License-File") or []) >= {"LICENSE", "THIRD_PARTY_NOTICES.md"}:
        fail(f"wheel License-File entries: {meta.get_all('License-File')}")
    if "Root-Is-Purelib: false" not in wheel_file or "-none-any" in wheel_file:
        fail(f"a wheel with the C++ core must be a platform wheel:\n{wheel_file}")
    bad = [lib for lib in libs if not ALLOWED_LIBS.match(lib)]
    print(f"wheel {path.name}: {len(names)} files, core {cores[0]}")
    print(f"  external libraries (DT_NEEDED): {', '.join(libs) or 'none'}")
    if bad:
        fail(f"the extension needs libraries beyond the C++ runtime and libc: {bad}")
    return libs


def check_auditwheel(auditwheel: str, wheel: Path) -> None:
    proc = subprocess.run([auditwheel, "show", str(wheel)], capture_output=True, text=True)
    text = " ".join((proc.stdout + proc.stderr).split())
    print("  auditwheel show:", text)
    if proc.returncode != 0:
        fail(f"auditwheel show exited {proc.returncode}")
    if "external shared libraries are required" in text and not re.search(r"required by the wheel: \{\s*\}", text):
        fail("auditwheel reports external shared libraries that would have to be vendored")
    system = re.findall(r"([\w+.-]+\.so[\d.]*) with versions", text)
    bad = [lib for lib in system if not ALLOWED_LIBS.match(lib)]
    if bad:
        fail(f"auditwheel: versioned symbols from libraries beyond the C++ runtime and libc: {bad}")
    tag = re.search(r'platform tag:? "?(manylinux_\d+_\d+_\w+)', text)
    if not tag:
        fail("auditwheel did not report a manylinux platform tag for the wheel")
    print(f"  auditwheel: system libraries {sorted(set(system))}; consistent with {tag.group(1)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sdist", type=Path)
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--auditwheel", help="path of the auditwheel executable (Linux wheels)")
    args = parser.parse_args()
    version = check_sdist(args.sdist)
    check_wheel(args.wheel, version)
    if args.auditwheel:
        check_auditwheel(args.auditwheel, args.wheel)
    print("check_dists: OK")


if __name__ == "__main__":
    main()
