#!/usr/bin/env bash
# The machine code a no_std consumer links in (.text of a cdylib with LTO,
# panic = abort, one exported function): the plain walk with no family,
# the typed rt-link summary with only family-rt-link, and the same summary
# with every family on (unused families should cost nothing).
# Usage: bash ci/size-check/measure.sh   (prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")"
target=${CARGO_TARGET_DIR:-$PWD/../../target/size-check}
text() {
    CARGO_TARGET_DIR="$target" cargo build --quiet --release --features "$1" >&2
    size -A "$target/release/libprocslink_size_check.so" | awk '$1 == ".text" { print $2 }'
}
walk=$(text walk)
typed=$(text typed)
all=$(text typed,all-families)
echo "| consumer (no_std cdylib, LTO, panic = abort) | features | .text bytes |"
echo "|---|---|--:|"
echo "| plain walk of a link dump | none | $walk |"
echo "| typed rt-link summary | \`family-rt-link\` | $typed |"
echo "| typed rt-link summary | \`families\` (all 33) | $all |"
