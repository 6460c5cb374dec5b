#pragma once
/// libtorch's <torch/nn.h>: nabla's nn under torch:: (see torch/types.h).
#include <torch/types.h>
