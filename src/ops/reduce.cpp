// Reductions: sum (more in this family: mean, prod, max/min, var/std, norm, ...).
#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/reduce.h"
#include "nabla/functions.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

// Accumulation type: double for floating types, int64 for integral types.
template <typename T>
using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

Tensor sum_kernel(const Tensor& t, IntArrayRef dims, bool keepdim, ScalarType out_dtype) {
  Tensor src = t.scalar_type() == out_dtype ? t : t.to(out_dtype);
  auto plan = kernels::plan_reduce(src, dims, keepdim);
  return NABLA_DISPATCH_ALL_TYPES(out_dtype, "sum", [&] {
    return kernels::reduce_rows<scalar_t, scalar_t>(plan, out_dtype, [](const scalar_t* row, int64_t n) {
      acc_t<scalar_t> acc = 0;
      for (int64_t i = 0; i < n; ++i) acc += static_cast<acc_t<scalar_t>>(row[i]);
      return static_cast<scalar_t>(acc);
    });
  });
}

ScalarType sum_dtype(const Tensor& t, std::optional<ScalarType> dtype) {
  if (dtype) return *dtype;
  return isIntegralType(t.scalar_type(), true) ? kLong : t.scalar_type();
}

struct Sum {
  static constexpr const char* name = "SumBackward0";
  DimVector in_shape;
  Tensor forward(Ctx&, const Tensor& t, std::optional<ScalarType> dtype) {
    in_shape = DimVector(t.sizes());
    return sum_kernel(t, {}, false, sum_dtype(t, dtype));
  }
  variable_list backward(Ctx&, const variable_list& g) { return {g[0].expand(in_shape)}; }
};

struct SumDim {
  static constexpr const char* name = "SumBackward1";
  DimVector in_shape;
  DimVector dims;
  bool keepdim = false;
  Tensor forward(Ctx&, const Tensor& t, IntArrayRef dim, bool keepdim_, std::optional<ScalarType> dtype) {
    in_shape = DimVector(t.sizes());
    dims = core::wrap_dims(dim, t.dim());
    keepdim = keepdim_;
    return sum_kernel(t, dims, keepdim, sum_dtype(t, dtype));
  }
  variable_list backward(Ctx&, const variable_list& g) {
    Tensor gg = g[0];
    if (!keepdim) {
      DimVector sorted = dims;
      std::sort(sorted.begin(), sorted.end());
      for (int64_t d : sorted) gg = gg.unsqueeze(d);
    }
    return {gg.expand(in_shape)};
  }
};

}  // namespace

Tensor sum(const Tensor& t, std::optional<ScalarType> dtype) { return autograd::apply<Sum>(t, dtype); }
Tensor sum(const Tensor& t, IntArrayRef dim, bool keepdim, std::optional<ScalarType> dtype) {
  // PyTorch: an empty dim list reduces over all dims.
  if (dim.empty()) {
    DimVector all;
    for (int64_t d = 0; d < t.dim(); ++d) all.push_back(d);
    return autograd::apply<SumDim>(t, IntArrayRef(all), keepdim, dtype);
  }
  return autograd::apply<SumDim>(t, dim, keepdim, dtype);
}
Tensor Tensor::sum(std::optional<ScalarType> dtype) const { return nabla::sum(*this, dtype); }
Tensor Tensor::sum(IntArrayRef dim, bool keepdim, std::optional<ScalarType> dtype) const {
  return nabla::sum(*this, dim, keepdim, dtype);
}

}  // namespace nabla
