#pragma once
/// libtorch's umbrella header, for programs built against nabla through the opt-in CMake
/// target nabla::torch (or find_package(Torch) with Torch_DIR=<prefix>/lib/cmake/nabla/torch).
///   #include <torch/torch.h>
///   auto x = torch::randn({2, 3}, torch::requires_grad());
///   x.sum().backward();  x.grad().zero_();
#include <torch/cuda.h>
#include <torch/data.h>
#include <torch/nn.h>
#include <torch/optim.h>
#include <torch/serialize.h>
#include <torch/types.h>
