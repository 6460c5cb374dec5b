// The errors of the module system itself (registration names, clone, empty holders,
// OrderedDict lookups), in libtorch's words.
#include <string>

#include <nabla/nn/module.h>
#include <nabla/nn/modules/linear.h>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;

namespace {

// A plain Module (not Cloneable), registering what the test asks for.
struct PlainImpl : nn::Module {};
NABLA_MODULE(Plain);

TEST(ModuleErrors, RegistrationNames) {
  Plain m;
  EXPECT_EQ(error_message([&] { m->register_parameter("", zeros({1})); }), "Parameter name must not be empty");
  EXPECT_EQ(error_message([&] { m->register_parameter("a.b", zeros({1})); }),
            "Parameter name must not contain a dot (got 'a.b')");
  EXPECT_EQ(error_message([&] { m->register_buffer("x.y", zeros({1})); }),
            "Buffer name must not contain a dot (got 'x.y')");
  EXPECT_EQ(error_message([&] { m->register_module("", nn::Linear(2, 2)); }), "Submodule name must not be empty");
  EXPECT_EQ(error_message([&] { m->register_module("l.1", nn::Linear(2, 2)); }),
            "Submodule name must not contain a dot (got 'l.1')");
  m->register_parameter("w", zeros({1}));
  EXPECT_EQ(error_message([&] { m->register_parameter("w", zeros({1})); }), "Parameter 'w' already defined");
  EXPECT_EQ(error_message([&] { m->unregister_module("nope"); }), "No Module with name `nope` is registered");
  EXPECT_EQ(error_message([&] { m->named_parameters()["nope"]; }), "Parameter 'nope' is not defined");
}

TEST(ModuleErrors, CloneNeedsCloneableAndHolderMustBeSet) {
  Plain m;
  EXPECT_EQ(error_message([&] { m->clone(); }),
            "clone() has not been implemented for Plain. Subclass torch::nn::Cloneable<Plain> instead of "
            "torch::nn::Module to inherit the ability to clone.");
  nn::Linear empty{nullptr};
  EXPECT_TRUE(empty.is_empty());
  EXPECT_EQ(error_message([&] { empty->forward(zeros({1, 2})); }), "Accessing empty ModuleHolder");
}

TEST(ModuleErrors, UndefinedParameterIsSkippedAndNotRequiringGrad) {
  Plain m;
  std::string warned;
  auto old = set_warning_handler([&](const std::string& w) { warned = w; });
  m->register_parameter("bias", Tensor());
  set_warning_handler(old);
  EXPECT_EQ(warned,
            "An undefined tensor cannot require grad. Ignoring the `requires_grad=true` function parameter.");
  EXPECT_EQ(m->parameters().size(), 0u);
  EXPECT_EQ(m->state_dict().size(), 0u);
}

}  // namespace
