# Sourced by bin/hub and bin/test: create .venv and install the project from
# pyproject.toml when it is missing or pyproject.toml changed. Needs only python3 >= 3.11.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"
PY="${PYTHON:-python3}"
stamp_for() { echo "$VENV/.installed-$( (cat "$ROOT/pyproject.toml"; echo "$1") | sha256sum | cut -c1-16)"; }
stamp="$(stamp_for "$EXTRAS")"
# The test install is a superset of the plain one: bin/hub may use it as it is.
if [ -z "$EXTRAS" ] && [ -f "$(stamp_for test)" ]; then stamp="$(stamp_for test)"; fi
if [ ! -f "$stamp" ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV" >&2
  fi
  quiet() { grep -v "^WARNING: Location .* is ignored" >&2 || true; }  # this machine's pip.conf
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | quiet
  target="$ROOT"
  [ -n "$EXTRAS" ] && target="$ROOT[$EXTRAS]"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$target" 2>&1 | quiet
  rm -f "$VENV"/.installed-* && touch "$stamp"
fi
