// Conv1d, Conv2d, ConvTranspose2d: parameters, PyTorch's default initialisation, reprs, and
// the padding modes other than zeros (reflect, replicate, circular) applied before a valid
// convolution, as PyTorch's _ConvNd does.
#include "nabla/nn/modules/conv.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <variant>
#include <vector>

#include "nabla/functions.h"
#include "nabla/nn/functional/conv.h"
#include "nabla/nn/init.h"

namespace nabla::nn {

namespace {

std::string tuple_str(IntArrayRef v) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << (v.size() == 1 ? ",)" : ")");
  return os.str();
}

bool all_equal(IntArrayRef v, int64_t x) {
  for (int64_t e : v)
    if (e != x) return false;
  return true;
}

// Pads dim `dim` of t by `left` and `right` elements taken as the padding mode says, by
// index_select (so the gradient flows back to the source elements).
Tensor pad_dim(const Tensor& t, int64_t dim, int64_t left, int64_t right, PadKind mode) {
  if (left == 0 && right == 0) return t;
  const int64_t n = t.size(dim);
  std::vector<int64_t> idx;
  idx.reserve(static_cast<size_t>(n + left + right));
  for (int64_t i = -left; i < n + right; ++i) {
    int64_t j = i;
    if (mode == PadKind::Replicate) {
      j = std::clamp<int64_t>(i, 0, n - 1);
    } else if (mode == PadKind::Circular) {
      j = ((i % n) + n) % n;
    } else {
      j = i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
    }
    idx.push_back(j);
  }
  Tensor index = from_blob(idx.data(), {static_cast<int64_t>(idx.size())}, kLong).clone();
  return t.index_select(dim, index);
}

// The (left, right) padding per spatial dim of a convolution with these options.
template <size_t D>
std::vector<std::pair<int64_t, int64_t>> side_padding(const ConvOptions<D>& o) {
  std::vector<std::pair<int64_t, int64_t>> out;
  for (size_t i = 0; i < D; ++i) {
    if (const auto* mode = std::get_if<PaddingMode>(&o.padding())) {
      const int64_t total = *mode == kSame ? (*o.dilation())[i] * ((*o.kernel_size())[i] - 1) : 0;
      out.emplace_back(total / 2, total - total / 2);
    } else {
      const int64_t p = (*std::get<ExpandingArray<D>>(o.padding()))[i];
      out.emplace_back(p, p);
    }
  }
  return out;
}

void init_conv_parameters(Tensor& weight, Tensor& bias) {
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const auto [fan_in, fan_out] = init::_calculate_fan_in_and_fan_out(weight);
    (void)fan_out;
    if (fan_in != 0) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
      init::uniform_(bias, -bound, bound);
    }
  }
}

void check_channels(int64_t in, int64_t out, int64_t groups) {
  NABLA_CHECK(groups > 0, "groups must be a positive integer");
  NABLA_CHECK(in % groups == 0, "in_channels must be divisible by groups");
  NABLA_CHECK(out % groups == 0, "out_channels must be divisible by groups");
}

}  // namespace

namespace detail {

template <size_t D, typename Derived>
void ConvNdImpl<D, Derived>::reset() {
  const auto& o = options;
  check_channels(o.in_channels(), o.out_channels(), o.groups());
  if (const auto* mode = std::get_if<PaddingMode>(&o.padding()); mode && *mode == kSame)
    NABLA_CHECK(all_equal(*o.stride(), 1), "padding='same' is not supported for strided convolutions");
  std::vector<int64_t> shape{o.out_channels(), o.in_channels() / o.groups()};
  for (int64_t k : *o.kernel_size()) shape.push_back(k);
  weight = this->register_parameter("weight", nabla::empty(shape));
  bias = o.bias() ? this->register_parameter("bias", nabla::empty({o.out_channels()}))
                  : this->register_parameter("bias", Tensor(), false);
  reset_parameters();
}

template <size_t D, typename Derived>
void ConvNdImpl<D, Derived>::reset_parameters() {
  NoGradGuard no_grad;
  init_conv_parameters(weight, bias);
}

template <size_t D, typename Derived>
std::string ConvNdImpl<D, Derived>::extra_repr() const {
  const auto& o = options;
  std::ostringstream os;
  os << o.in_channels() << ", " << o.out_channels() << ", kernel_size=" << tuple_str(*o.kernel_size())
     << ", stride=" << tuple_str(*o.stride());
  if (const auto* mode = std::get_if<PaddingMode>(&o.padding())) {
    os << ", padding=" << (*mode == kSame ? "same" : "valid");
  } else if (!all_equal(*std::get<ExpandingArray<D>>(o.padding()), 0)) {
    os << ", padding=" << tuple_str(*std::get<ExpandingArray<D>>(o.padding()));
  }
  if (!all_equal(*o.dilation(), 1)) os << ", dilation=" << tuple_str(*o.dilation());
  if (o.groups() != 1) os << ", groups=" << o.groups();
  if (!o.bias()) os << ", bias=False";
  if (o.padding_mode() != kZeros) os << ", padding_mode=" << enum_name(o.padding_mode());
  return os.str();
}

template <size_t D, typename Derived>
Tensor ConvNdImpl<D, Derived>::forward(const Tensor& input) {
  const auto& o = options;
  std::optional<Tensor> b = bias.defined() ? std::optional<Tensor>(bias) : std::nullopt;
  auto conv = [&](const Tensor& x, IntArrayRef padding) {
    return D == 1 ? conv1d(x, weight, b, *o.stride(), padding, *o.dilation(), o.groups())
                  : conv2d(x, weight, b, *o.stride(), padding, *o.dilation(), o.groups());
  };
  if (o.padding_mode() != kZeros) {
    Tensor x = input;
    const auto pads = side_padding(o);
    for (size_t i = 0; i < D; ++i)
      x = pad_dim(x, x.dim() - static_cast<int64_t>(D) + static_cast<int64_t>(i), pads[i].first, pads[i].second,
                  o.padding_mode());
    return conv(x, 0);
  }
  if (const auto* mode = std::get_if<PaddingMode>(&o.padding())) {
    return D == 1 ? conv1d(input, weight, b, *o.stride(), *mode, *o.dilation(), o.groups())
                  : conv2d(input, weight, b, *o.stride(), *mode, *o.dilation(), o.groups());
  }
  return conv(input, *std::get<ExpandingArray<D>>(o.padding()));
}

template class ConvNdImpl<1, Conv1dImpl>;
template class ConvNdImpl<2, Conv2dImpl>;

}  // namespace detail

Conv1dImpl::Conv1dImpl(Conv1dOptions options_) : ConvNdImpl(std::move(options_)) { reset(); }
Conv2dImpl::Conv2dImpl(Conv2dOptions options_) : ConvNdImpl(std::move(options_)) { reset(); }

ConvTranspose2dImpl::ConvTranspose2dImpl(ConvTranspose2dOptions options_) : options(std::move(options_)) { reset(); }

void ConvTranspose2dImpl::reset() {
  const auto& o = options;
  check_channels(o.in_channels(), o.out_channels(), o.groups());
  NABLA_CHECK(o.padding_mode() == kZeros, "Only \"zeros\" padding mode is supported for ConvTranspose2d");
  std::vector<int64_t> shape{o.in_channels(), o.out_channels() / o.groups()};
  for (int64_t k : *o.kernel_size()) shape.push_back(k);
  weight = register_parameter("weight", nabla::empty(shape));
  bias = o.bias() ? register_parameter("bias", nabla::empty({o.out_channels()}))
                  : register_parameter("bias", Tensor(), false);
  reset_parameters();
}

void ConvTranspose2dImpl::reset_parameters() {
  NoGradGuard no_grad;
  init_conv_parameters(weight, bias);
}

std::string ConvTranspose2dImpl::extra_repr() const {
  const auto& o = options;
  std::ostringstream os;
  os << o.in_channels() << ", " << o.out_channels() << ", kernel_size=" << tuple_str(*o.kernel_size())
     << ", stride=" << tuple_str(*o.stride());
  if (!all_equal(*o.padding(), 0)) os << ", padding=" << tuple_str(*o.padding());
  if (!all_equal(*o.dilation(), 1)) os << ", dilation=" << tuple_str(*o.dilation());
  if (!all_equal(*o.output_padding(), 0)) os << ", output_padding=" << tuple_str(*o.output_padding());
  if (o.groups() != 1) os << ", groups=" << o.groups();
  if (!o.bias()) os << ", bias=False";
  return os.str();
}

Tensor ConvTranspose2dImpl::forward(const Tensor& input, const std::optional<IntArrayRef>& output_size) {
  const auto& o = options;
  std::vector<int64_t> out_pad(o.output_padding()->begin(), o.output_padding()->end());
  if (output_size) {
    // PyTorch's _output_padding: the output_padding that gives the requested size.
    const int64_t k = input.dim() - 2;
    IntArrayRef os = *output_size;
    if (static_cast<int64_t>(os.size()) == input.dim()) os = os.slice(2);
    NABLA_CHECK(static_cast<int64_t>(os.size()) == k, "ConvTranspose2D: for ", input.dim(),
                "D input, output_size must have ", k, " or ", k + 2, " elements (got ", os.size(), ")");
    std::vector<int64_t> min_sizes, max_sizes;
    for (int64_t d = 0; d < k; ++d) {
      const int64_t dim_size = (input.size(d + input.dim() - k) - 1) * (*o.stride())[d] - 2 * (*o.padding())[d] +
                               (*o.dilation())[d] * ((*o.kernel_size())[d] - 1) + 1;
      min_sizes.push_back(dim_size);
      max_sizes.push_back(dim_size + (*o.stride())[d] - 1);
    }
    for (int64_t d = 0; d < k; ++d)
      NABLA_CHECK(os[d] >= min_sizes[d] && os[d] <= max_sizes[d], "requested an output size of ", tuple_str(os),
                  ", but valid sizes range from ", IntArrayRef(min_sizes), " to ", IntArrayRef(max_sizes),
                  " (for an input of torch.Size(", input.sizes().slice(2), "))");
    for (int64_t d = 0; d < k; ++d) out_pad[static_cast<size_t>(d)] = os[d] - min_sizes[d];
  }
  std::optional<Tensor> b = bias.defined() ? std::optional<Tensor>(bias) : std::nullopt;
  return conv_transpose2d(input, weight, b, *o.stride(), *o.padding(), out_pad, o.groups(), *o.dilation());
}

}  // namespace nabla::nn
