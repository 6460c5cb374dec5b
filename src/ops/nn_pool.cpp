// 2-d pooling: max_pool2d (with indices), avg_pool2d, adaptive_avg_pool2d. Plain loops over
// the [H, W] planes of contiguous [N, C, H, W] / [C, H, W] inputs, planes spread over threads.
// Each op's backward is a recorded op whose own backward is again a pooling (or a gather), so
// double backward works.
#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/parallel.h"
#include "nabla/functions.h"
#include "nabla/nn/functional/pooling.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

struct PoolParams {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  int64_t out_h = 0, out_w = 0;
  bool count_include_pad = true;
  std::optional<int64_t> divisor;
};

// Planes and their size of an [..., H, W] tensor.
struct Planes {
  int64_t count, h, w;
};
Planes planes_of(IntArrayRef s) {
  const int64_t h = s[s.size() - 2], w = s[s.size() - 1];
  return {h * w == 0 ? 0 : prod_sizes(s) / (h * w), h, w};
}

DimVector out_sizes(IntArrayRef in, int64_t oh, int64_t ow) {
  DimVector s(in);
  s[s.size() - 2] = oh;
  s[s.size() - 1] = ow;
  return s;
}

template <typename F>
void for_planes(int64_t planes, int64_t work_per_plane, const F& f) {
  kernels::parallel_for(0, planes, std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(1, work_per_plane)), f);
}

// PyTorch's pooling_output_shape, with its checks.
int64_t pooling_output_shape(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  NABLA_CHECK(stride != 0, "stride should not be zero");
  NABLA_CHECK(pad >= 0, "pad must be non-negative, but got pad: ", pad);
  NABLA_CHECK(pad <= k / 2, "pad should be at most half of kernel size, but got pad=", pad, " and kernel_size=", k);
  const int64_t num = in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (num >= 0 ? num / stride : -((-num + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// PyTorch's pool2d_shape_check.
void pool2d_shape_check(const Tensor& input, const PoolParams& p) {
  NABLA_CHECK(p.kw > 0 && p.kh > 0, "kernel size should be greater than zero, but got kH: ", p.kh, " kW: ", p.kw);
  NABLA_CHECK(p.sw > 0 && p.sh > 0, "stride should be greater than zero, but got dH: ", p.sh, " dW: ", p.sw);
  NABLA_CHECK(p.dh > 0 && p.dw > 0, "dilation should be greater than zero, but got dilationH: ", p.dh,
              " dilationW: ", p.dw);
  const int64_t nd = input.dim();
  const bool valid_dims = input.size(1) != 0 && input.size(2) != 0;
  NABLA_CHECK((nd == 3 && input.size(0) != 0 && valid_dims) || (nd == 4 && valid_dims && input.size(3) != 0),
              "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:",
              core::shape_str(input.sizes()));
  NABLA_CHECK(p.kw / 2 >= p.pw && p.kh / 2 >= p.ph,
              "pad should be smaller than or equal to half of kernel size, but got padW = ", p.pw, ", padH = ", p.ph,
              ", kW = ", p.kw, ", kH = ", p.kh);
  NABLA_CHECK(p.out_w >= 1 && p.out_h >= 1, "Given input size: (", input.size(-3), "x", input.size(-2), "x",
              input.size(-1), "). Calculated output size: (", input.size(-3), "x", p.out_h, "x", p.out_w,
              "). Output size is too small");
}

PoolParams pool_params(const Tensor& input, const char* op, IntArrayRef kernel, IntArrayRef stride, IntArrayRef padding,
                       IntArrayRef dilation, bool ceil_mode) {
  const std::string name(op);
  NABLA_CHECK(kernel.size() == 1 || kernel.size() == 2, name,
              ": kernel_size must either be a single int, or a tuple of two ints");
  NABLA_CHECK(stride.empty() || stride.size() == 1 || stride.size() == 2, name,
              ": stride must either be omitted, a single int, or a tuple of two ints");
  NABLA_CHECK(padding.size() == 1 || padding.size() == 2, name,
              name == "max_pool2d" ? ": padding must be either be a single int, or a tuple of two ints"
                                   : ": padding must either be a single int, or a tuple of two ints");
  NABLA_CHECK(dilation.size() == 1 || dilation.size() == 2, name,
              ": dilation must be either a single int, or a tuple of two ints");
  PoolParams p;
  p.kh = kernel[0];
  p.kw = kernel.size() == 1 ? p.kh : kernel[1];
  p.sh = stride.empty() ? p.kh : stride[0];
  p.sw = stride.empty() ? p.kw : stride.size() == 1 ? p.sh : stride[1];
  p.ph = padding[0];
  p.pw = padding.size() == 1 ? p.ph : padding[1];
  p.dh = dilation[0];
  p.dw = dilation.size() == 1 ? p.dh : dilation[1];
  p.out_h = pooling_output_shape(input.size(-2), p.kh, p.ph, p.sh, p.dh, ceil_mode);
  p.out_w = pooling_output_shape(input.size(-1), p.kw, p.pw, p.sw, p.dw, ceil_mode);
  pool2d_shape_check(input, p);
  return p;
}

// ---- max pooling --------------------------------------------------------------------------

template <typename T>
void max_pool_kernel(const Tensor& x, Tensor& y, Tensor& idx, const PoolParams& p) {
  const Planes pl = planes_of(x.sizes());
  const T* xp = x.data_ptr<T>();
  T* yp = y.data_ptr<T>();
  int64_t* ip = idx.data_ptr<int64_t>();
  const int64_t OH = p.out_h, OW = p.out_w;
  for_planes(pl.count, OH * OW * p.kh * p.kw, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const T* in = xp + c * pl.h * pl.w;
      for (int64_t oh = 0; oh < OH; ++oh) {
        int64_t h0 = oh * p.sh - p.ph;
        const int64_t h1 = std::min(h0 + (p.kh - 1) * p.dh + 1, pl.h);
        while (h0 < 0) h0 += p.dh;
        for (int64_t ow = 0; ow < OW; ++ow) {
          int64_t w0 = ow * p.sw - p.pw;
          const int64_t w1 = std::min(w0 + (p.kw - 1) * p.dw + 1, pl.w);
          while (w0 < 0) w0 += p.dw;
          int64_t best = h0 * pl.w + w0;
          T best_v = -std::numeric_limits<T>::infinity();
          for (int64_t ih = h0; ih < h1; ih += p.dh)
            for (int64_t iw = w0; iw < w1; iw += p.dw) {
              const T v = in[ih * pl.w + iw];
              if (v > best_v || std::isnan(v)) {
                best_v = v;
                best = ih * pl.w + iw;
              }
            }
          const int64_t o = (c * OH + oh) * OW + ow;
          yp[o] = best_v;
          ip[o] = best;
        }
      }
    }
  });
}

template <typename T>
void max_pool_backward_kernel(const Tensor& g, const Tensor& idx, Tensor& gi) {
  const Planes pl = planes_of(gi.sizes());
  const int64_t ohw = g.size(-2) * g.size(-1), hw = pl.h * pl.w;
  const T* gp = g.data_ptr<T>();
  const int64_t* ip = idx.data_ptr<int64_t>();
  T* out = gi.data_ptr<T>();
  std::fill(out, out + gi.numel(), T(0));
  for_planes(pl.count, ohw, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c)
      for (int64_t o = 0; o < ohw; ++o) {
        // A window that lies wholly in the padding (possible with dilation) points outside.
        const int64_t at = ip[c * ohw + o];
        if (at >= 0 && at < hw) out[c * hw + at] += gp[c * ohw + o];
      }
  });
}

// gi = max pooling's input gradient: g scattered to the positions of the maxima.
struct MaxPool2DWithIndicesBackward {
  static constexpr const char* name = "MaxPool2DWithIndicesBackwardBackward0";
  Tensor forward(Ctx& ctx, const Tensor& g, const Tensor& indices, IntArrayRef in_sizes) {
    ctx.save(indices);
    Tensor gc = g.contiguous(), ic = indices.contiguous();
    Tensor gi = core::empty(in_sizes, g.scalar_type());
    NABLA_DISPATCH_FLOATING_TYPES(g.scalar_type(), "max_pool2d_with_indices_backward",
                                  [&] { max_pool_backward_kernel<scalar_t>(gc, ic, gi); });
    return gi;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    Tensor idx = ctx.saved(0);
    return {g[0].flatten(-2).gather(-1, idx.flatten(-2)).view(idx.sizes()), Tensor()};
  }
};

struct MaxPool2DWithIndices {
  static constexpr const char* name = "MaxPool2DWithIndicesBackward0";
  DimVector in_sizes;
  std::tuple<Tensor, Tensor> forward(Ctx& ctx, const Tensor& x, const PoolParams& p) {
    in_sizes = DimVector(x.sizes());
    Tensor xc = x.contiguous();
    const DimVector os = out_sizes(x.sizes(), p.out_h, p.out_w);
    Tensor y = core::empty(os, x.scalar_type()), idx = core::empty(os, kLong);
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "max_pool2d", [&] { max_pool_kernel<scalar_t>(xc, y, idx, p); });
    ctx.save_output(idx);
    return {y, idx};
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    return {autograd::apply<MaxPool2DWithIndicesBackward>(g[0], ctx.saved(0), IntArrayRef(in_sizes))};
  }
};

// ---- average pooling ----------------------------------------------------------------------

// The window of output (oh, ow) clipped to the input, and its divisor (PyTorch's rules).
struct Window {
  int64_t h0, h1, w0, w1, divisor;
};
Window avg_window(int64_t oh, int64_t ow, int64_t H, int64_t W, const PoolParams& p) {
  int64_t h0 = oh * p.sh - p.ph, w0 = ow * p.sw - p.pw;
  int64_t h1 = std::min(h0 + p.kh, H + p.ph), w1 = std::min(w0 + p.kw, W + p.pw);
  const int64_t pool_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, H);
  w1 = std::min(w1, W);
  const int64_t div = p.divisor ? *p.divisor : p.count_include_pad ? pool_size : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, div};
}

template <typename T>
void avg_pool_kernel(const Tensor& x, Tensor& y, const PoolParams& p) {
  const Planes pl = planes_of(x.sizes());
  const T* xp = x.data_ptr<T>();
  T* yp = y.data_ptr<T>();
  const int64_t OH = p.out_h, OW = p.out_w;
  for_planes(pl.count, OH * OW * p.kh * p.kw, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const T* in = xp + c * pl.h * pl.w;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const Window win = avg_window(oh, ow, pl.h, pl.w, p);
          T& out = yp[(c * OH + oh) * OW + ow];
          if (win.h0 >= win.h1 || win.w0 >= win.w1) {
            out = T(0);
            continue;
          }
          T sum = 0;
          for (int64_t ih = win.h0; ih < win.h1; ++ih)
            for (int64_t iw = win.w0; iw < win.w1; ++iw) sum += in[ih * pl.w + iw];
          out = sum / static_cast<T>(win.divisor);
        }
    }
  });
}

template <typename T>
void avg_pool_backward_kernel(const Tensor& g, Tensor& gi, const PoolParams& p) {
  const Planes pl = planes_of(gi.sizes());
  const T* gp = g.data_ptr<T>();
  T* out = gi.data_ptr<T>();
  std::fill(out, out + gi.numel(), T(0));
  const int64_t OH = p.out_h, OW = p.out_w;
  for_planes(pl.count, OH * OW * p.kh * p.kw, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      T* gin = out + c * pl.h * pl.w;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const Window win = avg_window(oh, ow, pl.h, pl.w, p);
          if (win.h0 >= win.h1 || win.w0 >= win.w1) continue;
          const T v = gp[(c * OH + oh) * OW + ow] / static_cast<T>(win.divisor);
          for (int64_t ih = win.h0; ih < win.h1; ++ih)
            for (int64_t iw = win.w0; iw < win.w1; ++iw) gin[ih * pl.w + iw] += v;
        }
    }
  });
}

Tensor avg_pool_forward(const Tensor& x, const PoolParams& p) {
  Tensor xc = x.contiguous();
  Tensor y = core::empty(out_sizes(x.sizes(), p.out_h, p.out_w), x.scalar_type());
  if (x.scalar_type() == kLong) {
    avg_pool_kernel<int64_t>(xc, y, p);
  } else {
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "avg_pool2d", [&] { avg_pool_kernel<scalar_t>(xc, y, p); });
  }
  return y;
}

struct AvgPool2D;

struct AvgPool2DBackward {
  static constexpr const char* name = "AvgPool2DBackwardBackward0";
  PoolParams p;
  Tensor forward(Ctx&, const Tensor& g, const PoolParams& p_, IntArrayRef in_sizes) {
    p = p_;
    Tensor gc = g.contiguous();
    Tensor gi = core::empty(in_sizes, g.scalar_type());
    NABLA_DISPATCH_FLOATING_TYPES(g.scalar_type(), "avg_pool2d_backward",
                                  [&] { avg_pool_backward_kernel<scalar_t>(gc, gi, p); });
    return gi;
  }
  variable_list backward(Ctx& ctx, const variable_list& g);
};

struct AvgPool2D {
  static constexpr const char* name = "AvgPool2DBackward0";
  PoolParams p;
  DimVector in_sizes;
  Tensor forward(Ctx&, const Tensor& x, const PoolParams& p_) {
    p = p_;
    in_sizes = DimVector(x.sizes());
    return avg_pool_forward(x, p);
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {autograd::apply<AvgPool2DBackward>(g[0], p, IntArrayRef(in_sizes))};
  }
};

variable_list AvgPool2DBackward::backward(Ctx&, const variable_list& g) {
  return {autograd::apply<AvgPool2D>(g[0], p)};
}

// ---- adaptive average pooling -------------------------------------------------------------

int64_t start_index(int64_t o, int64_t out, int64_t in) { return o * in / out; }
int64_t end_index(int64_t o, int64_t out, int64_t in) { return ((o + 1) * in + out - 1) / out; }

template <typename T>
void adaptive_avg_kernel(const Tensor& x, Tensor& y) {
  const Planes pl = planes_of(x.sizes());
  const int64_t OH = y.size(-2), OW = y.size(-1);
  const T* xp = x.data_ptr<T>();
  T* yp = y.data_ptr<T>();
  for_planes(pl.count, pl.h * pl.w, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const T* in = xp + c * pl.h * pl.w;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t h0 = start_index(oh, OH, pl.h), h1 = end_index(oh, OH, pl.h);
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t w0 = start_index(ow, OW, pl.w), w1 = end_index(ow, OW, pl.w);
          T sum = 0;
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) sum += in[ih * pl.w + iw];
          yp[(c * OH + oh) * OW + ow] = sum / static_cast<T>((h1 - h0) * (w1 - w0));
        }
      }
    }
  });
}

template <typename T>
void adaptive_avg_backward_kernel(const Tensor& g, Tensor& gi) {
  const Planes pl = planes_of(gi.sizes());
  const int64_t OH = g.size(-2), OW = g.size(-1);
  const T* gp = g.data_ptr<T>();
  T* out = gi.data_ptr<T>();
  std::fill(out, out + gi.numel(), T(0));
  for_planes(pl.count, pl.h * pl.w, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      T* gin = out + c * pl.h * pl.w;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t h0 = start_index(oh, OH, pl.h), h1 = end_index(oh, OH, pl.h);
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t w0 = start_index(ow, OW, pl.w), w1 = end_index(ow, OW, pl.w);
          const T v = gp[(c * OH + oh) * OW + ow] / static_cast<T>((h1 - h0) * (w1 - w0));
          for (int64_t ih = h0; ih < h1; ++ih)
            for (int64_t iw = w0; iw < w1; ++iw) gin[ih * pl.w + iw] += v;
        }
      }
    }
  });
}

struct AdaptiveAvgPool2D;

struct AdaptiveAvgPool2DBackward {
  static constexpr const char* name = "AdaptiveAvgPool2DBackwardBackward0";
  DimVector out_hw;
  Tensor forward(Ctx&, const Tensor& g, IntArrayRef in_sizes) {
    out_hw = DimVector{g.size(-2), g.size(-1)};
    Tensor gc = g.contiguous();
    Tensor gi = core::empty(in_sizes, g.scalar_type());
    NABLA_DISPATCH_FLOATING_TYPES(g.scalar_type(), "adaptive_avg_pool2d_backward",
                                  [&] { adaptive_avg_backward_kernel<scalar_t>(gc, gi); });
    return gi;
  }
  variable_list backward(Ctx& ctx, const variable_list& g);
};

struct AdaptiveAvgPool2D {
  static constexpr const char* name = "AdaptiveAvgPool2DBackward0";
  DimVector in_sizes;
  Tensor forward(Ctx&, const Tensor& x, IntArrayRef out_hw) {
    in_sizes = DimVector(x.sizes());
    Tensor xc = x.contiguous();
    Tensor y = core::empty(out_sizes(x.sizes(), out_hw[0], out_hw[1]), x.scalar_type());
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "adaptive_avg_pool2d",
                                  [&] { adaptive_avg_kernel<scalar_t>(xc, y); });
    return y;
  }
  variable_list backward(Ctx&, const variable_list& g) {
    return {autograd::apply<AdaptiveAvgPool2DBackward>(g[0], IntArrayRef(in_sizes))};
  }
};

variable_list AdaptiveAvgPool2DBackward::backward(Ctx&, const variable_list& g) {
  return {autograd::apply<AdaptiveAvgPool2D>(g[0], IntArrayRef(out_hw))};
}

}  // namespace

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride,
                                                   IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  NABLA_CHECK(self.dim() == 3 || self.dim() == 4, "non-empty 3D or 4D (batch mode) tensor expected for input");
  PoolParams p = pool_params(self, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode);
  return autograd::apply<MaxPool2DWithIndices>(self, p);
}

Tensor max_pool2d(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  IntArrayRef dilation, bool ceil_mode) {
  return std::get<0>(max_pool2d_with_indices(self, kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor avg_pool2d(const Tensor& self, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding, bool ceil_mode,
                  bool count_include_pad, std::optional<int64_t> divisor_override) {
  NABLA_CHECK(kernel_size.size() == 1 || kernel_size.size() == 2,
              "avg_pool2d: kernel_size must either be a single int, or a tuple of two ints");
  NABLA_CHECK(stride.empty() || stride.size() == 1 || stride.size() == 2,
              "avg_pool2d: stride must either be omitted, a single int, or a tuple of two ints");
  NABLA_CHECK(padding.size() == 1 || padding.size() == 2,
              "avg_pool2d: padding must either be a single int, or a tuple of two ints");
  NABLA_CHECK(!divisor_override || *divisor_override != 0, "divisor must be not zero");
  (void)self.size(-3);  // PyTorch's IndexError text for inputs of fewer than 3 dims
  PoolParams p = pool_params(self, "avg_pool2d", kernel_size, stride, padding, 1, ceil_mode);
  p.count_include_pad = count_include_pad;
  p.divisor = divisor_override;
  return autograd::apply<AvgPool2D>(self, p);
}

Tensor adaptive_avg_pool2d(const Tensor& self, IntArrayRef output_size) {
  NABLA_CHECK(output_size.size() == 2, "adaptive_avg_pool2d: output_size must be 2");
  NABLA_CHECK(output_size[0] >= 0 && output_size[1] >= 0,
              "adaptive_avg_pool2d: elements of output_size must be greater than or equal to 0 but received {",
              output_size[0], ", ", output_size[1], "}");
  if (output_size[0] == 1 && output_size[1] == 1) return self.mean({-1, -2}, true);
  const int64_t nd = self.dim();
  NABLA_CHECK(nd == 3 || nd == 4, "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ",
              core::shape_str(self.sizes()));
  for (int64_t i = 1; i < nd; ++i)
    NABLA_CHECK(self.size(i) > 0,
                "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but input has "
                "sizes ",
                core::shape_str(self.sizes()), " with dimension ", i, " being empty");
  return autograd::apply<AdaptiveAvgPool2D>(self, output_size);
}

namespace nn::functional {

Tensor max_pool2d(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return nabla::max_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const MaxPool2dFuncOptions& o) {
  return nabla::max_pool2d_with_indices(input, o.kernel_size(), o.stride(), o.padding(), o.dilation(), o.ceil_mode());
}
Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& o) {
  return nabla::avg_pool2d(input, o.kernel_size(), o.stride(), o.padding(), o.ceil_mode(), o.count_include_pad(),
                           o.divisor_override());
}
Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& o) {
  const auto& os = *o.output_size();
  NABLA_CHECK(input.dim() >= 2, "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ",
              core::shape_str(input.sizes()));
  const DimVector size{os[0] ? *os[0] : input.size(-2), os[1] ? *os[1] : input.size(-1)};
  return nabla::adaptive_avg_pool2d(input, size);
}

}  // namespace nn::functional
}  // namespace nabla
