// nn::utils against torch.nn.utils: clip_grad_norm_ (norm types 2, 1, 3, inf, 0; returned norm
// and clipped gradients), clip_grad_value_, parameters_to_vector / vector_to_parameters.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nabla/nn/utils/clip_grad.h>
#include <nabla/nn/utils/convert_parameters.h>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

// Three parameters with gradients (the third has none), of dtype dt.
std::vector<Tensor> params_with_grads(ScalarType dt, double grad_scale) {
  std::vector<Tensor> ps = {sample({3, 4}, dt, 1).requires_grad_(), sample({5}, dt, 2).requires_grad_(),
                            sample({2, 2}, dt, 3).requires_grad_()};
  ps[0].mutable_grad() = sample({3, 4}, dt, 4) * grad_scale;
  ps[1].mutable_grad() = sample({5}, dt, 5) * grad_scale;
  return ps;
}

const char* kPyParams =
    "ps = [p.requires_grad_() for p in (p0, p1, p2)]\n"
    "p0.grad = g0.clone()\n"
    "p1.grad = g1.clone()\n";

oracle::Inputs inputs(const std::vector<Tensor>& ps) {
  // Copies: the oracle reads its inputs when it runs, after nabla has clipped in place.
  return {{"p0", ps[0].detach().clone()}, {"p1", ps[1].detach().clone()}, {"p2", ps[2].detach().clone()},
          {"g0", ps[0].grad().clone()}, {"g1", ps[1].grad().clone()}};
}

::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  return a.scalar_type() == kFloat ? same(a, e, 1e-6, 1e-7) : same(a, e, 1e-12, 1e-14);
}

}  // namespace

TEST(ClipGrad, NormMatchesPyTorch) {
  const double inf = std::numeric_limits<double>::infinity();
  for (ScalarType dt : {kFloat, kDouble})
    for (double norm_type : {2.0, 1.0, 3.0, inf, 0.0})
      for (double max_norm : {0.5, 1000.0})
        for (double scale : {1.0, 1e-3}) {
          auto ps = params_with_grads(dt, scale);
          oracle::Inputs in = inputs(ps);
          const double total = nn::utils::clip_grad_norm_(ps, max_norm, norm_type);
          const std::string nt = std::isinf(norm_type) ? "float('inf')" : std::to_string(norm_type);
          auto ref = oracle::run(std::string(kPyParams) + "n = torch.nn.utils.clip_grad_norm_(ps, " +
                                     std::to_string(max_norm) + ", " + nt + ")\nout = (n, p0.grad, p1.grad)",
                                 in);
          ASSERT_TRUE(ref.ok) << ref.error;
          const double expected = ref.outputs[0].item<double>();
          EXPECT_NEAR(total, expected, 1e-6 * std::max(1.0, std::abs(expected))) << dt << " " << norm_type;
          EXPECT_TRUE(close(ps[0].grad(), ref.outputs[1])) << dt << " " << norm_type << " " << max_norm;
          EXPECT_TRUE(close(ps[1].grad(), ref.outputs[2])) << dt << " " << norm_type << " " << max_norm;
          EXPECT_FALSE(ps[2].grad().defined());
        }
}

TEST(ClipGrad, SingleTensorNoGradsAndNonFinite) {
  Tensor p = sample({4}).requires_grad_();
  p.mutable_grad() = sample({4}, kFloat, 9) * 10;
  auto ref = oracle::run("p.grad = g.clone()\nn = torch.nn.utils.clip_grad_norm_(p, 1.0)\nout = (n, p.grad)",
                         {{"p", p}, {"g", p.grad()}});
  const double total = nn::utils::clip_grad_norm_(p, 1.0);
  EXPECT_NEAR(total, ref.outputs.at(0).item<double>(), 1e-5);
  EXPECT_TRUE(close(p.grad(), ref.outputs.at(1)));

  Tensor q = sample({3}).requires_grad_();
  EXPECT_EQ(nn::utils::clip_grad_norm_({q}, 1.0), 0.0);
  EXPECT_EQ(oracle::run("out = torch.nn.utils.clip_grad_norm_([torch.zeros(3, requires_grad=True)], 1.0)")
                .outputs.at(0)
                .item<double>(),
            0.0);

  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    Tensor r = sample({3}).requires_grad_();
    r.mutable_grad() = full({3}, bad);
    oracle::Inputs in = {{"r", r.detach().clone().requires_grad_()}, {"g", r.grad().clone()}};
    for (double norm_type : {2.0, std::numeric_limits<double>::infinity()}) {
      const std::string nt = std::isinf(norm_type) ? "float('inf')" : "2.0";
      EXPECT_EQ(error_message([&] { nn::utils::clip_grad_norm_(r, 1.0, norm_type, true); }),
                oracle::error_of("r.grad = g.clone()\ntorch.nn.utils.clip_grad_norm_(r, 1.0, " + nt +
                                     ", error_if_nonfinite=True)",
                                 in));
    }
    // Without error_if_nonfinite the gradients are scaled by the non-finite norm, as in PyTorch.
    const double total = nn::utils::clip_grad_norm_(r, 1.0);
    auto ref2 = oracle::run("r.grad = g.clone()\nn = torch.nn.utils.clip_grad_norm_(r, 1.0)\nout = (n, r.grad)", in);
    EXPECT_TRUE(std::isnan(total) == std::isnan(ref2.outputs.at(0).item<double>()));
    EXPECT_TRUE(same(r.grad(), ref2.outputs.at(1)));
  }
}

TEST(ClipGrad, ValueMatchesPyTorch) {
  for (ScalarType dt : {kFloat, kDouble})
    for (double clip : {0.5, 2.0}) {
      auto ps = params_with_grads(dt, 1.0);
      oracle::Inputs in = inputs(ps);
      nn::utils::clip_grad_value_(ps, clip);
      const std::string code = kPyParams + ("torch.nn.utils.clip_grad_value_(ps, " + std::to_string(clip) + ")\n") +
                               "out = (p0.grad, p1.grad)";
      auto ref = oracle::run(code, in);
      ASSERT_TRUE(ref.ok) << ref.error;
      EXPECT_TRUE(same(ps[0].grad(), ref.outputs[0]));
      EXPECT_TRUE(same(ps[1].grad(), ref.outputs[1]));
      EXPECT_FALSE(ps[2].grad().defined());
    }
  Tensor p = sample({3}).requires_grad_();
  p.mutable_grad() = sample({3}, kFloat, 2);
  nn::utils::clip_grad_value_(p, 0.1);
  EXPECT_LE(p.grad().abs().max().item<float>(), 0.1f);
}

TEST(ConvertParameters, RoundTrip) {
  std::vector<Tensor> ps = {sample({3, 4}).requires_grad_(), sample({5}).requires_grad_(), sample({2, 1, 2}).requires_grad_()};
  Tensor vec = nn::utils::parameters_to_vector(ps);
  EXPECT_SAME(vec, oracle::eval("torch.nn.utils.parameters_to_vector([a, b, c])", {{"a", ps[0]}, {"b", ps[1]}, {"c", ps[2]}}));
  EXPECT_TRUE(vec.requires_grad());
  // Differentiable: gradients flow back to each parameter.
  (vec * vec).sum().backward();
  EXPECT_SAME(ps[0].grad(), ps[0].detach() * 2);

  Tensor target = sample({21}, kFloat, 7);
  std::vector<Tensor> same_params = ps;
  nn::utils::vector_to_parameters(target, ps);
  for (size_t i = 0; i < ps.size(); ++i) {
    EXPECT_TRUE(ps[i].is_same(same_params[i]));
    EXPECT_TRUE(ps[i].requires_grad());
  }
  auto ref = oracle::run("torch.nn.utils.vector_to_parameters(v, [a, b, c])\nout = (a, b, c)",
                         {{"v", target}, {"a", sample({3, 4}).requires_grad_()}, {"b", sample({5}).requires_grad_()},
                          {"c", sample({2, 1, 2}).requires_grad_()}});
  ASSERT_TRUE(ref.ok) << ref.error;
  for (size_t i = 0; i < ps.size(); ++i) EXPECT_SAME(ps[i].detach(), ref.outputs[i]);
  // The parameters now view the vector's memory, as in PyTorch.
  EXPECT_EQ(ps[0].data_ptr(), target.data_ptr());
  EXPECT_EQ(nn::utils::parameters_to_vector(ps).sizes(), IntArrayRef({21}));
  EXPECT_EQ(error_message([&] { nn::utils::vector_to_parameters(sample({5}), ps); }),
            oracle::error_of("torch.nn.utils.vector_to_parameters(torch.zeros(5), [torch.zeros(3, 4, requires_grad=True)])"));
}
