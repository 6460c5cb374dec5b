#!/usr/bin/env bash
# Builds compat_program.cpp twice from the same source and CMakeLists: against Debian's
# libtorch-dev (find_package(Torch)) and against nabla installed from BUILD_DIR
# (-DTorch_DIR=<prefix>/lib/cmake/nabla/torch); runs both and compares their outputs
# (values and gradients to 1e-4, everything else exactly: error texts, flags, shapes). Then each
# reads the pickle file the other wrote, and Python's torch.load reads the module nabla saved.
# libtorch-dev missing is a failure, not a skip.
set -euo pipefail
src="$1"
build="$2"
here="$src/tests/torch_compat"
python=/usr/bin/python3
work="$build/torch_compat"
mkdir -p "$work"
rm -rf "$work/prefix" "$work/run_libtorch" "$work/run_nabla"
mkdir -p "$work/run_libtorch" "$work/run_nabla"

torch_config="$(ls /usr/lib/*/cmake/Torch/TorchConfig.cmake /usr/share/cmake/Torch/TorchConfig.cmake 2>/dev/null | head -1 || true)"
if [[ -z "$torch_config" ]]; then
  echo "FAIL: libtorch-dev is not installed (no TorchConfig.cmake); scripts/install-deps.sh --test installs it" >&2
  exit 1
fi
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

cmake --install "$build" --prefix "$work/prefix" >/dev/null
configure_and_build() {  # <build dir> <Torch_DIR>
  cmake -S "$here" -B "$1" -DCMAKE_BUILD_TYPE=Release -DTorch_DIR="$2" "${launcher[@]}" >"$1.configure.log" 2>&1 ||
    { cat "$1.configure.log" >&2; exit 1; }
  cmake --build "$1" -j2 >"$1.build.log" 2>&1 || { cat "$1.build.log" >&2; exit 1; }
}
configure_and_build "$work/libtorch" "$(dirname "$torch_config")"
configure_and_build "$work/nabla" "$work/prefix/lib/cmake/nabla/torch"

"$work/libtorch/compat_program" "$work/run_libtorch" libtorch write >"$work/libtorch.out" 2>/dev/null
"$work/nabla/compat_program" "$work/run_nabla" nabla write >"$work/nabla.out" 2>/dev/null
cp "$work/run_libtorch/libtorch.pkl" "$work/run_nabla/"
cp "$work/run_nabla/nabla.pkl" "$work/run_libtorch/"
"$work/libtorch/compat_program" "$work/run_libtorch" nabla read >"$work/libtorch_reads_nabla.out"
"$work/nabla/compat_program" "$work/run_nabla" libtorch read >"$work/nabla_reads_libtorch.out"
"$work/libtorch/compat_program" "$work/run_libtorch" libtorch read >"$work/libtorch_reads_libtorch.out"

"$python" "$here/compare_outputs.py" "$work/libtorch.out" "$work/nabla.out"
"$python" "$here/compare_outputs.py" "$work/libtorch_reads_libtorch.out" "$work/libtorch_reads_nabla.out"
"$python" "$here/compare_outputs.py" "$work/libtorch_reads_libtorch.out" "$work/nabla_reads_libtorch.out"
# Python reads the module nabla's torch::save wrote as its state_dict.
"$python" - "$work/run_nabla/net.pt" "$work/nabla.out" <<'PY'
import sys, torch
state = torch.load(sys.argv[1])
assert list(state.keys()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], list(state.keys())
line = next(l for l in open(sys.argv[2]) if l.startswith("fc2.bias "))
values = [float(v) for v in line.split("]")[1].split()]
assert torch.allclose(state["fc2.bias"].double(), torch.tensor(values, dtype=torch.float64), atol=1e-5), (state, values)
print("torch.load read nabla's torch::save(module) as a state_dict")
PY
# <torch/script.h> stops the build with a message that says how to move the weights instead.
if script_error="$(echo '#include <torch/script.h>' | "${CXX:-c++}" -fsyntax-only -x c++ -I"$work/prefix/include/nabla-torch" - 2>&1)"; then
  echo "FAIL: <torch/script.h> compiled" >&2
  exit 1
fi
grep -q "nabla does not support TorchScript" <<<"$script_error" || { echo "$script_error" >&2; exit 1; }
echo "libtorch and nabla::torch builds of compat_program agree ($(wc -l <"$work/nabla.out") lines)"
