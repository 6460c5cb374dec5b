#include "nabla/nn/enum.h"

namespace nabla {

std::string_view enum_name(Reduction r) {
  switch (r) {
    case Reduction::None: return "none";
    case Reduction::Mean: return "mean";
    case Reduction::Sum: return "sum";
  }
  return "";
}

std::string_view enum_name(FanMode m) { return m == FanMode::FanIn ? "fan_in" : "fan_out"; }

std::string_view enum_name(Nonlinearity n) {
  switch (n) {
    case Nonlinearity::Linear: return "linear";
    case Nonlinearity::Conv1D: return "conv1d";
    case Nonlinearity::Conv2D: return "conv2d";
    case Nonlinearity::Conv3D: return "conv3d";
    case Nonlinearity::ConvTranspose1D: return "conv_transpose1d";
    case Nonlinearity::ConvTranspose2D: return "conv_transpose2d";
    case Nonlinearity::ConvTranspose3D: return "conv_transpose3d";
    case Nonlinearity::Sigmoid: return "sigmoid";
    case Nonlinearity::Tanh: return "tanh";
    case Nonlinearity::ReLU: return "relu";
    case Nonlinearity::LeakyReLU: return "leaky_relu";
    case Nonlinearity::SELU: return "selu";
  }
  return "";
}

std::string_view enum_name(PadKind k) {
  switch (k) {
    case PadKind::Zeros: return "zeros";
    case PadKind::Reflect: return "reflect";
    case PadKind::Replicate: return "replicate";
    case PadKind::Circular: return "circular";
  }
  return "";
}

}  // namespace nabla
