// Linear algebra: mm, bmm, mv, addmm, dot (OpenBLAS GEMM/dot for float32/float64, wrapping
// loops for integers), outer, and matmul composed from them exactly as PyTorch decomposes it
// (so grad_fn names agree: MmBackward0, UnsafeViewBackward0, SqueezeBackward3, ...).
#include <algorithm>

#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/elementwise.h"
#include "nabla/functions.h"
#include "nabla/warning.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

void check_not_bool(ScalarType dt, const char* kernel) {
  NABLA_CHECK(dt != kBool, "\"", kernel, "\" not implemented for 'Bool'");
}

void check_same_dtype(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.scalar_type() == b.scalar_type(), "expected scalar type ", scalarTypeName(a.scalar_type()),
              " but found ", scalarTypeName(b.scalar_type()));
}

std::string mat_shape(const Tensor& t) { return std::to_string(t.size(0)) + "x" + std::to_string(t.size(1)); }

void check_mm(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.dim() == 2, "self must be a matrix");
  NABLA_CHECK(b.dim() == 2, "mat2 must be a matrix");
  NABLA_CHECK(a.size(1) == b.size(0), "mat1 and mat2 shapes cannot be multiplied (", mat_shape(a), " and ",
              mat_shape(b), ")");
  check_same_dtype(a, b);
  check_not_bool(a.scalar_type(), "addmm_impl_cpu_");
}

Tensor mm_kernel(const Tensor& a, const Tensor& b) {
  Tensor out = core::empty({a.size(0), b.size(1)}, a.scalar_type());
  kernels::mm(a, b, out);
  return out;
}

struct Mm {
  static constexpr const char* name = "MmBackward0";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b) {
    check_mm(a, b);
    ctx.save(ctx.needs_input_grad(1) ? a : Tensor(), ctx.needs_input_grad(0) ? b : Tensor());
    return mm_kernel(a, b);
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [a, b] = ctx.saved<2>();
    return {b.defined() ? g[0].mm(b.t()) : Tensor(), a.defined() ? a.t().mm(g[0]) : Tensor()};
  }
};

struct Bmm {
  static constexpr const char* name = "BmmBackward0";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b) {
    NABLA_CHECK(a.dim() == 3, "batch1 must be a 3D tensor");
    NABLA_CHECK(b.dim() == 3, "batch2 must be a 3D tensor");
    NABLA_CHECK(b.size(0) == a.size(0) && b.size(1) == a.size(2),
                "Expected size for first two dimensions of batch2 tensor to be: [", a.size(0), ", ", a.size(2),
                "] but got: [", b.size(0), ", ", b.size(1), "].");
    check_same_dtype(a, b);
    check_not_bool(a.scalar_type(), "bmm");
    ctx.save(ctx.needs_input_grad(1) ? a : Tensor(), ctx.needs_input_grad(0) ? b : Tensor());
    const int64_t batch = a.size(0), m = a.size(1), n = b.size(2);
    Tensor out = core::empty({batch, m, n}, a.scalar_type());
    kernels::bmm(a, b, out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [a, b] = ctx.saved<2>();
    return {b.defined() ? g[0].bmm(b.transpose(1, 2)) : Tensor(), a.defined() ? a.transpose(1, 2).bmm(g[0]) : Tensor()};
  }
};

struct Mv {
  static constexpr const char* name = "MvBackward0";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& v) {
    NABLA_CHECK(a.dim() == 2 && v.dim() == 1, "vector + matrix @ vector expected, got 1, ", a.dim(), ", ", v.dim());
    NABLA_CHECK(a.size(1) == v.size(0), "size mismatch, got ", a.size(0), ", ", mat_shape(a), ",", v.size(0));
    check_same_dtype(a, v);
    check_not_bool(a.scalar_type(), "addmv_impl_cpu");
    ctx.save(ctx.needs_input_grad(1) ? a : Tensor(), ctx.needs_input_grad(0) ? v : Tensor());
    Tensor out = core::empty({a.size(0)}, a.scalar_type());
    kernels::mm(a, v, out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [a, v] = ctx.saved<2>();
    return {v.defined() ? g[0].outer(v) : Tensor(), a.defined() ? a.t().mv(g[0]) : Tensor()};
  }
};

struct Dot {
  static constexpr const char* name = "DotBackward0";
  Tensor forward(Ctx& ctx, const Tensor& a, const Tensor& b) {
    NABLA_CHECK(a.dim() == 1 && b.dim() == 1, "1D tensors expected, but got ", a.dim(), "D and ", b.dim(), "D tensors");
    NABLA_CHECK(a.scalar_type() == b.scalar_type(), "dot : expected both vectors to have same dtype, but found ",
                scalarTypeName(a.scalar_type()), " and ", scalarTypeName(b.scalar_type()));
    NABLA_CHECK(a.numel() == b.numel(), "inconsistent tensor size, expected tensor [", a.numel(), "] and src [",
                b.numel(), "] to have the same number of elements, but got ", a.numel(), " and ", b.numel(),
                " elements respectively");
    check_not_bool(a.scalar_type(), "dot");
    ctx.save(ctx.needs_input_grad(1) ? a : Tensor(), ctx.needs_input_grad(0) ? b : Tensor());
    Tensor out = core::empty({}, a.scalar_type());
    kernels::dot(a, b, out);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [a, b] = ctx.saved<2>();
    return {b.defined() ? g[0] * b : Tensor(), a.defined() ? g[0] * a : Tensor()};
  }
};

struct Addmm {
  static constexpr const char* name = "AddmmBackward0";
  Scalar beta, alpha;
  Tensor forward(Ctx& ctx, const Tensor& self, const Tensor& m1, const Tensor& m2, const Scalar& beta_,
                 const Scalar& alpha_) {
    beta = beta_;
    alpha = alpha_;
    NABLA_CHECK(self.scalar_type() == m2.scalar_type(), "self and mat2 must have the same dtype");
    NABLA_CHECK(m1.scalar_type() == m2.scalar_type(), "mat1 and mat2 must have the same dtype");
    NABLA_CHECK(m1.dim() == 2, "mat1 must be a matrix, got ", m1.dim(), "-D tensor");
    NABLA_CHECK(m2.dim() == 2, "mat2 must be a matrix, got ", m2.dim(), "-D tensor");
    NABLA_CHECK(m1.size(1) == m2.size(0), "mat1 and mat2 shapes cannot be multiplied (", mat_shape(m1), " and ",
                mat_shape(m2), ")");
    Tensor self_expanded = self.expand({m1.size(0), m2.size(1)});
    check_not_bool(m1.scalar_type(), "addmm_impl_cpu_");
    ctx.save(ctx.needs_input_grad(2) ? m1 : Tensor(), ctx.needs_input_grad(1) ? m2 : Tensor());
    Tensor out = core::empty({m1.size(0), m2.size(1)}, m1.scalar_type());
    const bool use_self = beta.toDouble() != 0.0;
    if (use_self) kernels::copy_(out, self_expanded);
    kernels::mm(m1, m2, out, use_self ? beta : Scalar(0), alpha);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [m1, m2] = ctx.saved<2>();
    const bool unit_alpha = alpha.toDouble() == 1.0;
    Tensor g1, g2;
    if (m2.defined()) g1 = unit_alpha ? g[0].mm(m2.t()) : g[0].mm(m2.t()) * alpha;
    if (m1.defined()) g2 = unit_alpha ? m1.t().mm(g[0]) : m1.t().mm(g[0]) * alpha;
    return {beta.toDouble() == 1.0 ? g[0] : g[0] * beta, g1, g2};
  }
};

// at::_unsafe_view: a reshape of a fresh contiguous result that autograd does not treat as a
// view (what matmul returns after folding batches into mm/mv/bmm).
struct UnsafeView {
  static constexpr const char* name = "UnsafeViewBackward0";
  DimVector in_sizes;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef shape) {
    in_sizes = DimVector(t.sizes());
    Tensor c = t.contiguous();
    return core::alias_with(c, shape, contiguous_strides(shape), c.storage_offset());
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].reshape(in_sizes)}; }
};

// The in-place squeeze_(0) matmul applies to the [1, n] result of a 1-d @ 2-d product.
struct SqueezeFirst {
  static constexpr const char* name = "SqueezeBackward3";
  static constexpr bool is_view = true;
  Tensor forward(Ctx&, const Tensor& t) {
    return core::alias_with(t, t.sizes().slice(1), t.strides().slice(1), t.storage_offset());
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].unsqueeze(0)}; }
};

// PyTorch's should_fold: matmul of a >= 3-d tensor with a 1-d or 2-d one folds the batch
// into the rows of one mm/mv, unless the 3-d tensor's last two dims are transposed (then
// folding would need a copy, and bmm handles the transposition instead).
bool should_fold(const Tensor& t1, int64_t dim2) {
  if (t1.dim() < 3 || (dim2 != 1 && dim2 != 2)) return false;
  return !(t1.dim() == 3 && dim2 == 2 && t1.stride(2) != 1 && t1.stride(0) == t1.size(1) * t1.size(2));
}

// The op whose out= variant matmul_out runs, as named in PyTorch's messages.
const char* matmul_kernel_name(const Tensor& a, const Tensor& b) {
  const int64_t d1 = a.dim(), d2 = b.dim();
  if (d1 == 1 && d2 == 1) return "dot";
  if (d1 == 2 && d2 == 1) return "mv";
  if (d1 <= 2 && d2 <= 2) return "mm";
  if (should_fold(a, d2)) return d2 == 1 ? "mv" : "mm";
  if (should_fold(b, d1)) return d1 == 1 ? "mv" : "mm";
  return "bmm";
}

// C++ type names as PyTorch's out= dtype messages print them.
const char* cpp_type_name(ScalarType t) {
  switch (t) {
    case kByte: return "unsigned char";
    case kInt: return "int";
    case kLong: return "long int";
    case kFloat: return "float";
    case kDouble: return "double";
    case kBool: return "bool";
    case kHalf: return "c10::Half";
    case kShort: return "short int";
    case kChar: return "signed char";
  }
  return "";
}

void check_out_autograd(const char* op, const Tensor& out, const Tensor& a, const Tensor& b) {
  NABLA_CHECK(!GradMode::is_enabled() || !(out.requires_grad() || a.requires_grad() || b.requires_grad()), op,
              "(): functions with out=... arguments don't support automatic differentiation, but one of the "
              "arguments requires grad.");
}

// Writes result into out: out's dtype must match; out is resized (with PyTorch's warning when
// it held elements) if its shape differs.
Tensor& write_out(Tensor& out, const Tensor& result) {
  NABLA_CHECK(out.scalar_type() == result.scalar_type(), "Expected out tensor to have dtype ",
              cpp_type_name(result.scalar_type()), ", but got ", cpp_type_name(out.scalar_type()), " instead");
  if (out.sizes() != result.sizes()) {
    if (out.numel() != 0)
      warn("An output with one or more elements was resized since it had shape " + core::shape_str(out.sizes()) +
           ", which does not match the required output shape " + core::shape_str(result.sizes()) +
           ". This behavior is deprecated, and in a future PyTorch release outputs will not be resized unless they "
           "have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
           "with t.resize_(0).");
    TensorImpl* impl = out.unsafeGetTensorImpl();
    const size_t needed = static_cast<size_t>((out.storage_offset() + result.numel())) * result.element_size();
    if (impl->storage()->nbytes() < needed) {
      impl->set_storage(StorageImpl::allocate(static_cast<size_t>(result.numel()) * result.element_size()));
      impl->set_geometry(result.sizes(), contiguous_strides(result.sizes()), 0);
    } else {
      impl->set_geometry(result.sizes(), contiguous_strides(result.sizes()), out.storage_offset());
    }
  }
  kernels::copy_(out, result);
  out.unsafeGetTensorImpl()->bump_version();
  return out;
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) { return autograd::apply<Mm>(a, b); }
Tensor bmm(const Tensor& a, const Tensor& b) { return autograd::apply<Bmm>(a, b); }
Tensor mv(const Tensor& a, const Tensor& v) { return autograd::apply<Mv>(a, v); }
Tensor dot(const Tensor& a, const Tensor& b) { return autograd::apply<Dot>(a, b); }
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) {
  return autograd::apply<Addmm>(self, mat1, mat2, beta, alpha);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.dim() == 1, "outer: Expected 1-D argument self, but got ", a.dim(), "-D");
  NABLA_CHECK(b.dim() == 1, "outer: Expected 1-D argument vec2, but got ", b.dim(), "-D");
  return a.reshape({a.size(0), 1}) * b;
}

// Note [matmul decomposition]
// matmul follows PyTorch's _matmul_impl step by step, so results, gradients and grad_fn names
// agree: 1-d·1-d → dot; 2-d·1-d → mv; 1-d·2-d → unsqueeze, mm, squeeze_; 2-d·2-d → mm; a
// >= 3-d tensor with a 1-d/2-d one → its batch folded into mm/mv rows (transposing when the
// larger tensor is on the right); otherwise both are expanded to the broadcast batch shape,
// flattened to 3-d and multiplied with bmm. The expand makes broadcast batch gradients sum.
Tensor matmul(const Tensor& t1, const Tensor& t2) {
  const int64_t d1 = t1.dim(), d2 = t2.dim();
  NABLA_CHECK(d1 != 0 && d2 != 0, "both arguments to matmul need to be at least 1D, but they are ", d1, "D and ", d2,
              "D");
  if (d1 == 1 && d2 == 1) return t1.dot(t2);
  if (d1 == 2 && d2 == 1) return t1.mv(t2);
  if (d1 == 1 && d2 == 2) return autograd::apply<SqueezeFirst>(t1.unsqueeze(0).mm(t2));
  if (d1 == 2 && d2 == 2) return t1.mm(t2);
  if (should_fold(t1, d2) || should_fold(t2, d1)) {
    const bool transpose = d2 > d1;
    const Tensor a = transpose ? t2.mT() : t1;
    const Tensor b = !transpose ? t2 : d1 == 2 ? t1.t() : t1;
    DimVector out_shape(a.sizes().slice(0, static_cast<size_t>(a.dim() - 1)));
    const int64_t folded = prod_sizes(out_shape);
    const Tensor a_folded = a.reshape({folded, a.size(-1)});
    if (b.dim() == 1) return autograd::apply<UnsafeView>(a_folded.mv(b), IntArrayRef(out_shape));
    out_shape.push_back(b.size(1));
    Tensor out = autograd::apply<UnsafeView>(a_folded.mm(b), IntArrayRef(out_shape));
    return transpose ? out.mT().contiguous() : out;
  }
  // Both are at least 2-d here and one is at least 3-d.
  const int64_t n = t1.size(-2), m1 = t1.size(-1), m2 = t2.size(-2), p = t2.size(-1);
  DimVector out_shape = core::broadcast_shape(t1.sizes().slice(0, static_cast<size_t>(d1 - 2)),
                                              t2.sizes().slice(0, static_cast<size_t>(d2 - 2)));
  const int64_t batch = prod_sizes(out_shape);
  DimVector size1 = out_shape, size2 = out_shape;
  size1.push_back(n);
  size1.push_back(m1);
  size2.push_back(m2);
  size2.push_back(p);
  const Tensor a = t1.expand(size1).reshape({batch, n, m1});
  const Tensor b = t2.expand(size2).reshape({batch, m2, p});
  out_shape.push_back(n);
  out_shape.push_back(p);
  return autograd::apply<UnsafeView>(a.bmm(b), IntArrayRef(out_shape));
}

Tensor& mm_out(Tensor& out, const Tensor& a, const Tensor& b) {
  check_out_autograd("mm", out, a, b);
  NoGradGuard no_grad;
  return write_out(out, mm(a, b));
}

Tensor& matmul_out(Tensor& out, const Tensor& a, const Tensor& b) {
  NABLA_CHECK(a.dim() != 0 && b.dim() != 0, "both arguments to matmul need to be at least 1D, but they are ", a.dim(),
              "D and ", b.dim(), "D");
  check_out_autograd(matmul_kernel_name(a, b), out, a, b);
  NoGradGuard no_grad;
  Tensor result = matmul(a, b);
  NABLA_CHECK(a.dim() != 1 || b.dim() != 1 || out.scalar_type() == result.scalar_type(), "result dtype ",
              scalarTypeName(out.scalar_type()), " does not match input dtype ", scalarTypeName(result.scalar_type()));
  return write_out(out, result);
}

Tensor Tensor::mm(const Tensor& mat2) const { return nabla::mm(*this, mat2); }
Tensor Tensor::matmul(const Tensor& other) const { return nabla::matmul(*this, other); }
Tensor Tensor::bmm(const Tensor& mat2) const { return nabla::bmm(*this, mat2); }
Tensor Tensor::mv(const Tensor& vec) const { return nabla::mv(*this, vec); }
Tensor Tensor::addmm(const Tensor& mat1, const Tensor& mat2, const Scalar& beta, const Scalar& alpha) const {
  return nabla::addmm(*this, mat1, mat2, beta, alpha);
}
Tensor Tensor::dot(const Tensor& other) const { return nabla::dot(*this, other); }
Tensor Tensor::outer(const Tensor& vec2) const { return nabla::outer(*this, vec2); }

}  // namespace nabla
