#!/usr/bin/env bash
# The ways a program uses nabla, each checked against the library built in BUILD_DIR:
#   1. the Debian package (cpack -G DEB), unpacked into a scratch root with dpkg -x: it holds
#      libnabla.so with its SONAME links, the headers, the CMake and pkg-config files;
#   2. find_package(nabla) against that root: a consumer builds and runs;
#   3. pkg-config --cflags --libs nabla against that root: the same program builds and runs;
#   4. add_subdirectory(nabla): configured, and the consumer's source compiled against the nabla
#      target's usage requirements (building the library a second time from source would double
#      the test suite's time; linking is what the other consumers check).
# The scratch folder sits in the build folder (not /tmp), so that ccache, whose base directory
# is the checkout, serves the consumers' compilations to every clone.
#   tests/cmake/consumer_test.sh <source dir> <build dir>
set -euo pipefail
src="$1"
build="$2"
work="$build/consumer_test"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# 1. The package.
(cd "$build" && cpack -G DEB -B "$work/deb" >/dev/null)
deb=$(ls "$work"/deb/*.deb)
dpkg-deb --field "$deb" Package Version Depends
dpkg -x "$deb" "$work/root"
lib=$(find "$work/root" -name 'libnabla.so.*.*.*')
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
for f in "$(dirname "$lib")/$soname" "$(dirname "$lib")/libnabla.so" \
         "$work/root/usr/include/nabla/nabla.h" "$(dirname "$lib")/pkgconfig/nabla.pc" \
         "$(dirname "$lib")/cmake/nabla/nablaConfig.cmake"; do
  [ -e "$f" ] || { echo "FAIL: the package lacks $f"; exit 1; }
done
# Only namespace nabla is exported (Note [Exported symbols]).
foreign=$(nm -D --defined-only "$lib" | awk '{print $3}' |
  grep -Ev '^_Z(NK?[RO]?|ZNK?|GVZ?NK?|T[ISVTHW]N)5nabla|^_ZT[hv]' | head -5 || true)
[ -z "$foreign" ] || { echo "FAIL: libnabla.so exports symbols outside namespace nabla:"; echo "$foreign"; exit 1; }
echo "package: $(basename "$deb"), $(du -k "$deb" | cut -f1) KiB; $soname exports $(nm -D --defined-only "$lib" | wc -l) symbols"

# 2. find_package.
cmake -S "$src/tests/cmake/consumer" -B "$work/pkg" -DCMAKE_PREFIX_PATH="$work/root/usr" >/dev/null
cmake --build "$work/pkg" -j2 >/dev/null
"$work/pkg/consumer"

# 3. pkg-config.
pc_dir="$(dirname "$lib")/pkgconfig"
flags=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs nabla)
g++ "$src/tests/cmake/consumer/main.cpp" -o "$work/pc_consumer" $flags -Wl,-rpath,"$(dirname "$lib")"
"$work/pc_consumer"

# 4. add_subdirectory.
cmake -G "Unix Makefiles" -S "$src/tests/cmake/consumer" -B "$work/sub" -DNABLA_SOURCE_DIR="$src" -DNABLA_BUILD_TESTS=OFF \
  -DNABLA_BUILD_EXAMPLES=OFF >/dev/null
make -C "$work/sub" main.cpp.o >/dev/null
echo "Debian package unpacked; find_package and pkg-config consumers built and ran; add_subdirectory consumer configured and compiled"
