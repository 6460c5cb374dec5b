#pragma once
/// Enumerated option values of nn, spelled as libtorch spells them (nabla::kMean,
/// nabla::kFanIn, nabla::kReLU, nabla::kSame, ...).
#include <string_view>

namespace nabla {

/// How a loss reduces its per-element values: `reduction='none'|'mean'|'sum'`.
enum class Reduction { None, Mean, Sum };
inline constexpr Reduction kNone = Reduction::None;
inline constexpr Reduction kMean = Reduction::Mean;
inline constexpr Reduction kSum = Reduction::Sum;

/// Which fan kaiming_* initialisation preserves.
enum class FanMode { FanIn, FanOut };
inline constexpr FanMode kFanIn = FanMode::FanIn;
inline constexpr FanMode kFanOut = FanMode::FanOut;

/// Nonlinearities known to nn::init::calculate_gain.
enum class Nonlinearity {
  Linear, Conv1D, Conv2D, Conv3D, ConvTranspose1D, ConvTranspose2D, ConvTranspose3D,
  Sigmoid, Tanh, ReLU, LeakyReLU, SELU
};
inline constexpr Nonlinearity kLinear = Nonlinearity::Linear;
inline constexpr Nonlinearity kConv1D = Nonlinearity::Conv1D;
inline constexpr Nonlinearity kConv2D = Nonlinearity::Conv2D;
inline constexpr Nonlinearity kConv3D = Nonlinearity::Conv3D;
inline constexpr Nonlinearity kConvTranspose1D = Nonlinearity::ConvTranspose1D;
inline constexpr Nonlinearity kConvTranspose2D = Nonlinearity::ConvTranspose2D;
inline constexpr Nonlinearity kConvTranspose3D = Nonlinearity::ConvTranspose3D;
inline constexpr Nonlinearity kSigmoid = Nonlinearity::Sigmoid;
inline constexpr Nonlinearity kTanh = Nonlinearity::Tanh;
inline constexpr Nonlinearity kReLU = Nonlinearity::ReLU;
inline constexpr Nonlinearity kLeakyReLU = Nonlinearity::LeakyReLU;
inline constexpr Nonlinearity kSELU = Nonlinearity::SELU;

/// Convolution padding given by name: padding="same" / padding="valid".
enum class PaddingMode { Same, Valid };
inline constexpr PaddingMode kSame = PaddingMode::Same;
inline constexpr PaddingMode kValid = PaddingMode::Valid;

/// How a convolution pads its input (`padding_mode`).
enum class PadKind { Zeros, Reflect, Replicate, Circular };
inline constexpr PadKind kZeros = PadKind::Zeros;
inline constexpr PadKind kReflect = PadKind::Reflect;
inline constexpr PadKind kReplicate = PadKind::Replicate;
inline constexpr PadKind kCircular = PadKind::Circular;

/// Python's spelling of an enumerated value, as module reprs print it ('mean', 'fan_in', ...).
std::string_view enum_name(Reduction r);
std::string_view enum_name(FanMode m);
std::string_view enum_name(Nonlinearity n);
std::string_view enum_name(PadKind k);

}  // namespace nabla
