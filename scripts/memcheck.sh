#!/usr/bin/env bash
# Runs the example programs under valgrind's memcheck: no invalid access, no use of
# uninitialised memory, and no leak (definitely or indirectly lost) — errors fail the run.
# Uses the Release build of scripts/test.sh (build/), building the examples if needed.
#   scripts/memcheck.sh            # the walkthrough (computational_graph) and tensor_basics
set -euo pipefail
source "$(dirname "$0")/common.sh"

build="$ROOT/build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  "$ROOT/scripts/install-deps.sh" --test
  cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" -j "$JOBS" --target computational_graph tensor_basics
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
memcheck=(valgrind --quiet --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite,indirect
  --show-leak-kinds=definite,indirect)
echo "memcheck: tensor_basics"
"${memcheck[@]}" "$build/examples/tensor_basics" > "$out/tensor_basics.txt"
echo "memcheck: computational_graph"
"${memcheck[@]}" "$build/examples/computational_graph" "$out/graphs" > "$out/computational_graph.txt"
echo "memcheck: no errors and no leaks"
