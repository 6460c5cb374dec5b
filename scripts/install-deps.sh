#!/usr/bin/env bash
# Installs nabla's dependencies from Debian packages. Idempotent: packages already present are
# skipped. Uses sudo when not run as root.
#   scripts/install-deps.sh          # building nabla, using it, and its demo
#   scripts/install-deps.sh --test   # also the tests' oracles, peers and tools (scripts/test.sh)
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config ccache
  # library dependencies
  libopenblas-dev libsleef-dev libhwy-dev libdnnl-dev zlib1g-dev nlohmann-json3-dev
  # image files (nabla::vision::io): PNG and JPEG
  libpng-dev libjpeg62-turbo-dev
  # nabla::distributed's MPI backend and its launcher, mpirun (optional at build time: CMake
  # builds the backend when it finds MPI; the tests run under mpirun)
  libopenmpi-dev openmpi-bin
  # examples: command-line flags of the training program, and its data set; graph pictures
  # (nabla::viz renders with Graphviz's dot)
  libcli11-dev dataset-fashion-mnist graphviz
)
if [ "${1:-}" = "--test" ]; then
  packages+=(
    # tests and benchmarks
    googletest libgtest-dev libbenchmark-dev
    # oracle (tests) and peer (benchmarks): PyTorch (and torchvision) for Python and libtorch for C++
    python3 python3-numpy python3-torch python3-torchvision python3-pil libtorch-dev
    # the test of the graph pages; the API reference (Doxygen, built by scripts/test.sh)
    chromium doxygen
    # the Debian package test (cpack -G DEB runs dpkg-shlibdeps)
    dpkg-dev
    # the sanitizer builds (Clang, its OpenMP, ASan/UBSan/TSan and libFuzzer) and memcheck
    clang libomp-dev libclang-rt-14-dev valgrind
    # the data of examples/classify_words and its test: word lists of six languages (/usr/share/dict)
    wamerican wngerman wfrench wspanish witalian wportuguese
    # the multi-host test of nabla::distributed: network namespaces and a veth pair (ip netns)
    iproute2
  )
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed."
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done."
