#!/usr/bin/env bash
# Builds the real Go domainsockets package's drivers (golib v1.0.2,
# `$REFERENCES/domainsockets-go/src/dscheck/{server,client}`) into
# `$TOOLS/domainsockets/`: `ds-server NAME` serves `echo` (upper-cases the
# data) for 20 s on `$TMPDIR/NAME`; `ds-client NAME ARG...` calls it once
# per argument. Installs Debian's golang-go when `go` is missing.
#
# The references tree is only read: Go runs in GOPATH mode with the tree
# as GOPATH, its build cache under `$TOOLS/domainsockets/`, and `go build
# -o` writes nothing but the output binary.
set -euo pipefail

if [ -z "${REFERENCES:-}" ]; then
    echo "domainsockets: no references (REFERENCES is empty); nothing to build"
    exit 0
fi
: "${TOOLS:?TOOLS must name the folder for built references}"

tree="$REFERENCES/domainsockets-go"
out="$TOOLS/domainsockets"
if [ ! -d "$tree/src/dscheck" ]; then
    echo "domainsockets: $tree/src/dscheck is missing; nothing to build" >&2
    exit 1
fi

if ! command -v go >/dev/null 2>&1; then
    echo "domainsockets: installing golang-go"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
fi

mkdir -p "$out/gocache" "$out/gotmp"
for driver in server client; do
    binary="$out/ds-$driver"
    # Up to date when newer than every source file of the tree.
    if [ -x "$binary" ] && [ -z "$(find "$tree/src" -newer "$binary" -name '*.go' -print -quit)" ]; then
        echo "domainsockets: $binary is up to date"
        continue
    fi
    env GO111MODULE=off GOFLAGS= GOPATH="$tree" GOCACHE="$out/gocache" \
        GOTMPDIR="$out/gotmp" GOENV=off \
        go build -o "$binary" "dscheck/$driver"
    echo "domainsockets: built $binary"
done
