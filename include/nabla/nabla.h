#pragma once
/// The umbrella header: everything nabla offers.
///   #include <nabla/nabla.h>
#include "nabla/autograd.h"
#include "nabla/dtype.h"
#include "nabla/error.h"
#include "nabla/functions.h"
#include "nabla/generator.h"
#include "nabla/indexing.h"
#include "nabla/parallel.h"
#include "nabla/scalar.h"
#include "nabla/storage.h"
#include "nabla/tensor.h"
#include "nabla/tensor_options.h"
#include "nabla/viz.h"
#include "nabla/warning.h"
