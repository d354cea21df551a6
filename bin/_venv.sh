# Sourced by bin/hub and bin/test: create .venv and install the project from
# pyproject.toml when it is missing or pyproject.toml changed. Needs only python3 >= 3.11.
# Everything it says goes to stderr, so bin/hub's own output stays clean.
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
    echo "hub: creating the virtualenv $VENV ($("$PY" --version))..." >&2
    "$PY" -m venv "$VENV" >&2
  fi
  quiet() { grep --line-buffered -v "^WARNING: Location .* is ignored" >&2 || true; }  # this machine's pip.conf
  target="$ROOT"
  [ -n "$EXTRAS" ] && target="$ROOT[$EXTRAS]"
  echo "hub: installing the project and its dependencies${EXTRAS:+ (extras: $EXTRAS)} into" \
       ".venv with pip (first run, or pyproject.toml changed; 1-2 minutes)..." >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | quiet
  # pip's own lines (Collecting..., Installing...) are the progress; pipefail keeps its
  # status; the whole output is kept for when it fails.
  mkdir -p "$ROOT/.hub/logs"
  piplog="$ROOT/.hub/logs/pip-install.log"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
      -e "$target" 2>&1 | tee "$piplog" \
      | { grep --line-buffered -iE "^(collecting|installing|successfully|error)" >&2 || true; }
  then
    echo "hub: pip install failed; its whole output: $piplog" >&2
    exit 1
  fi
  rm -f "$VENV"/.installed-* && touch "$stamp"
  echo "hub: .venv ready" >&2
fi
