#!/usr/bin/env bash
# Builds nabla and runs the main demo (examples/tensor_basics.cpp).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=Release
cmake --build "$ROOT/build" -j "$JOBS" --target tensor_basics
"$ROOT/build/examples/tensor_basics"
