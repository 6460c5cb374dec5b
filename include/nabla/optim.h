#pragma once
/// Optimizers and learning-rate schedulers (torch::optim).
///   #include <nabla/optim.h>
#include "nabla/optim/adagrad.h"
#include "nabla/optim/adam.h"
#include "nabla/optim/cyclic_lr.h"
#include "nabla/optim/lbfgs.h"
#include "nabla/optim/lr_scheduler.h"
#include "nabla/optim/optimizer.h"
#include "nabla/optim/rmsprop.h"
#include "nabla/optim/sequential_lr.h"
#include "nabla/optim/sgd.h"
