#!/usr/bin/env bash
# Creates or refreshes a venv from a pinned requirements file. Re-installs only when the file changed.
# Usage: bash scripts/python-env.sh [requirements file] [venv]   (default: requirements.txt .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
requirements=${1:-requirements.txt}
venv=${2:-.venv}
stamp=$venv/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "== python: installing $requirements into $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
echo "$want" > "$stamp"
