// Copies and conversions: clone, to(dtype), contiguous, copy_, fill_, zero_, item; plus the
// plain geometry accessors of Tensor.
#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "ops/elementwise_common.h"
#include "nabla/functions.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

int64_t Tensor::size(int64_t dim) const { return sizes()[core::wrap_dim(dim, this->dim())]; }
int64_t Tensor::stride(int64_t dim) const { return strides()[core::wrap_dim(dim, this->dim())]; }

Scalar Tensor::item() const {
  NABLA_CHECK(numel() == 1, "a Tensor with ", numel(), " elements cannot be converted to Scalar");
  if (isNarrowType(scalar_type())) return kernels::to_dtype(*this, computeType(scalar_type())).item();
  return NABLA_DISPATCH_ALL_TYPES(scalar_type(), "item", [&]() -> Scalar {
    return Scalar(*static_cast<const scalar_t*>(data_ptr()));
  });
}

namespace {

struct Clone {
  static constexpr const char* name = "CloneBackward0";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  Tensor forward(Ctx&, const Tensor& t) {
    Tensor out = core::empty(t.sizes(), t.scalar_type());
    kernels::copy_(out, t);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0]}; }
};

struct ToCopy {
  static constexpr const char* name = "ToCopyBackward0";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  ScalarType from;
  Tensor forward(Ctx&, const Tensor& t, ScalarType to) {
    from = t.scalar_type();
    Tensor out = core::empty(t.sizes(), to);
    kernels::copy_(out, t);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].to(from)}; }
};

// self.copy_(src): self's old value gets no gradient, src gets the gradient (summed to its
// shape and cast to its dtype by the engine).
struct Copy {
  static constexpr const char* name = "CopyBackwards";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  Tensor forward(Ctx&, const Tensor& self, const Tensor& src) {
    if (self.sizes() == src.sizes() && self.scalar_type() == src.scalar_type()) return src;
    Tensor out = core::empty(self.sizes(), self.scalar_type());
    kernels::copy_(out, src);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0]), g[0]}; }
};

struct Fill {
  static constexpr const char* name = "FillBackward0";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  Tensor forward(Ctx&, const Tensor& self, const Scalar& v) {
    Tensor out = core::empty(self.sizes(), self.scalar_type());
    kernels::fill_(out, v);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

struct FillTensor {
  static constexpr const char* name = "FillBackward1";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  Tensor forward(Ctx&, const Tensor& self, const Tensor& v) {
    NABLA_CHECK(v.dim() == 0, "fill_ only supports 0-dimension value tensor but got tensor with ", v.dim(),
                " dimensions.");
    Tensor out = core::empty(self.sizes(), self.scalar_type());
    kernels::copy_(out, v);
    return out;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0]), g[0].sum()}; }
};

struct Zero {
  static constexpr const char* name = "ZeroBackward0";
  static constexpr bool dtype_blind = true;  // Note [Narrow dtypes compute wide]
  Tensor forward(Ctx&, const Tensor& self) { return zeros(self.sizes(), self.scalar_type()); }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

}  // namespace

Tensor Tensor::clone() const { return autograd::apply<Clone>(*this); }

Tensor Tensor::to(ScalarType dtype, bool, bool copy) const {
  if (dtype == scalar_type() && !copy) return *this;
  return autograd::apply<ToCopy>(*this, dtype);
}

Tensor Tensor::to(TensorOptions options, bool non_blocking, bool copy) const {
  Tensor r = to(options.has_dtype() ? options.dtype() : scalar_type(), non_blocking, copy);
  if (options.requires_grad()) r.requires_grad_(true);
  return r;
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::to(Device device, bool non_blocking, bool copy) const {
  check_device_available(device);
  return to(scalar_type(), non_blocking, copy);
}

Tensor Tensor::to(Device device, ScalarType dtype, bool non_blocking, bool copy) const {
  check_device_available(device);
  return to(dtype, non_blocking, copy);
}

Tensor Tensor::to(const Tensor& other, bool non_blocking, bool copy) const {
  return to(other.device(), other.scalar_type(), non_blocking, copy);
}

Tensor& Tensor::copy_(const Tensor& src, bool) const {
  if (!GradMode::is_enabled() || (!requires_grad() && !src.requires_grad())) {
    autograd::check_inplace(*this);
    kernels::copy_(self(), src);
    impl()->bump_version();
    return self();
  }
  return autograd::apply_inplace<Copy>(self(), src);
}

Tensor& Tensor::fill_(const Scalar& value) const {
  ops::check_fill_value(scalar_type(), value);
  if (!GradMode::is_enabled() || !requires_grad()) {
    autograd::check_inplace(*this);
    kernels::fill_(self(), value);
    impl()->bump_version();
    return self();
  }
  return autograd::apply_inplace<Fill>(self(), value);
}

Tensor& Tensor::fill_(const Tensor& value) const { return autograd::apply_inplace<FillTensor>(self(), value); }

Tensor& Tensor::zero_() const {
  if (!GradMode::is_enabled() || !requires_grad()) {
    autograd::check_inplace(*this);
    kernels::fill_(self(), 0);
    impl()->bump_version();
    return self();
  }
  return autograd::apply_inplace<Zero>(self());
}

}  // namespace nabla
