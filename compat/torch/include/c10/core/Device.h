#pragma once
/// c10::Device, c10::DeviceType, kCPU, kCUDA are nabla's (see torch/types.h).
#include <torch/types.h>
