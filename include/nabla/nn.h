#pragma once
/// The nn umbrella header, as libtorch's <torch/nn.h>: modules, functional, init, utils.
///   namespace nn = nabla::nn;
///   nn::Sequential net{nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 10)};
///   auto loss = nn::functional::cross_entropy(net->forward(x), y);
#include "nabla/nn/enum.h"
#include "nabla/nn/functional.h"
#include "nabla/nn/init.h"
#include "nabla/nn/module.h"
#include "nabla/nn/modules/activation.h"
#include "nabla/nn/modules/any.h"
#include "nabla/nn/modules/attention.h"
#include "nabla/nn/modules/batchnorm.h"
#include "nabla/nn/modules/container.h"
#include "nabla/nn/modules/conv.h"
#include "nabla/nn/modules/dropout.h"
#include "nabla/nn/modules/embedding.h"
#include "nabla/nn/modules/linear.h"
#include "nabla/nn/modules/loss.h"
#include "nabla/nn/modules/normalization.h"
#include "nabla/nn/modules/pooling.h"
#include "nabla/nn/modules/rnn.h"
#include "nabla/nn/modules/transformer.h"
#include "nabla/nn/utils/clip_grad.h"
#include "nabla/nn/utils/convert_parameters.h"
#include "nabla/nn/utils/rnn.h"
