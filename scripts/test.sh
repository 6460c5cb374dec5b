#!/usr/bin/env bash
# Builds nabla and runs the whole test suite. With --sanitize, builds and runs it under
# AddressSanitizer + UndefinedBehaviorSanitizer (Clang) in a separate build directory, then runs
# the file readers' fuzzers; with --tsan, the tests of threaded code under ThreadSanitizer.
#   scripts/test.sh              # build/      : the test suite (GCC, Release)
#   scripts/test.sh --sanitize   # build-asan/ : the same tests under ASan+UBSan, then the fuzzers
#   scripts/test.sh --tsan       # build-tsan/ : tests/threads under TSan
# FUZZ_SECONDS (default 60) is how long each fuzzer runs.
set -euo pipefail
source "$(dirname "$0")/common.sh"

mode="${1:-}"
build="$ROOT/build"
flags=(-DCMAKE_BUILD_TYPE=Release)
# The sanitizer builds: Clang compiles them three to five times faster than GCC, and libFuzzer
# comes with it. -O1 -g1: quick to build, still fast enough to run, stack traces with lines.
sanitized=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG")
case "$mode" in
  "") ;;
  --sanitize)
    build="$ROOT/build-asan"
    flags=("${sanitized[@]}" -DNABLA_SANITIZE=ON -DNABLA_FUZZ=ON)
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    ;;
  --tsan)
    build="$ROOT/build-tsan"
    flags=("${sanitized[@]}" -DNABLA_TSAN=ON -DNABLA_BUILD_EXAMPLES=OFF)
    export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
    ;;
  *)
    echo "usage: scripts/test.sh [--sanitize | --tsan]" >&2
    exit 2
    ;;
esac

"$ROOT/scripts/install-deps.sh" --test
cmake -S "$ROOT" -B "$build" "${flags[@]}" -DNABLA_BUILD_TESTS=ON
cmake --build "$build" -j "$JOBS"
if [ -z "$mode" ]; then
  # The API reference from the public headers: Doxygen's warnings fail the run.
  cmake --build "$build" --target docs
fi
ctest --test-dir "$build" --output-on-failure -LE fuzz -j "$JOBS"
if [ "$mode" = "--sanitize" ]; then
  # The fuzzers, two at a time (each runs FUZZ_SECONDS; a crash fails the run with its input).
  FUZZ_SECONDS="${FUZZ_SECONDS:-60}" ctest --test-dir "$build" --output-on-failure -L fuzz -j 2
fi
