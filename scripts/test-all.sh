#!/usr/bin/env bash
# The whole test suite: formatting, lints, docs, unit/integration/property
# tests, doctests, the no_std proof, bench compilation (and one pass of each
# benchmark), the packaged crate's own tests and a bounded fuzz run of every
# fuzz target. Everything it reads is inside the repository (tests/data).
# Installs what it needs (cargo-fuzz); fails loudly when something it cannot
# install is missing.
#
# FUZZ_SECONDS (default 20) bounds each fuzz target's run.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_seconds=${FUZZ_SECONDS:-20}
step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
temps=()
trap 'rm -rf ${temps[@]+"${temps[@]}"}' EXIT

step "toolchains and tools"
cargo --version
rustup toolchain list | grep -q '^nightly' || die "the nightly toolchain is required for cargo-fuzz and cannot be fetched here"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
cargo fuzz --version

step "Debian packages (libmnl for the comparison benchmarks)"
if ! dpkg -s libmnl-dev pkg-config >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq libmnl-dev pkg-config
fi

step "interop venv (the reference procslink 0.1.2, for the interop tests)"
if ! target/interop-venv/bin/python -c 'import procslink' 2>/dev/null; then
    rm -rf target/interop-venv
    python3 -m venv target/interop-venv
    target/interop-venv/bin/pip install --quiet procslink==0.1.2
fi
target/interop-venv/bin/python -c 'import procslink; print("python procslink", procslink.__file__)'
# pyroute2 (PyPI) decodes the live rtnetlink dumps tests/families_pyroute2.rs
# compares the generated tables with.
target/interop-venv/bin/python -c 'import pyroute2' 2>/dev/null || target/interop-venv/bin/pip install --quiet pyroute2

step "seed-system references (installed for the interop tests: scripts/references/)"
if [ -d ../shared/references/ ]; then
    REFERENCES=$(cd ../shared/references/ && pwd)
else
    REFERENCES=
    echo "notice: no ../shared/references/ beside the repository: the seed-system interop tests will skip (fail under CI=true)"
fi
TOOLS="$PWD/target/references"
mkdir -p "$TOOLS"
export REFERENCES TOOLS
for script in scripts/references/*.sh; do
    [ -e "$script" ] || continue
    printf '  %s\n' "$script"
    bash "$script"
done

step "test data (tests/data: intact, and nothing reads fixtures from outside the repository)"
(
    cd tests/data
    sha256sum --quiet --strict -c SHA256SUMS
    find . -name '*.bin' | sed 's|^\./||' | sort | diff -u - <(awk '{print $2}' SHA256SUMS | sort) ||
        die "tests/data and tests/data/SHA256SUMS list different files"
)
# Only interop tests may use the sibling folder, and only its references/;
# and the generated-families check below, its netlink-specs/.
sibling=shared
if grep -rnIE --exclude-dir=target "\.\./$sibling|$sibling/corpus|PROCSLINK_""CORPUS" \
    src tests benches fuzz examples bench-compare scripts .ci |
    grep -v -e "$sibling/references/" -e "$sibling/netlink-specs"; then
    die "the lines above read fixtures from outside the repository; use tests/data"
fi

step "generated netlink families match the kernel's specifications (codegen --check)"
# The one check that needs the sibling folder: it skips with a notice where
# the specifications are absent, and fails there under CI=true.
specs="../$sibling/netlink-specs"
if [ -d "$specs" ]; then
    cargo run --quiet -p procslink-codegen -- --check "$specs" src/families
elif [ "${CI:-}" = true ]; then
    die "$specs is missing: CI checks the generated families against it"
else
    echo "notice: no $specs beside the repository: the generated-families check is skipped"
fi

step "cargo fmt --check"
cargo fmt --all -- --check
(cd fuzz && cargo fmt --all -- --check)
(cd ci/nostd-check && cargo fmt --all -- --check)
(cd ci/size-check && cargo fmt --all -- --check)

step "cargo clippy"
cargo clippy --all-targets --all-features -- -D warnings
cargo clippy --lib --no-default-features -- -D warnings
cargo clippy -p procslink-codegen --all-targets -- -D warnings
cargo clippy -p procslink-bench --all-targets --all-features -- -D warnings

step "cargo doc (and as docs.rs builds it: every library feature, with feature badges)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features
docsrs_features=$(python3 -c 'import sys, tomllib; print(",".join(tomllib.load(open("Cargo.toml", "rb"))["package"]["metadata"]["docs"]["rs"]["features"]))')
RUSTDOCFLAGS="--cfg docsrs -D warnings" cargo +nightly doc --no-deps -p procslink --features "$docsrs_features" \
    --target-dir target/docsrs

step "cargo test (bench-compare's too: its checks read tests/data)"
cargo test --workspace --all-features
cargo test --no-default-features --doc

step "no_std proof (fails to build if the core pulls in std or alloc)"
cargo build --manifest-path ci/nostd-check/Cargo.toml
cargo build --release --manifest-path ci/nostd-check/Cargo.toml
cargo build --release --manifest-path ci/nostd-check/Cargo.toml --features families

step "a no_std consumer's machine code (ci/size-check): families it does not use cost nothing"
command -v size >/dev/null || { apt-get update -qq && apt-get install -y -qq binutils; }
sizes=$(bash ci/size-check/measure.sh)
printf '%s\n' "$sizes"
typed_text=$(awk -F'|' '/typed rt-link summary/ { gsub(/ /, "", $4); print $4 }' <<<"$sizes" | sort -u)
[ "$(wc -l <<<"$typed_text")" = 1 ] || { echo "error: unused families changed the typed consumer's .text" >&2; exit 1; }

step "benches compile, and run once each (criterion --test) on tests/data"
cargo bench --no-run --workspace --all-features
cargo bench --workspace --all-features --bench netlink --bench jsonrpc --bench compare --bench throughput --bench typed_summary -- --test
# The kernel dump bench, small, in a network namespace it makes (needs
# root; skips with a notice without it); pyroute2 goes into the interop venv
# for its Python rows.
target/interop-venv/bin/python -c 'import pyroute2' 2>/dev/null || target/interop-venv/bin/pip install --quiet pyroute2
PROCSLINK_BENCH_ROUTES=200 PROCSLINK_BENCH_VETHS=5 cargo bench --workspace --all-features --bench kernel_dump -- --test

step "the package: cargo package, then the unpacked crate's own tests"
meta=$(cargo metadata --format-version 1 --no-deps)
target_dir=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' <<<"$meta")
version=$(python3 -c 'import json, sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "procslink"))' <<<"$meta")
cargo package --allow-dirty --no-verify
crate="$target_dir/package/procslink-$version.crate"
printf '  %s: %s bytes, %s files\n' "$crate" "$(stat -c %s "$crate")" "$(tar -tzf "$crate" | wc -l)"
unpacked=$(mktemp -d)
temps+=("$unpacked")
tar -xzf "$crate" -C "$unpacked"
# Outside this workspace, with its own target dir; the interop tests find
# the venv through PROCSLINK_PYTHON (the package has no target/).
python="$PWD/target/interop-venv/bin/python"
(
    cd "$unpacked/procslink-$version"
    PROCSLINK_PYTHON="$python" PROCSLINK_REFERENCES="$REFERENCES" PROCSLINK_REFERENCE_TOOLS="$TOOLS" \
        CARGO_TARGET_DIR="$unpacked/target" cargo test --locked --all-features
)

step "fuzz (${fuzz_seconds}s per target)"
cargo +nightly fuzz build
seeds=$(mktemp -d)
temps+=("$seeds")
for target in $(cargo +nightly fuzz list); do
    corpus="$seeds/$target"
    mkdir -p "$corpus"
    cp tests/data/*.bin tests/data/seed-systems/*.bin "$corpus"/
    for f in tests/data/procslink/*.bin; do
        cp "$f" "$corpus/$(basename "$f")"
        tail -c +41 "$f" > "$corpus/json-$(basename "$f" .bin)"
    done
    printf '  %s\n' "$target"
    log="$seeds/$target.log"
    if ! cargo +nightly fuzz run "$target" "$corpus" -- \
        -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log"
        die "fuzz target $target failed"
    fi
    grep -E '^(stat::number_of_executed_units|#[0-9]+ *DONE)' "$log" || true
done

step "all checks passed"
