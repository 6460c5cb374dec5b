#!/usr/bin/env bash
# Runs one libFuzzer target for $FUZZ_SECONDS (default 60) from a copy of its committed seed
# corpus; a crash leaves its input as crash-* in the work directory and fails the test.
#   run_fuzzer.sh <fuzzer> <seed corpus dir> <work dir>
set -euo pipefail
fuzzer="$1" seeds="$2" work="$3"
rm -rf "$work" && mkdir -p "$work/corpus"
cp "$seeds"/* "$work/corpus/"
cd "$work"
export TMPDIR="$work"
exec "$fuzzer" -max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=2048 -timeout=20 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/" corpus
