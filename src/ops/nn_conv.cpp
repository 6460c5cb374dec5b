// Convolutions (conv1d, conv2d, conv_transpose2d, convolution): im2col + GEMM per sample
// (kernels/cpu/conv.h), samples spread over the threads; one fused autograd node (ConvolutionBackward0)
// whose backward is itself a recorded op (ConvolutionBackwardBackward0), so gradients of any
// order are available.
//
// Note [Convolution roles]
// Every kernel works on a "regular" convolution Y = conv(X, W) with X [N, C, H, W],
// W [O, C / groups, KH, KW] and Y [N, O, OH, OW], through three primitives:
//   forward(X, W) -> Y,  backward_input(Y, W) -> X,  backward_weight(X, Y) -> W.
// A transposed convolution is the adjoint of a regular one: its input plays Y and its output
// plays X, so its forward is backward_input, its input gradient is forward and its weight
// gradient is backward_weight(grad_output, input).
#include <array>
#include <climits>
#include <string>
#include <tuple>
#include <vector>

#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/conv.h"
#include "nabla/functions.h"
#include "nabla/nn/functional/conv.h"


namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

// Convolution parameters expanded to two spatial dims (a 1-d convolution is a 2-d one of
// height 1). pad_extra is the bottom/right padding added to padding='same' with an even
// kernel extent (PyTorch pads those asymmetrically).
struct ConvParams {
  std::array<int64_t, 2> stride{1, 1}, padding{0, 0}, dilation{1, 1}, output_padding{0, 0}, pad_extra{0, 0};
  bool transposed = false;
  int64_t groups = 1;
};

// A contiguous tensor viewed as [N, C, H, W] (3-d tensors get H = 1).
Tensor as4d(const Tensor& t) {
  Tensor c = t.contiguous();
  if (c.dim() == 4) return c;
  DimVector s{c.size(0), c.size(1), 1, c.size(2)};
  return core::alias_with(c, s, contiguous_strides(s), c.storage_offset());
}

// The result of a 4-d kernel with the caller's number of dims.
Tensor with_dims(const Tensor& t4, int64_t dim) {
  if (dim == 4) return t4;
  DimVector s{t4.size(0), t4.size(1), t4.size(3)};
  return core::alias_with(t4, s, contiguous_strides(s), t4.storage_offset());
}

int64_t regular_out_size(int64_t in, int64_t k, const ConvParams& p, int i) {
  return (in + 2 * p.padding[i] + p.pad_extra[i] - p.dilation[i] * (k - 1) - 1) / p.stride[i] + 1;
}

// The geometry of one sample and group of the regular convolution (Note [Convolution roles]).
kernels::Conv2dShape geometry(IntArrayRef x, IntArrayRef w, IntArrayRef y, const ConvParams& p) {
  return {x[1] / p.groups, x[2],        x[3],         w[2],         w[3],          y[2],         y[3],
          p.stride[0],     p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1]};
}

void add_bias(Tensor& y4, const Tensor& bias) {
  if (bias.defined()) kernels::add_channel_bias(y4, bias.contiguous());
}

// ---- the three primitives on tensors of 3 or 4 dims (Note [Convolution roles]) ----------

Tensor regular_forward(const Tensor& x, const Tensor& w, const ConvParams& p) {
  Tensor x4 = as4d(x), w4 = as4d(w);
  DimVector ys{x4.size(0), w4.size(0), regular_out_size(x4.size(2), w4.size(2), p, 0),
               regular_out_size(x4.size(3), w4.size(3), p, 1)};
  Tensor y = core::empty(ys, x.scalar_type());
  if (y.numel() > 0)
    kernels::conv2d_forward(x4, w4, y, geometry(x4.sizes(), w4.sizes(), y.sizes(), p), p.groups);
  return with_dims(y, x.dim());
}

Tensor regular_backward_input(const Tensor& gy, const Tensor& w, IntArrayRef x_sizes, const ConvParams& p) {
  Tensor gy4 = as4d(gy), w4 = as4d(w);
  Tensor gx = core::empty(x_sizes, gy.scalar_type());
  Tensor gx4 = as4d(gx);
  if (gx.numel() > 0)
    kernels::conv2d_backward_input(gy4, w4, gx4, geometry(gx4.sizes(), w4.sizes(), gy4.sizes(), p), p.groups);
  return gx;
}

Tensor regular_backward_weight(const Tensor& x, const Tensor& gy, IntArrayRef w_sizes, const ConvParams& p) {
  Tensor x4 = as4d(x), gy4 = as4d(gy);
  Tensor gw = core::empty(w_sizes, x.scalar_type());
  Tensor gw4 = as4d(gw);
  if (gw.numel() > 0)
    kernels::conv2d_backward_weight(x4, gy4, gw4, geometry(x4.sizes(), gw4.sizes(), gy4.sizes(), p), p.groups);
  return gw;
}

DimVector transposed_out_sizes(IntArrayRef in, IntArrayRef w, const ConvParams& p) {
  DimVector s{in[0], w[1] * p.groups};
  const int64_t sp = static_cast<int64_t>(in.size()) - 2;
  for (int64_t i = 0; i < sp; ++i) {
    const int j = sp == 1 ? 1 : static_cast<int>(i);
    s.push_back((in[2 + i] - 1) * p.stride[j] - 2 * p.padding[j] + p.dilation[j] * (w[2 + i] - 1) +
                p.output_padding[j] + 1);
  }
  return s;
}

// The bias gradient: g (contiguous [N, C, *]) summed over all dims but 1.
Tensor bias_grad(const Tensor& g) {
  Tensor out = core::empty({g.size(1)}, g.scalar_type());
  kernels::sum_channels(g, out);
  return out;
}

Tensor bias_view(const Tensor& b, int64_t dim) { return dim == 4 ? b.view({1, -1, 1, 1}) : b.view({1, -1, 1}); }

struct Convolution;

// grad_input, grad_weight, grad_bias of a convolution, as a recorded op: its own backward
// (double backward) is again made of convolutions.
struct ConvolutionBackward {
  static constexpr const char* name = "ConvolutionBackwardBackward0";
  ConvParams p;
  std::array<bool, 3> mask{};
  DimVector x_sizes, w_sizes;
  std::tuple<Tensor, Tensor, Tensor> forward(Ctx& ctx, const Tensor& gy, const Tensor& x, const Tensor& w,
                                             const ConvParams& p_, std::array<bool, 3> mask_, IntArrayRef x_sizes_,
                                             IntArrayRef w_sizes_) {
    p = p_;
    mask = mask_;
    x_sizes = DimVector(x_sizes_);
    w_sizes = DimVector(w_sizes_);
    ctx.save(ctx.needs_input_grad(1) || ctx.needs_input_grad(2) ? gy : Tensor(), ctx.needs_input_grad(0) ? x : Tensor(),
             ctx.needs_input_grad(0) ? w : Tensor());
    Tensor gi, gw, gb;
    const Tensor g = gy.contiguous();
    if (mask[0]) gi = p.transposed ? regular_forward(g, w, p) : regular_backward_input(g, w, x_sizes, p);
    if (mask[1])
      gw = p.transposed ? regular_backward_weight(g, x, w_sizes, p) : regular_backward_weight(x, g, w_sizes, p);
    if (mask[2]) gb = bias_grad(g);
    return {gi, gw, gb};
  }
  variable_list backward(Ctx& ctx, const variable_list& g);
};

struct Convolution {
  static constexpr const char* name = "ConvolutionBackward0";
  ConvParams p;
  DimVector x_sizes, w_sizes;
  Tensor forward(Ctx& ctx, const Tensor& x, const Tensor& w, const Tensor& bias, const ConvParams& p_) {
    p = p_;
    x_sizes = DimVector(x.sizes());
    w_sizes = DimVector(w.sizes());
    ctx.save(ctx.needs_input_grad(1) ? x : Tensor(), ctx.needs_input_grad(0) ? w : Tensor());
    Tensor y;
    if (p.transposed) {
      y = regular_backward_input(x, w, transposed_out_sizes(x.sizes(), w.sizes(), p), p);
    } else {
      y = regular_forward(x, w, p);
    }
    Tensor y4 = as4d(y);
    add_bias(y4, bias);
    return y;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [x, w] = ctx.saved<2>();
    const std::array<bool, 3> m{ctx.needs_input_grad(0), ctx.needs_input_grad(1), ctx.needs_input_grad(2)};
    auto [gi, gw, gb] =
        autograd::apply<ConvolutionBackward>(g[0], x, w, p, m, IntArrayRef(x_sizes), IntArrayRef(w_sizes));
    return {gi, gw, gb};
  }
};

variable_list ConvolutionBackward::backward(Ctx& ctx, const variable_list& g) {
  auto [gy, x, w] = ctx.saved<3>();
  const Tensor &ggi = g[0], &ggw = g[1], &ggb = g[2];
  Tensor d_gy, d_x, d_w;
  if (ctx.needs_input_grad(0)) {
    auto add = [&](const Tensor& t) { d_gy = d_gy.defined() ? d_gy + t : t; };
    if (ggi.defined()) add(autograd::apply<Convolution>(ggi, w, Tensor(), p));
    if (ggw.defined()) add(autograd::apply<Convolution>(x, ggw, Tensor(), p));
    if (ggb.defined()) add(bias_view(ggb, gy.dim()).expand(gy.sizes()));
  }
  if (ctx.needs_input_grad(1) && ggw.defined())
    d_x = std::get<0>(autograd::apply<ConvolutionBackward>(
        gy, Tensor(), ggw, p, std::array<bool, 3>{true, false, false}, IntArrayRef(x_sizes), IntArrayRef(w_sizes)));
  if (ctx.needs_input_grad(2) && ggi.defined())
    d_w = std::get<1>(autograd::apply<ConvolutionBackward>(
        gy, ggi, Tensor(), p, std::array<bool, 3>{false, true, false}, IntArrayRef(x_sizes), IntArrayRef(w_sizes)));
  return {d_gy, d_x, d_w};
}

// ---- argument checks with PyTorch's messages ---------------------------------------------

std::string list_str(IntArrayRef v) { return core::shape_str(v); }

// A parameter for each spatial dim; a 1-d convolution's height gets `height_value`.
std::array<int64_t, 2> expand_param(IntArrayRef v, const char* name, int64_t dims, int64_t height_value) {
  NABLA_CHECK(static_cast<int64_t>(v.size()) == 1 || static_cast<int64_t>(v.size()) == dims, "expected ", name,
              " to be a single integer value or a list of ", dims,
              " values to match the convolution dimensions, but got ", name, "=", list_str(v));
  if (dims == 1) return {height_value, v[0]};
  return {v[0], v.size() == 1 ? v[0] : v[1]};
}

// PyTorch's names of dtypes in its type-mismatch messages.
const char* tensor_type_name(ScalarType t) {
  switch (t) {
    case kFloat:
      return "torch.FloatTensor";
    case kDouble:
      return "torch.DoubleTensor";
    case kLong:
      return "torch.LongTensor";
    case kInt:
      return "torch.IntTensor";
    case kByte:
      return "torch.ByteTensor";
    case kHalf:
      return "torch.HalfTensor";
    case kShort:
      return "torch.ShortTensor";
    case kChar:
      return "torch.CharTensor";
    case kBool:
      break;
  }
  return "torch.BoolTensor";
}
const char* c_type_name(ScalarType t) {
  switch (t) {
    case kFloat:
      return "float";
    case kDouble:
      return "double";
    case kLong:
      return "long int";
    case kInt:
      return "int";
    case kByte:
      return "unsigned char";
    case kHalf:
      return "c10::Half";
    case kShort:
      return "short int";
    case kChar:
      return "signed char";
    case kBool:
      break;
  }
  return "bool";
}

void check_shapes(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& p,
                  IntArrayRef stride, IntArrayRef padding, IntArrayRef dilation, IntArrayRef output_padding) {
  for (int64_t v : padding) NABLA_CHECK(v >= 0, "negative padding is not supported");
  for (int64_t v : output_padding) NABLA_CHECK(v >= 0, "negative output_padding is not supported");
  for (int64_t v : stride) NABLA_CHECK(v > 0, "non-positive stride is not supported");
  for (int64_t v : dilation) NABLA_CHECK(v > 0, "non-positive dilation is not supported");
  const int64_t k = input.dim(), g = p.groups;
  const auto ws = weight.sizes();
  NABLA_CHECK(weight.dim() == k, "Expected ", weight.dim(), "-dimensional input for ", weight.dim(),
              "-dimensional weight ", list_str(ws), ", but got ", k, "-dimensional input of size ",
              list_str(input.sizes()), " instead");
  NABLA_CHECK(ws[0] >= g, "Given groups=", g, ", expected weight to be at least ", g,
              " at dimension 0, but got weight of size ", list_str(ws), " instead");
  NABLA_CHECK(ws[0] % g == 0, "Given groups=", g, ", expected weight to be divisible by ", g,
              " at dimension 0, but got weight of size [", list_str(ws), "] instead");
  if (!p.transposed) {
    NABLA_CHECK(input.size(1) == ws[1] * g, "Given groups=", g, ", weight of size ", list_str(ws), ", expected input",
                list_str(input.sizes()), " to have ", ws[1] * g, " channels, but got ", input.size(1),
                " channels instead");
    NABLA_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == ws[0]), "Given weight of size ", list_str(ws),
                ", expected bias to be 1-dimensional with ", ws[0], " elements, but got bias of size ",
                list_str(bias.sizes()), " instead");
    std::string in_s, k_s;
    bool ok = true;
    for (int64_t i = 2; i < k; ++i) {
      const int j = k == 3 ? 1 : static_cast<int>(i - 2);
      const int64_t padded = input.size(i) + 2 * p.padding[j] + p.pad_extra[j];
      const int64_t kext = p.dilation[j] * (ws[i] - 1) + 1;
      ok = ok && padded >= kext;
      in_s += (i > 2 ? " x " : "") + std::to_string(padded);
      k_s += (i > 2 ? " x " : "") + std::to_string(kext);
    }
    NABLA_CHECK(ok, "Calculated padded input size per channel: (", in_s, "). Kernel size: (", k_s,
                "). Kernel size can't be greater than actual input size");
  } else {
    NABLA_CHECK(input.size(1) == ws[0], "Given transposed=1, weight of size ", list_str(ws), ", expected input",
                list_str(input.sizes()), " to have ", ws[0], " channels, but got ", input.size(1), " channels instead");
    NABLA_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == ws[1] * g),
                "Given transposed=1, weight of size ", list_str(ws), ", expected bias to be 1-dimensional with ",
                ws[1] * g, " elements, but got bias of size ", list_str(bias.sizes()), " instead");
    for (int i = 0; i < 2; ++i)
      NABLA_CHECK(p.output_padding[i] < p.stride[i] || p.output_padding[i] < p.dilation[i],
                  "output padding must be smaller than either stride or dilation, but got output_padding_height: ",
                  p.output_padding[0], " output_padding_width: ", p.output_padding[1], " stride_height: ", p.stride[0],
                  " stride_width: ", p.stride[1], " dilation_height: ", p.dilation[0],
                  " dilation_width: ", p.dilation[1]);
    DimVector out = transposed_out_sizes(input.sizes(), ws, p);
    bool ok = true;
    std::string in_s, out_s;
    for (int64_t i = 2; i < k; ++i) {
      ok = ok && out[i] >= 1;
      in_s += (i > 2 ? " x " : "") + std::to_string(input.size(i));
      out_s += (i > 2 ? " x " : "") + std::to_string(out[i]);
    }
    NABLA_CHECK(ok, "Given input size per channel: (", in_s, "). Calculated output size per channel: (", out_s,
                "). Output size is too small");
  }
  NABLA_CHECK(input.scalar_type() == weight.scalar_type(), "Input type (", tensor_type_name(input.scalar_type()),
              ") and weight type (", tensor_type_name(weight.scalar_type()),
              ") should be the same or input should be a MKLDNN tensor and weight is a dense tensor");
  NABLA_CHECK(!bias.defined() || bias.scalar_type() == input.scalar_type(), "Input type (",
              c_type_name(input.scalar_type()), ") and bias type (", c_type_name(bias.scalar_type()),
              ") should be the same");
  NABLA_CHECK(isFloatingType(input.scalar_type()), "\"", k == 3 ? "conv1d" : "conv2d", "\" not implemented for '",
              scalarTypeName(input.scalar_type()), "'");
  // The GEMM dims (channels x kernel taps, image planes) must fit BLAS's int.
  int64_t plane_in = 1, plane_out = 1;
  const DimVector out = p.transposed ? transposed_out_sizes(input.sizes(), ws, p) : DimVector();
  for (int64_t i = 2; i < k; ++i) {
    const int j = k == 3 ? 1 : static_cast<int>(i - 2);
    plane_in *= input.size(i);
    plane_out *= p.transposed ? out[i] : regular_out_size(input.size(i), ws[i], p, j);
  }
  NABLA_CHECK(weight.numel() <= INT_MAX && plane_in <= INT_MAX && plane_out <= INT_MAX,
              "convolution: sizes exceed the BLAS int range");
}

// The convolution itself on a batched (3-d or 4-d) input; `same_extra` carries padding='same'.
Tensor convolution_impl(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias_opt,
                        IntArrayRef stride, IntArrayRef padding, IntArrayRef dilation, bool transposed,
                        IntArrayRef output_padding, int64_t groups, std::array<int64_t, 2> pad_extra = {0, 0}) {
  const int64_t dims = weight.dim() - 2;
  NABLA_CHECK(dims == 1 || dims == 2, "convolution: expected a weight of 3 or 4 dims, but got weight of size ",
              list_str(weight.sizes()));
  ConvParams p;
  p.stride = expand_param(stride, "stride", dims, 1);
  p.padding = expand_param(padding, "padding", dims, 0);
  p.dilation = expand_param(dilation, "dilation", dims, 1);
  p.output_padding = expand_param(output_padding, "output_padding", dims, 0);
  p.transposed = transposed;
  p.groups = groups;
  p.pad_extra = pad_extra;
  NABLA_CHECK(groups > 0, "non-positive groups is not supported");
  Tensor bias = bias_opt ? *bias_opt : Tensor();
  check_shapes(input, weight, bias, p, stride, padding, dilation, output_padding);
  return autograd::apply<Convolution>(input, weight, bias, p);
}

// conv1d / conv2d / conv_transpose2d on batched or unbatched input (unbatched inputs get a
// batch dim of 1, as PyTorch: the result's grad_fn is SqueezeBackward1).
template <typename F>
Tensor batchify(const Tensor& input, int64_t spatial, const char* fname, const F& f) {
  const int64_t d = input.dim();
  NABLA_CHECK(d == spatial + 1 || d == spatial + 2, "Expected ", spatial + 1, "D (unbatched) or ", spatial + 2,
              "D (batched) input to ", fname, ", but got input of size: ", list_str(input.sizes()));
  if (d == spatial + 2) return f(input);
  return f(input.unsqueeze(0)).squeeze(0);
}

Tensor conv_with_string_padding(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                                IntArrayRef stride, std::string_view padding, IntArrayRef dilation, int64_t groups) {
  if (padding == "valid") return convolution_impl(input, weight, bias, stride, 0, dilation, false, 0, groups);
  NABLA_CHECK(padding == "same", "Invalid padding string: '", std::string(padding), "'");
  for (int64_t s : stride) NABLA_CHECK(s == 1, "padding='same' is not supported for strided convolutions");
  const int64_t dims = weight.dim() - 2;
  NABLA_CHECK(dims == 1 || dims == 2, "convolution: expected a weight of 3 or 4 dims, but got weight of size ",
              list_str(weight.sizes()));
  const auto dil = expand_param(dilation, "dilation", dims, 1);
  std::array<int64_t, 2> pad{0, 0}, extra{0, 0};
  for (int64_t i = 0; i < dims; ++i) {
    const int j = dims == 1 ? 1 : static_cast<int>(i);
    const int64_t total = dil[j] * (weight.size(2 + i) - 1);
    pad[j] = total / 2;
    extra[j] = total % 2;
  }
  DimVector padv = dims == 1 ? DimVector{pad[1]} : DimVector{pad[0], pad[1]};
  return convolution_impl(input, weight, bias, stride, padv, dilation, false, 0, groups, extra);
}

}  // namespace

Tensor convolution(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
                   IntArrayRef padding, IntArrayRef dilation, bool transposed, IntArrayRef output_padding,
                   int64_t groups) {
  return convolution_impl(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups);
}

Tensor conv1d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
              IntArrayRef padding, IntArrayRef dilation, int64_t groups) {
  return batchify(input, 1, "conv1d", [&](const Tensor& x) {
    return convolution_impl(x, weight, bias, stride, padding, dilation, false, 0, groups);
  });
}
Tensor conv1d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
              ConvPaddingName padding, IntArrayRef dilation, int64_t groups) {
  return batchify(input, 1, "conv1d", [&](const Tensor& x) {
    return conv_with_string_padding(x, weight, bias, stride, padding.value, dilation, groups);
  });
}
Tensor conv2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
              IntArrayRef padding, IntArrayRef dilation, int64_t groups) {
  return batchify(input, 2, "conv2d", [&](const Tensor& x) {
    return convolution_impl(x, weight, bias, stride, padding, dilation, false, 0, groups);
  });
}
Tensor conv2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias, IntArrayRef stride,
              ConvPaddingName padding, IntArrayRef dilation, int64_t groups) {
  return batchify(input, 2, "conv2d", [&](const Tensor& x) {
    return conv_with_string_padding(x, weight, bias, stride, padding.value, dilation, groups);
  });
}
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const std::optional<Tensor>& bias,
                        IntArrayRef stride, IntArrayRef padding, IntArrayRef output_padding, int64_t groups,
                        IntArrayRef dilation) {
  return batchify(input, 2, "conv_transpose2d", [&](const Tensor& x) {
    return convolution_impl(x, weight, bias, stride, padding, dilation, true, output_padding, groups);
  });
}

namespace nn::functional {

namespace {
template <size_t D>
Tensor conv_func(const Tensor& input, const Tensor& weight, const ConvFuncOptions<D>& o) {
  const std::optional<Tensor> bias = o.bias().defined() ? std::optional<Tensor>(o.bias()) : std::nullopt;
  if (const auto* mode = std::get_if<PaddingMode>(&o.padding())) {
    return D == 1 ? nabla::conv1d(input, weight, bias, o.stride(), *mode, o.dilation(), o.groups())
                  : nabla::conv2d(input, weight, bias, o.stride(), *mode, o.dilation(), o.groups());
  }
  const auto& pad = std::get<ExpandingArray<D>>(o.padding());
  return D == 1 ? nabla::conv1d(input, weight, bias, o.stride(), pad, o.dilation(), o.groups())
                : nabla::conv2d(input, weight, bias, o.stride(), pad, o.dilation(), o.groups());
}
}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options) {
  return conv_func<1>(input, weight, options);
}
Tensor conv2d(const Tensor& input, const Tensor& weight, const Conv2dFuncOptions& options) {
  return conv_func<2>(input, weight, options);
}
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const ConvTranspose2dFuncOptions& options) {
  const std::optional<Tensor> bias = options.bias().defined() ? std::optional<Tensor>(options.bias()) : std::nullopt;
  return nabla::conv_transpose2d(input, weight, bias, options.stride(), options.padding(), options.output_padding(),
                                 options.groups(), options.dilation());
}

}  // namespace nn::functional
}  // namespace nabla
