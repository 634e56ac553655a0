#!/usr/bin/env bash
# pyroute2, the envelope transport's reference (WIRE.md section 3), from its
# PyPI sdists:
# - 0.2.16 (PortsId envelopes) in a Python 3.7 venv, $TOOLS/pyroute2/venv;
# - 0.2.2 (Ports envelopes) for Python 2.7, which has no venv module:
#   installed with --target into $TOOLS/pyroute2/py27-site (put it on
#   PYTHONPATH), the interpreter linked as $TOOLS/pyroute2/python27;
#   skipped with a notice when Python 2.7 is absent.
# 0.2.16 imports only on Python <= 3.7; the interop tests put the
# references' shim folder on PYTHONPATH themselves (it is not copied here).
# Idempotent: does nothing for what is already installed.
set -euo pipefail

if [ -z "${REFERENCES:-}" ]; then
    echo "pyroute2: no REFERENCES, nothing to do"
    exit 0
fi
: "${TOOLS:?TOOLS must name the folder for installed references}"

PYTHON37="${PYROUTE2_PYTHON:-$HOME/.pyenv/versions/3.7.16/bin/python}"
PYTHON27="${PYROUTE2_PYTHON27:-$HOME/.pyenv/versions/2.7.18/bin/python}"
DIR="$TOOLS/pyroute2"
VENV="$DIR/venv"
SITE27="$DIR/py27-site"
mkdir -p "$DIR/sdist"

if [ -x "$VENV/bin/python" ] &&
    [ "$("$VENV/bin/pip" show pyroute2 2>/dev/null | sed -n 's/^Version: //p')" = "0.2.16" ]; then
    echo "pyroute2: $VENV has pyroute2 0.2.16"
else
    if [ ! -x "$PYTHON37" ]; then
        echo "pyroute2: Python 3.7 not found at $PYTHON37 (set PYROUTE2_PYTHON)" >&2
        exit 1
    fi
    "$PYTHON37" -m venv --clear "$VENV"
    "$VENV/bin/pip" download --quiet --no-deps --no-binary :all: --dest "$DIR/sdist" "pyroute2==0.2.16"
    "$VENV/bin/pip" install --quiet --no-deps --no-index "$DIR/sdist/pyroute2-0.2.16.tar.gz"
    echo "pyroute2: installed pyroute2 0.2.16 in $VENV"
fi

if [ -f "$SITE27/pyroute2-0.2.2-py2.7.egg-info/PKG-INFO" ] && [ -x "$DIR/python27" ]; then
    echo "pyroute2: $SITE27 has pyroute2 0.2.2"
elif [ ! -x "$PYTHON27" ]; then
    echo "pyroute2: no Python 2.7 at $PYTHON27 (set PYROUTE2_PYTHON27): pyroute2 0.2.2 not installed"
else
    "$PYTHON27" -m pip download --quiet --no-deps --no-binary :all: --dest "$DIR/sdist" "pyroute2==0.2.2"
    "$PYTHON27" -m pip install --quiet --no-deps --no-index --upgrade --target "$SITE27" "$DIR/sdist/pyroute2-0.2.2.tar.gz"
    ln -sfn "$PYTHON27" "$DIR/python27"
    echo "pyroute2: installed pyroute2 0.2.2 in $SITE27 (with $PYTHON27)"
fi
