#!/usr/bin/env bash
# The kernel's own ynl library (tools/net/ynl of Debian's linux-source
# package), for tests/ynl_interop.rs: the package's kernel tree is
# unpacked only as far as tools/net/ynl, into $TOOLS/ynl, beside a venv
# with PyYAML (the library's one dependency). Idempotent; does nothing when
# REFERENCES is empty, as every script here.
set -euo pipefail
[ -n "${REFERENCES:-}" ] || exit 0
: "${TOOLS:?TOOLS must name the folder to install into}"

version=6.12
dest="$TOOLS/ynl"
if [ ! -f "$dest/lib/ynl.py" ]; then
    tarball="/usr/src/linux-source-$version.tar.xz"
    if [ ! -f "$tarball" ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "linux-source-$version" >/dev/null
    fi
    unpacked=$(mktemp -d)
    trap 'rm -rf "$unpacked"' EXIT
    tar -xJf "$tarball" -C "$unpacked" --wildcards "linux-source-$version/tools/net/ynl/lib/*"
    mkdir -p "$dest"
    cp -r "$unpacked/linux-source-$version/tools/net/ynl/lib" "$dest/"
    echo "ynl: $dest/lib (linux-source-$version)"
fi
if [ ! -x "$dest/venv/bin/python" ] || ! "$dest/venv/bin/python" -c 'import yaml' 2>/dev/null; then
    python3 -m venv "$dest/venv"
    "$dest/venv/bin/pip" install -q pyyaml
    echo "ynl: $dest/venv (PyYAML)"
fi
