// linear and bilinear (torch.nn.functional.linear / bilinear).
//
// Note [Fused linear node]
// PyTorch computes a 2-D linear with a bias as addmm(bias, input, weight.t()): one
// AddmmBackward0 node whose weight gradient passes through a TBackward0 node and arrives
// transposed. nabla records one node of the same name over (bias, input, weight) that
// computes weight's gradient directly as g.t() @ input, contiguous and in weight's layout
// (no transpose node, no strided gradient for the optimizer to walk). The values are those
// of addmm; only the graph has one node less.
#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/elementwise.h"
#include "nabla/functions.h"
#include "nabla/nn/functional/linear.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

std::string mat_shape(int64_t rows, int64_t cols) { return std::to_string(rows) + "x" + std::to_string(cols); }

struct LinearAddmm {
  static constexpr const char* name = "AddmmBackward0";
  Tensor forward(Ctx& ctx, const Tensor& bias, const Tensor& input, const Tensor& weight) {
    // The checks of addmm(bias, input, weight.t()), in its order and wording.
    NABLA_CHECK(weight.dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", weight.dim(), "D");
    NABLA_CHECK(bias.scalar_type() == weight.scalar_type(), "self and mat2 must have the same dtype");
    NABLA_CHECK(input.scalar_type() == weight.scalar_type(), "mat1 and mat2 must have the same dtype");
    NABLA_CHECK(weight.dim() == 2, "mat2 must be a matrix, got ", weight.dim(), "-D tensor");
    NABLA_CHECK(input.size(1) == weight.size(1), "mat1 and mat2 shapes cannot be multiplied (",
                mat_shape(input.size(0), input.size(1)), " and ", mat_shape(weight.size(1), weight.size(0)), ")");
    NABLA_CHECK(input.scalar_type() != kBool, "\"addmm_impl_cpu_\" not implemented for 'Bool'");
    Tensor bias_rows = bias.expand({input.size(0), weight.size(0)});
    ctx.save(ctx.needs_input_grad(2) ? input : Tensor(), ctx.needs_input_grad(1) ? weight : Tensor());
    Tensor out = core::empty({input.size(0), weight.size(0)}, input.scalar_type());
    kernels::copy_(out, bias_rows);
    kernels::mm(input, weight.t(), out, 1, 1);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto [input, weight] = ctx.saved<2>();
    return {g[0], weight.defined() ? g[0].mm(weight) : Tensor(), input.defined() ? g[0].t().mm(input) : Tensor()};
  }
};

}  // namespace

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  if (bias.defined()) {
    if (input.dim() == 2) return autograd::apply<LinearAddmm>(bias, input, weight);
    if (input.dim() == 3 && input.is_contiguous()) {
      Tensor out = autograd::apply<LinearAddmm>(bias, input.flatten(0, 1), weight);
      return out.view({input.size(0), input.size(1), out.size(1)});
    }
  }
  Tensor out = input.matmul(weight.t());
  if (bias.defined()) out = out + bias;
  return out;
}

Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias) {
  NABLA_CHECK(input1.dim() == input2.dim(), "bilinear(): input dimensions do not match: got ", input1.dim(), " and ",
              input2.dim());
  for (int64_t i = 0; i + 1 < input1.dim(); ++i)
    NABLA_CHECK(input1.size(i) == input2.size(i), "bilinear(): input batch dimensions do not match at dim ", i,
                ": got ", input1.size(i), " and ", input2.size(i));
  NABLA_CHECK(input1.size(-1) == weight.size(1), "bilinear(): input1 size does not match weight size: got ",
              input1.size(-1), " but expected ", weight.size(1));
  NABLA_CHECK(input2.size(-1) == weight.size(2), "bilinear(): input2 size does not match weight size: got ",
              input2.size(-1), " but expected ", weight.size(2));
  NABLA_CHECK(!bias.defined() || bias.size(0) == weight.size(0),
              "bilinear(): bias size does not match weight size: got ", bias.size(0), " but expected ",
              weight.size(0));
  const int64_t in1 = weight.size(1), out_features = weight.size(0), in2 = weight.size(2);
  DimVector out_size(input1.sizes().begin(), input1.sizes().end() - 1);
  out_size.push_back(out_features);
  Tensor x1 = input1.reshape({-1, in1});
  Tensor x2 = input2.reshape({-1, in2});
  // (x1 @ W viewed as [in1, out * in2]) holds sum_i x1[n, i] W[o, i, j] at [n, o, j]; the
  // product with x2 summed over j completes the form.
  Tensor partial = x1.mm(weight.permute({1, 0, 2}).reshape({in1, out_features * in2}));
  Tensor out = (partial.view({x1.size(0), out_features, in2}) * x2.unsqueeze(1)).sum({-1}).reshape(out_size);
  if (bias.defined()) out = out + bias;
  return out;
}

}  // namespace nabla
