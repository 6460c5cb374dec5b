#pragma once
/// libtorch's <torch/optim.h>: nabla's optim under torch:: (see torch/types.h).
#include <torch/types.h>
