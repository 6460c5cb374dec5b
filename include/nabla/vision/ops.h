#pragma once
/// torchvision.ops building blocks of the models: Conv2dNormActivation, SqueezeExcitation, StochasticDepth.
///   namespace ops = nabla::vision::ops;
///   ops::Conv2dNormActivation stem(ops::Conv2dNormActivationOptions(3,
///   32).stride(2).activation_layer(ops::relu6_layer)); auto y = stem(x);                                // Conv2d ->
///   BatchNorm2d -> ReLU6, keys "0.weight", "1.running_mean" auto z = ops::stochastic_depth(y, 0.2, "row",
///   /*training=*/true);
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "nabla/nn/module.h"
#include "nabla/nn/modules/any.h"
#include "nabla/nn/modules/container.h"
#include "nabla/nn/modules/conv.h"
#include "nabla/nn/modules/pooling.h"
#include "nabla/nn/options.h"

namespace nabla::vision {

/// The base of the vision modules: forward() runs each child through the pointer registered
/// under its name, so that replace_module changes what forward runs (Python's
/// `model.fc = nn.Identity()`). The typed member that held the old child (model->fc) then holds
/// the new one if it has the member's type, and is emptied otherwise. Call it on the vision
/// module itself (model->replace_module): nn::Module's replace_module, reached through a
/// Module&, changes the tree but not forward(). Not copyable: members and children are one.
class ChildModule : public nn::Module {
 public:
  ChildModule() = default;
  ChildModule(const ChildModule&) = delete;
  ChildModule& operator=(const ChildModule&) = delete;

  /// Replaces the child registered under name, in the module tree and in forward().
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, std::shared_ptr<ModuleType> module) {
    Slot& slot = slot_for(name);
    nn::Module::replace_module(name, module);
    slot.module = nn::AnyModule(module);
    if (slot.retarget) slot.retarget(slot.module.ptr());
    return module;
  }
  template <typename ModuleType>
  std::shared_ptr<ModuleType> replace_module(const std::string& name, const nn::ModuleHolder<ModuleType>& holder) {
    return replace_module(name, holder.ptr());
  }

 protected:
  /// Registers holder as the child `name`, keeps it in member and returns member.
  template <typename Holder>
  Holder& register_child(const std::string& name, Holder& member, Holder holder) {
    using Contained = typename Holder::ContainedType;
    member = Holder(register_module(name, holder.ptr()));
    slots_[name] = Slot{nn::AnyModule(member.ptr()), [&member](const std::shared_ptr<nn::Module>& m) {
                          member = Holder(std::dynamic_pointer_cast<Contained>(m));
                        }};
    return member;
  }
  /// Registers a child that has no typed member (an activation made by a layer factory).
  void register_child(const std::string& name, nn::AnyModule module) {
    register_module(name, module.ptr());
    slots_[name] = Slot{std::move(module), nullptr};
  }
  /// Whether a child is registered under name.
  bool has_child(const std::string& name) const { return slots_.count(name) != 0; }
  /// Runs the child registered under name on x.
  Tensor run(const std::string& name, Tensor x) { return slot_for(name).module.forward(std::move(x)); }

 private:
  struct Slot {
    nn::AnyModule module;
    std::function<void(const std::shared_ptr<nn::Module>&)> retarget;
  };
  Slot& slot_for(const std::string& name);
  std::map<std::string, Slot> slots_;
};

namespace ops {

/// Makes a layer that takes the number of channels (a norm layer), or none when empty.
using NormLayer = std::function<nn::AnyModule(int64_t channels)>;
/// Makes an activation layer (given Python's `inplace`), or none when empty.
using ActivationLayer = std::function<nn::AnyModule(bool inplace)>;
/// nn::BatchNorm2d(channels): torchvision's default norm_layer.
nn::AnyModule batch_norm2d_layer(int64_t channels);
/// nn::ReLU(inplace), nn::ReLU6(inplace), nn::SiLU(), nn::Sigmoid() as layer factories
/// (libtorch's SiLU and Sigmoid have no inplace option; they return a new tensor).
nn::AnyModule relu_layer(bool inplace);
nn::AnyModule relu6_layer(bool inplace);
nn::AnyModule silu_layer(bool inplace);
nn::AnyModule sigmoid_layer(bool inplace);

/// Options of Conv2dNormActivation, torchvision.ops.Conv2dNormActivation's arguments.
struct Conv2dNormActivationOptions {
  Conv2dNormActivationOptions(int64_t in_channels, int64_t out_channels, int64_t kernel_size = 3)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  NABLA_ARG(int64_t, in_channels);
  NABLA_ARG(int64_t, out_channels);
  NABLA_ARG(int64_t, kernel_size);
  NABLA_ARG(int64_t, stride) = 1;
  /// (kernel_size - 1) / 2 * dilation when not given.
  NABLA_ARG(std::optional<int64_t>, padding) = std::nullopt;
  NABLA_ARG(int64_t, groups) = 1;
  NABLA_ARG(NormLayer, norm_layer) = batch_norm2d_layer;
  NABLA_ARG(ActivationLayer, activation_layer) = relu_layer;
  NABLA_ARG(int64_t, dilation) = 1;
  NABLA_ARG(bool, inplace) = true;
  /// No bias unless there is no norm layer, when not given.
  NABLA_ARG(std::optional<bool>, bias) = std::nullopt;
};

/// Conv2d, then the norm layer, then the activation, as a Sequential ("0", "1", "2").
class Conv2dNormActivationImpl : public nn::SequentialImpl {
 public:
  explicit Conv2dNormActivationImpl(const Conv2dNormActivationOptions& options);
  int64_t out_channels;
};
NABLA_MODULE(Conv2dNormActivation);

/// Squeeze-and-excitation: input * scale_activation(fc2(activation(fc1(avgpool(input))))).
class SqueezeExcitationImpl : public ChildModule {
 public:
  SqueezeExcitationImpl(int64_t input_channels, int64_t squeeze_channels, ActivationLayer activation = relu_layer,
                        ActivationLayer scale_activation = sigmoid_layer);
  Tensor forward(const Tensor& input);
  nn::AdaptiveAvgPool2d avgpool{nullptr};
  nn::Conv2d fc1{nullptr}, fc2{nullptr};
};
NABLA_MODULE(SqueezeExcitation);

/// torchvision.ops.stochastic_depth: in training, zeroes the whole input ("batch") or whole rows
/// of the batch ("row") with probability p and scales the rest by 1 / (1 - p); otherwise the input.
Tensor stochastic_depth(const Tensor& input, double p, const std::string& mode, bool training = true);

/// stochastic_depth as a module (training follows the module's mode).
class StochasticDepthImpl : public nn::Cloneable<StochasticDepthImpl> {
 public:
  StochasticDepthImpl(double p, std::string mode);
  void reset() override {}
  Tensor forward(const Tensor& input);
  /// `StochasticDepth(p=0.2, mode=row)`, as torchvision prints it.
  void pretty_print(std::ostream& stream) const override;
  double p;
  std::string mode;
};
NABLA_MODULE(StochasticDepth);

}  // namespace ops
}  // namespace nabla::vision
