#pragma once
/// libtorch's <torch/data.h>: nabla's data under torch:: (see torch/types.h).
#include <torch/types.h>
