#!/usr/bin/env bash
# Installs the nabla built in BUILD_DIR into a temporary prefix and builds a consumer with
# find_package(nabla); then configures the same consumer with add_subdirectory(nabla) and
# compiles its source against the nabla target's usage requirements (building the library a
# second time from source would double the test suite's time; linking is what find_package's
# consumer checks).
set -euo pipefail
src="$1"
build="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/cmake/consumer" -B "$work/pkg" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/pkg" -j2 >/dev/null
"$work/pkg/consumer"
cmake -G "Unix Makefiles" -S "$src/tests/cmake/consumer" -B "$work/sub" -DNABLA_SOURCE_DIR="$src" -DNABLA_BUILD_TESTS=OFF \
  -DNABLA_BUILD_EXAMPLES=OFF >/dev/null
make -C "$work/sub" main.cpp.o >/dev/null
echo "find_package consumer built and ran; add_subdirectory consumer configured and compiled"
