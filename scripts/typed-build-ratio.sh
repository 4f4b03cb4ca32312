#!/usr/bin/env bash
# The build time of graph-endpoint-device-management against the same crate
# at another commit (by default bf5efc7, the last one before strict
# decoding), as a ratio of alternated pairs: noise on a shared machine moves
# both builds of a pair alike, so the pairwise ratio holds where absolute
# times do not.
#
# The other commit is checked out in a worktree of its own under
# target/build-ratio/, with a target directory of its own (so each tree
# compiles against its own runtime and macros, and cargo cannot mistake one
# tree's artifacts for the other's). Each build is the crate alone from
# scratch: dependencies built first, then the crate touched and built with
# CARGO_INCREMENTAL=0. Pairs alternate, this tree first.
#
#   scripts/typed-build-ratio.sh [COMMIT] [PAIRS] [--release]
#
# Uses farm-bench (medians of runs and of pairwise ratios) when installed;
# otherwise times each build with /usr/bin/time and prints every pair.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-bf5efc7}
pairs=${2:-5}
profile=()
if [ "${3:-}" = --release ]; then profile=(--release); fi
crate=graph-endpoint-device-management
work="$root/target/build-ratio"
tree="$work/tree-$base"
mkdir -p "$work"
if [ ! -d "$tree" ]; then
  git -C "$root" worktree add --detach "$tree" "$base" >/dev/null
fi
export CARGO_INCREMENTAL=0
build() { # tree target-dir
  (cd "$1" && CARGO_TARGET_DIR="$2" cargo build -q "${profile[@]}" -p "$crate")
}
# Dependencies (and a first build of each crate), not timed.
build "$root" "$root/target"
build "$tree" "$work/target-$base"
cat >"$work/this.sh" <<EOF
#!/bin/sh
cd "$root" && touch $crate/src/lib.rs && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$root/target" exec cargo build -q ${profile[*]} -p $crate
EOF
cat >"$work/base.sh" <<EOF
#!/bin/sh
cd "$tree" && touch $crate/src/lib.rs && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$work/target-$base" exec cargo build -q ${profile[*]} -p $crate
EOF
if command -v farm-bench >/dev/null; then
  exec farm-bench -n "$pairs" --warmup 0 --timeout 3600 --vs "sh $work/base.sh" -- sh "$work/this.sh"
fi
printf 'pair\tthis (s)\t%s (s)\tratio\n' "$base"
for i in $(seq 1 "$pairs"); do
  a=$( { /usr/bin/time -f %e sh "$work/this.sh" >/dev/null; } 2>&1 | tail -1)
  b=$( { /usr/bin/time -f %e sh "$work/base.sh" >/dev/null; } 2>&1 | tail -1)
  printf '%s\t%s\t%s\t%s\n' "$i" "$a" "$b" "$(python3 -c "print(round($a / $b, 3))")"
done
