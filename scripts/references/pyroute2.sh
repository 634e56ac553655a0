#!/usr/bin/env bash
# pyroute2 0.2.16 (the envelope transport's reference, WIRE.md section 3) in
# a Python 3.7 venv under $TOOLS/pyroute2/venv, installed from its PyPI
# sdist. 0.2.16 imports only on Python <= 3.7; the interop tests put the
# references' shim folder on PYTHONPATH themselves (it is not copied here).
# Idempotent: does nothing once the venv imports pyroute2 0.2.16.
set -euo pipefail

if [ -z "${REFERENCES:-}" ]; then
    echo "pyroute2: no REFERENCES, nothing to do"
    exit 0
fi
: "${TOOLS:?TOOLS must name the folder for installed references}"

VERSION=0.2.16
PYTHON="${PYROUTE2_PYTHON:-$HOME/.pyenv/versions/3.7.16/bin/python}"
DIR="$TOOLS/pyroute2"
VENV="$DIR/venv"

if [ -x "$VENV/bin/python" ] &&
    [ "$("$VENV/bin/pip" show pyroute2 2>/dev/null | sed -n 's/^Version: //p')" = "$VERSION" ]; then
    echo "pyroute2: $VENV has pyroute2 $VERSION"
    exit 0
fi

if [ ! -x "$PYTHON" ]; then
    echo "pyroute2: Python 3.7 not found at $PYTHON (set PYROUTE2_PYTHON)" >&2
    exit 1
fi

mkdir -p "$DIR/sdist"
"$PYTHON" -m venv --clear "$VENV"
"$VENV/bin/pip" download --quiet --no-deps --no-binary :all: --dest "$DIR/sdist" "pyroute2==$VERSION"
"$VENV/bin/pip" install --quiet --no-deps --no-index "$DIR/sdist/pyroute2-$VERSION.tar.gz"
"$VENV/bin/python" -c "import pyroute2" 2>/dev/null
echo "pyroute2: installed pyroute2 $VERSION in $VENV"
