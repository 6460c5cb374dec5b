#pragma once
/// Convolutions: the top-level ops (as libtorch's torch::conv2d, ...) and the
/// nn::functional wrappers taking *FuncOptions.
///   auto y = nabla::conv2d(x, w, b, /*stride=*/1, /*padding=*/1);
///   auto z = nn::functional::conv2d(x, w, nn::functional::Conv2dFuncOptions().padding(nabla::kSame));
/// Inputs are [N, C, (H,) W] or unbatched [C, (H,) W]; float32 or float64.
#include <optional>
#include <string>
#include <string_view>

#include "nabla/nn/options/conv.h"
#include "nabla/tensor.h"

namespace nabla {

/// A convolution padding given by name: "same", "valid", nabla::kSame or nabla::kValid. A
/// distinct type rather than std::string_view, so that a literal 0 means padding 0; a string
/// variable is passed as ConvPaddingName(s).
struct ConvPaddingName {
  template <size_t N>
  ConvPaddingName(const char (&s)[N]) : value(s) {}                                     // NOLINT: implicit, as a string
  ConvPaddingName(const std::string& s) : value(s) {}                                   // NOLINT
  ConvPaddingName(std::string_view s) : value(s) {}                                     // NOLINT
  ConvPaddingName(PaddingMode m) : value(m == PaddingMode::Same ? "same" : "valid") {}  // NOLINT
  std::string_view value;
};

/// The general convolution (torch.convolution): regular or transposed, 1-d or 2-d, batched input.
Tensor convolution(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
                   IntArrayRef padding, IntArrayRef dilation, bool transposed, IntArrayRef output_padding,
                   int64_t groups);

/// 1-d convolution of input [N, C, L] or [C, L] with weight [O, C / groups, K].
Tensor conv1d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
              IntArrayRef stride = 1, IntArrayRef padding = 0, IntArrayRef dilation = 1, int64_t groups = 1);
/// conv1d with padding "same" or "valid".
Tensor conv1d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
              ConvPaddingName padding, IntArrayRef dilation = 1, int64_t groups = 1);

/// 2-d convolution of input [N, C, H, W] or [C, H, W] with weight [O, C / groups, KH, KW].
Tensor conv2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
              IntArrayRef stride = 1, IntArrayRef padding = 0, IntArrayRef dilation = 1, int64_t groups = 1);
/// conv2d with padding "same" or "valid".
Tensor conv2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
              ConvPaddingName padding, IntArrayRef dilation = 1, int64_t groups = 1);

/// 2-d transposed convolution of input [N, C, H, W] or [C, H, W] with weight
/// [C, O / groups, KH, KW].
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias = std::nullopt,
                        IntArrayRef stride = 1, IntArrayRef padding = 0, IntArrayRef output_padding = 0,
                        int64_t groups = 1, IntArrayRef dilation = 1);

namespace nn::functional {

/// F.conv1d: nn::functional::conv1d(x, w, Conv1dFuncOptions().stride(2).padding(1)).
Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options = {});
/// F.conv2d: nn::functional::conv2d(x, w, Conv2dFuncOptions().bias(b).padding(nabla::kSame)).
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options = {});
/// F.conv_transpose2d: nn::functional::conv_transpose2d(x, w, ConvTranspose2dFuncOptions().stride(2)).
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const ConvTranspose2dFuncOptions& options = {});

}  // namespace nn::functional
}  // namespace nabla
