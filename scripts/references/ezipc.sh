#!/usr/bin/env bash
# EZ-IPC (Yaulendil/ez-ipc, the seed's Python IPC): two Python 3.9 venvs
# for running the reference trees in $REFERENCES/ez-ipc/:
#   $TOOLS/ezipc/venv       blessings only   (Base85 and raw-JSON modes)
#   $TOOLS/ezipc/venv-nacl  blessings+pynacl (the encrypted mode)
# The reference needs Python 3.8 or 3.9 (WIRE.md section 5).
set -euo pipefail

if [ -z "${REFERENCES:-}" ] || [ ! -d "$REFERENCES/ez-ipc" ]; then
    echo "ezipc: no references, nothing to install"
    exit 0
fi
: "${TOOLS:?TOOLS must name the folder to install into}"

PYENV_ROOT="${PYENV_ROOT:-$HOME/.pyenv}"
PYTHON=""
for candidate in "$PYENV_ROOT"/versions/3.9.*/bin/python3 "$PYENV_ROOT"/versions/3.8.*/bin/python3; do
    if [ -x "$candidate" ]; then
        PYTHON="$candidate"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    echo "ezipc: no Python 3.9 or 3.8 under $PYENV_ROOT/versions: cannot run the reference" >&2
    exit 1
fi

# make_venv DIR IMPORTS PACKAGES...: a venv where `import IMPORTS` works.
make_venv() {
    local dir="$1" imports="$2"
    shift 2
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import $imports" 2>/dev/null; then
        echo "ezipc: $dir is ready"
        return
    fi
    rm -rf "$dir"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    echo "ezipc: made $dir ($*)"
}

mkdir -p "$TOOLS/ezipc"
make_venv "$TOOLS/ezipc/venv" "blessings" blessings
make_venv "$TOOLS/ezipc/venv-nacl" "blessings, nacl" blessings pynacl
