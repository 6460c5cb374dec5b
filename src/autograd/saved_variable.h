#pragma once
// SavedVariable (declared in the public header, for AutogradContext).
#include "nabla/autograd/saved_variable.h"
