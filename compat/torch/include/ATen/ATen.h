#pragma once
/// libtorch's <ATen/ATen.h>: at:: names nabla's tensors and functions (see torch/types.h).
#include <torch/types.h>
