#!/usr/bin/env bash
# Build cost of declared endpoints against the same endpoints written by hand
# with reqwest: `cargo build` (dev profile, no incremental cache) of a crate
# holding the first N endpoints of the /deviceManagement corpus, N = 100,
# 1,000 and 2,294, after the dependencies are built; plus the macro's
# expansion time and `cargo llvm-lines` at N = 2,294.
#
# Two shapes, each measured on both sides:
# - library: the endpoints alone (trait declarations; hand-written functions).
#   Declared methods are generic over the implementing type, so their code is
#   generated where they are used; the hand-written functions are compiled
#   to machine code here.
# - program: the endpoints plus one `async fn` per endpoint that awaits it
#   (codegen's `--instantiate`), as a program calling every endpoint once
#   would have; both sides then compile every endpoint down to machine code.
#
#   scripts/build-cost.sh            # results in target/build-cost/results.md
#
# Everything happens in target/build-cost (its own workspace and target dir),
# with this repository's Cargo.lock so both sides use the same crate versions.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work="$root/target/build-cost"
corpus="$root/graph-endpoint-device-management/corpus/device-management.json"
sizes=(0 100 1000 2294)

cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p graph-endpoint-codegen --bins --example handwritten_baseline
target="${CARGO_TARGET_DIR:-$root/target}"
gen="$target/release/graph-endpoint-codegen"
hand="$target/release/examples/handwritten_baseline"

rm -rf "$work/crates"
mkdir -p "$work/crates"
members=()
for n in "${sizes[@]}"; do
  for shape in library program; do
    callers=()
    if [ "$shape" = program ]; then callers=(--instantiate); fi
    for kind in declared hand; do
      name="${kind}_${shape}_$n"
      dir="$work/crates/$name"
      mkdir -p "$dir/src"
      members+=("\"crates/$name\"")
      if [ "$kind" = declared ]; then
        cat > "$dir/Cargo.toml" <<TOML
[package]
name = "$name"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
graph-endpoint = { path = "$root/graph-endpoint" }
serde_json = "1"
TOML
        { echo "#![allow(missing_docs, unused_imports)]"; echo "use graph_endpoint::graph_action;"; "$gen" "$corpus" --limit "$n" "${callers[@]}"; } > "$dir/src/lib.rs"
      else
        cat > "$dir/Cargo.toml" <<TOML
[package]
name = "$name"
version = "0.0.0"
edition = "2024"
publish = false
[dependencies]
reqwest = { version = "0.13", default-features = false, features = ["rustls", "http2"] }
serde_json = "1"
uuid = { version = "1", features = ["v4"] }
percent-encoding = "2"
TOML
        { echo "#![allow(dead_code, missing_docs, unused_imports)]"; "$hand" "$corpus" --limit "$n" "${callers[@]}"; } > "$dir/src/lib.rs"
      fi
    done
  done
done
( IFS=,; printf '[workspace]\nresolver = "3"\nmembers = [%s]\n' "${members[*]}" ) > "$work/Cargo.toml"
cp "$root/Cargo.lock" "$work/Cargo.lock"

cd "$work"
# Without incremental compilation: each timed build compiles its crate from
# scratch, never reusing what an earlier run of this script left behind.
export CARGO_INCREMENTAL=0
echo "building the dependencies once..." >&2
# One at a time: built together, their dependencies' features would unify
# differently from the measured builds below.
cargo build --quiet -p declared_library_0
cargo build --quiet -p hand_library_0

seconds() {
  local start end
  touch "crates/$1/src/lib.rs"
  start=$(date +%s.%N)
  cargo build --quiet -p "$1"
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }'
}

{
  for shape in library program; do
    echo "$shape:"
    echo
    echo "| N | declared (s) | hand-written (s) | ratio |"
    echo "|---|---|---|---|"
    for n in "${sizes[@]}"; do
      d=$(seconds "declared_${shape}_$n")
      h=$(seconds "hand_${shape}_$n")
      awk -v n="$n" -v d="$d" -v h="$h" 'BEGIN { printf "| %s | %.2f | %.2f | %.2f |\n", n, d, h, d / h }'
    done
    echo
  done
  echo "Macro expansion at N = 2294 (rustc -Z time-passes, expand_crate):"
  touch crates/declared_library_2294/src/lib.rs
  RUSTC_BOOTSTRAP=1 cargo rustc --quiet -p declared_library_2294 -- -Z time-passes 2>&1 | grep -E "expand_crate" | head -1
  if cargo llvm-lines --version >/dev/null 2>&1; then
    for kind in declared hand; do
      echo
      echo "cargo llvm-lines -p ${kind}_program_2294 (totals and top entries):"
      cargo llvm-lines --quiet -p "${kind}_program_2294" 2>/dev/null | head -8
    done
  else
    echo
    echo "(cargo llvm-lines not installed: cargo install cargo-llvm-lines)"
  fi
} | tee "$work/results.md"
