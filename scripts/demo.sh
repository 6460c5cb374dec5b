#!/usr/bin/env bash
# Builds nabla and runs the two demos:
#   1. examples/computational_graph.cpp: the computational graph step by step, with pictures of
#      it written to graphs/ (or the folder given as $1);
#   2. examples/train_fashion_mnist.cpp: a short training run of an MLP on Fashion-MNIST
#      (2 epochs, a few seconds), writing metrics, a chart and checkpoints to runs/fashion_mnist.
# The full runs: build/examples/train_fashion_mnist --epochs 5 (MLP, >= 88% test accuracy)
#                build/examples/train_fashion_mnist --model cnn --epochs 5 (CNN, >= 90%).
set -euo pipefail
source "$(dirname "$0")/common.sh"

"$ROOT/scripts/install-deps.sh"
cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=Release -DNABLA_BUILD_TESTS=OFF
cmake --build "$ROOT/build" -j "$JOBS" --target computational_graph train_fashion_mnist
"$ROOT/build/examples/computational_graph" "${1:-graphs}"
echo
"$ROOT/build/examples/train_fashion_mnist"
