#pragma once
/// TORCH_CHECK, TORCH_INTERNAL_ASSERT, TORCH_WARN, AT_ASSERT, AT_ERROR; c10::Error is
/// nabla::Error (see torch/types.h).
#include <torch/types.h>
