#!/usr/bin/env bash
# Builds nabla and runs the main demo (examples/computational_graph.cpp): the computational
# graph step by step, with pictures of it written to graphs/ (or the folder given as $1).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$ROOT/build" -j "$JOBS" --target computational_graph
"$ROOT/build/examples/computational_graph" "${1:-graphs}"
