#!/usr/bin/env bash
# Installs the nabla built in BUILD_DIR into a temporary prefix and builds a consumer with
# find_package(nabla); then builds the same consumer with add_subdirectory(nabla).
set -euo pipefail
src="$1"
build="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/cmake/consumer" -B "$work/pkg" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/pkg" -j2 >/dev/null
"$work/pkg/consumer"
cmake -S "$src/tests/cmake/consumer" -B "$work/sub" -DNABLA_SOURCE_DIR="$src" -DNABLA_BUILD_TESTS=OFF \
  -DNABLA_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$work/sub" -j2 >/dev/null
"$work/sub/consumer"
echo "find_package and add_subdirectory consumers built and ran"
