#!/usr/bin/env bash
# Build the documentation site (mkdocs + mkdocstrings API reference from the docstrings)
# with warnings as errors.  Uses $PYTHON's environment; installs mkdocs there if missing
# (the same requirements as the package's `docs` extra: pip install ".[docs]").
# The package must import in that environment first, so an import-time failure cannot
# hide behind mkdocstrings' static analysis.
#   SITE_DIR   where to write the site (default: a temporary directory, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c "import mkdocs, mkdocstrings_handlers.python" 2>/dev/null; then
    "$PY" -m pip install --quiet "mkdocs>=1.6,<2" "mkdocstrings[python]>=0.26"
fi
# The modules the API reference documents (its "::: module" lines) must import, from the
# installed package (or from python/ when PYTHONPATH says so).
"$PY" - <<'PYEOF'
import importlib, pathlib, re
import labelsieve
modules = re.findall(r"^::: ([\w.]+)\s*$", pathlib.Path("docs/api.md").read_text(), re.M)
for name in modules:
    importlib.import_module(name)
print(f"docs: labelsieve {labelsieve.__version__} from {labelsieve.__file__}; API reference: {', '.join(modules)}")
PYEOF
# Pages under docs/ that the nav does not list (they still build, but nobody can find them).
"$PY" - <<'PYEOF'
import pathlib, re
nav = set(re.findall(r"^\s*- [^:]+: (\S+\.md)\s*$", pathlib.Path("mkdocs.yml").read_text(), re.M))
pages = {p.name for p in pathlib.Path("docs").glob("*.md")}
missing = sorted(pages - nav)
if missing:
    print("docs: NOTE pages not in the mkdocs.yml nav:", ", ".join(missing))
PYEOF
OUT=${SITE_DIR:-$(mktemp -d)}
[ -n "${SITE_DIR:-}" ] || trap 'rm -rf "$OUT"' EXIT
start=$SECONDS
"$PY" -m mkdocs build --strict --clean --site-dir "$OUT"
echo "docs: built $(find "$OUT" -name '*.html' | wc -l) pages in $((SECONDS - start)) s (strict)"
