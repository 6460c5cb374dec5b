#pragma once
/// Every nn::functional op (libtorch's <torch/nn/functional.h>).
///   namespace F = nabla::nn::functional;
///   auto y = F::relu(F::conv2d(x, w, F::Conv2dFuncOptions().padding(1)));
#include "nabla/nn/functional/activation.h"
#include "nabla/nn/functional/attention.h"
#include "nabla/nn/functional/batchnorm.h"
#include "nabla/nn/functional/conv.h"
#include "nabla/nn/functional/dropout.h"
#include "nabla/nn/functional/embedding.h"
#include "nabla/nn/functional/linear.h"
#include "nabla/nn/functional/loss.h"
#include "nabla/nn/functional/normalization.h"
#include "nabla/nn/functional/pooling.h"
#include "nabla/nn/functional/rnn.h"
