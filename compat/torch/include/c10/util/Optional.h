#pragma once
/// c10::optional and c10::nullopt are std::optional and std::nullopt (see torch/types.h).
#include <torch/types.h>
