#!/usr/bin/env bash
# Build cost of a typed surface (graph-endpoint-device-management by default,
# or the crate named: graph-endpoint-device-app-management):
# the crate alone, compiled from scratch (CARGO_INCREMENTAL=0, after touching
# it) once its dependencies are built: every area (default features) in the
# dev and release profiles, then each area alone in the dev profile. Prints
# wall-clock seconds and the peak RSS of the largest process (rustc), with
# the machine's load average before each build. (The catalog, which the
# payload checks use, is a feature of its own: off for consumers, on for the
# crate's tests and examples.) Last, a consumer's rebuild: an example using
# the crate (intune_inventory, or upload_win32_app for the apps crate), its
# source touched and rebuilt with the incremental cache on, as a developer
# editing a program that uses the crate would.
#
#   scripts/typed-build-cost.sh            # results in target/typed-build-cost.md
#   scripts/typed-build-cost.sh graph-endpoint-device-app-management
#                                          # results in target/typed-build-cost-graph-endpoint-device-app-management.md
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_INCREMENTAL=0
crate=${1:-graph-endpoint-device-management}
if [ "$crate" = graph-endpoint-device-management ]; then
  out="$root/target/typed-build-cost.md"
else
  out="$root/target/typed-build-cost-$crate.md"
fi
# The crate's areas: its `all` feature.
areas=$(cargo metadata --format-version 1 --no-deps | CRATE="$crate" python3 -c '
import json, os, sys
for package in json.load(sys.stdin)["packages"]:
    if package["name"] == os.environ["CRATE"]:
        print(" ".join(package["features"]["all"]))
')
mkdir -p "$root/target"

measure() { # label, cargo args...
  local label=$1; shift
  cargo build --quiet -p "$crate" "$@" >/dev/null 2>&1 # dependencies, and a first build
  touch "$crate/src/lib.rs"
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local log; log=$(mktemp)
  /usr/bin/time -f '%e %M' -o "$log" cargo build --quiet -p "$crate" "$@"
  read -r secs kib < "$log"
  rm -f "$log"
  awk -v l="$label" -v s="$secs" -v k="$kib" -v a="$load" \
    'BEGIN { printf "| %s | %.1f | %.2f | %s |\n", l, s, k / 1048576, a }'
}

if [ "$crate" = graph-endpoint-device-management ]; then
  consumer=intune_inventory
else
  consumer=upload_win32_app
fi

rebuild() { # label, example
  local label=$1 example=$2
  CARGO_INCREMENTAL=1 cargo build --quiet --example "$example" >/dev/null 2>&1
  touch "examples/$example.rs"
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  local log; log=$(mktemp)
  CARGO_INCREMENTAL=1 /usr/bin/time -f '%e %M' -o "$log" cargo build --quiet --example "$example"
  read -r secs kib < "$log"
  rm -f "$log"
  awk -v l="$label" -v s="$secs" -v k="$kib" -v a="$load" \
    'BEGIN { printf "| %s | %.1f | %.2f | %s |\n", l, s, k / 1048576, a }'
}

{
  echo "| build (crate alone, from scratch) | seconds | peak RSS (GiB) | load before |"
  echo "|---|---:|---:|---:|"
  measure "all areas, dev"
  measure "all areas, release" --release
  measure "all areas + catalog (payload checks), dev" --features catalog
  for area in $areas; do
    measure "$area alone, dev" --no-default-features --features "$area"
  done
  rebuild "a consumer's rebuild (examples/$consumer.rs touched, incremental), dev" "$consumer"
} | tee "$out"
