#!/usr/bin/env bash
# Builds nabla and runs the whole test suite. With --sanitize, builds and runs it under
# AddressSanitizer + UndefinedBehaviorSanitizer in a separate build directory.
#   scripts/test.sh              # build/ : the test suite
#   scripts/test.sh --sanitize   # build-asan/ : the same tests under ASan+UBSan
set -euo pipefail
source "$(dirname "$0")/common.sh"

build="$ROOT/build"
flags=(-DCMAKE_BUILD_TYPE=Release)
if [ "${1:-}" = "--sanitize" ]; then
  build="$ROOT/build-asan"
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNABLA_SANITIZE=ON)
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi

"$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$build" "${flags[@]}" -DNABLA_BUILD_TESTS=ON
cmake --build "$build" -j "$JOBS"
ctest --test-dir "$build" --output-on-failure
