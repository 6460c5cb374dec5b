// mse, l1, smooth_l1, huber, binary_cross_entropy (+ with logits), kl_div,
// cosine_embedding, margin_ranking against PyTorch: every reduction, float32 / float64,
// gradients of both inputs, weights, grad_fn names, gradcheck / gradgradcheck, warnings, errors.
#include "nn/loss/loss_parity.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::gradchecks;
using nabla::testing::loss_parity;
using nabla::testing::sample;
using nabla::testing::sample_positive;
using nabla::testing::torch_error;
using nabla::testing::torch_grad_fn;
namespace F = nabla::nn::functional;

namespace {

const std::vector<std::pair<Reduction, std::string>> kReductions = {
    {kMean, "'mean'"}, {kSum, "'sum'"}, {kNone, "'none'"}};

// The warnings nabla emits while fn runs.
std::vector<std::string> warnings_of(const std::function<void()>& fn) {
  std::vector<std::string> seen;
  auto old = set_warning_handler([&](const std::string& m) { seen.push_back(m); });
  fn();
  set_warning_handler(old);
  return seen;
}

// The warnings PyTorch emits while running code.
std::vector<std::string> torch_warnings(const std::string& code, const oracle::Inputs& in) {
  oracle::Result r = oracle::run(
      "import warnings\nF = torch.nn.functional\nwith warnings.catch_warnings(record=True) as w__:\n"
      "    warnings.simplefilter('always')\n    " +
          code + "\nout = '\\n'.join(str(m.message) for m in w__)",
      in);
  std::vector<std::string> out;
  if (!r.ok || r.strings.empty() || r.strings[0].empty()) return out;
  std::string s = r.strings[0];
  for (size_t b = 0, e; b <= s.size(); b = e + 1) {
    e = s.find('\n', b);
    if (e == std::string::npos) e = s.size();
    out.push_back(s.substr(b, e - b));
  }
  return out;
}

}  // namespace

TEST(RegressionLoss, ValuesAndGradientsOfBothInputs) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = sample({3, 5}, dt, 1).requires_grad_();
    Tensor y = sample({3, 5}, dt, 2).requires_grad_();
    oracle::Inputs in{{"x", x}, {"y", y}};
    for (const auto& [r, rs] : kReductions) {
      const std::string red = "reduction=" + rs;
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::mse_loss(v[0], v[1], r); }, "F.mse_loss(x, y, " + red + ")", in));
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::l1_loss(v[0], v[1], r); }, "F.l1_loss(x, y, " + red + ")", in));
      for (double beta : {1.0, 0.5, 0.0}) {
        EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::smooth_l1_loss(v[0], v[1], F::SmoothL1LossFuncOptions(r).beta(beta)); },
                                "F.smooth_l1_loss(x, y, " + red + ", beta=" + std::to_string(beta) + ")", in));
      }
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::smooth_l1_loss(v[0], v[1], r, 2.0); },
                              "F.smooth_l1_loss(x, y, " + red + ", beta=2.0)", in));
      for (double delta : {1.0, 0.3, 2.5}) {
        EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::huber_loss(v[0], v[1], F::HuberLossFuncOptions(r).delta(delta)); },
                                "F.huber_loss(x, y, " + red + ", delta=" + std::to_string(delta) + ")", in));
      }
    }
    // Broadcast target (with PyTorch's warning) and non-contiguous input.
    Tensor b = sample({5}, dt, 3).requires_grad_();
    Tensor xt = sample({5, 3}, dt, 4).requires_grad_();
    oracle::Inputs in2{{"xt", xt}, {"b", b}};
    EXPECT_TRUE(loss_parity([&](const auto& v) { return F::mse_loss(v[0].t(), v[1]); }, "F.mse_loss(xt.t(), b)", in2));
    EXPECT_TRUE(loss_parity([&](const auto& v) { return F::huber_loss(v[0].t(), v[1]); }, "F.huber_loss(xt.t(), b)", in2));
  }
}

TEST(RegressionLoss, SizeWarnings) {
  Tensor x = sample({4, 5}), b = sample({1, 5}, kFloat, 1);
  oracle::Inputs in{{"x", x}, {"b", b}};
  EXPECT_EQ(warnings_of([&] { F::mse_loss(x, b); }), torch_warnings("F.mse_loss(x, b)", in));
  EXPECT_EQ(warnings_of([&] { F::l1_loss(x, b); }), torch_warnings("F.l1_loss(x, b)", in));
  EXPECT_EQ(warnings_of([&] { F::smooth_l1_loss(x, b); }), torch_warnings("F.smooth_l1_loss(x, b)", in));
  EXPECT_EQ(warnings_of([&] { F::huber_loss(x, b); }), torch_warnings("F.huber_loss(x, b)", in));
  EXPECT_EQ(warnings_of([&] { F::kl_div(x, x); }), torch_warnings("F.kl_div(x, x)", in));
  EXPECT_TRUE(warnings_of([&] { F::mse_loss(x, x); }).empty());
  EXPECT_TRUE(warnings_of([&] { F::kl_div(x, x, kBatchMean); }).empty());
}

TEST(BinaryCrossEntropy, ValuesAndGradients) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor p = sample({4, 3}, dt, 5).sigmoid().requires_grad_();
    Tensor t = sample({4, 3}, dt, 6).sigmoid().requires_grad_();
    Tensor w = sample_positive({3}, dt, 7);
    Tensor edge = tensor({{0.0, 1.0, 0.5}, {1.0, 0.0, 1e-30}, {1.0, 1.0, 0.0}, {0.3, 0.9, 0.999}}, dt).requires_grad_();
    Tensor et = tensor({{0.0, 1.0, 1.0}, {0.0, 1.0, 1.0}, {1.0, 0.2, 0.0}, {0.0, 1.0, 0.5}}, dt);
    oracle::Inputs in{{"p", p}, {"t", t}, {"w", w}, {"edge", edge}, {"et", et}};
    for (const auto& [r, rs] : kReductions) {
      const std::string red = "reduction=" + rs + ")";
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::binary_cross_entropy(v[0], v[1], F::BinaryCrossEntropyFuncOptions().reduction(r)); },
                              "F.binary_cross_entropy(p, t, " + red, in));
      EXPECT_TRUE(loss_parity(
          [&, &r = r](const auto& v) { return F::binary_cross_entropy(v[0], v[1], F::BinaryCrossEntropyFuncOptions().weight(v[2]).reduction(r)); },
          "F.binary_cross_entropy(p, t, weight=w, " + red, in));
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return binary_cross_entropy(v[3], v[4], std::nullopt, r); },
                              "F.binary_cross_entropy(edge, et, " + red, in));
    }
  }
}

TEST(BinaryCrossEntropy, WithLogitsValuesGradientsAndExtremes) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = (sample({4, 3}, dt, 8) * 4).requires_grad_();
    Tensor t = sample({4, 3}, dt, 9).sigmoid().requires_grad_();
    Tensor w = sample_positive({4, 1}, dt, 10);
    Tensor pw = sample_positive({3}, dt, 11);
    Tensor big = tensor({{1e4, -1e4, 0.0}, {-1e4, 1e4, 100.0}, {-100.0, 50.0, -50.0}, {1e-8, -1e-8, 30.0}}, dt).requires_grad_();
    oracle::Inputs in{{"x", x}, {"t", t}, {"w", w}, {"pw", pw}, {"big", big}};
    for (const auto& [r, rs] : kReductions) {
      const std::string red = "reduction=" + rs + ")";
      using O = F::BinaryCrossEntropyWithLogitsFuncOptions;
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::binary_cross_entropy_with_logits(v[0], v[1], O().reduction(r)); },
                              "F.binary_cross_entropy_with_logits(x, t, " + red, in));
      EXPECT_TRUE(loss_parity(
          [&, &r = r](const auto& v) { return F::binary_cross_entropy_with_logits(v[0], v[1], O().weight(v[2]).pos_weight(v[3]).reduction(r)); },
          "F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, " + red, in));
      EXPECT_TRUE(loss_parity(
          [&, &r = r](const auto& v) { return F::binary_cross_entropy_with_logits(v[0], v[1], O().pos_weight(v[3]).reduction(r)); },
          "F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, " + red, in));
      EXPECT_TRUE(loss_parity(
          [&, &r = r](const auto& v) { return F::binary_cross_entropy_with_logits(v[4], v[1], O().pos_weight(v[3]).reduction(r)); },
          "F.binary_cross_entropy_with_logits(big, t, pos_weight=pw, " + red, in));
    }
    Tensor l = binary_cross_entropy_with_logits(big, t, std::nullopt, pw, kNone);
    EXPECT_TRUE(std::isfinite(l.abs().sum().item<double>()));
  }
}

TEST(KLDiv, ValuesAndGradients) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = sample({3, 4}, dt, 12).log_softmax(1).requires_grad_();
    Tensor p = sample({3, 4}, dt, 13).softmax(1);
    Tensor pz = tensor({{0.0, 0.5, 0.5, 0.0}, {0.25, 0.25, 0.25, 0.25}, {1.0, 0.0, 0.0, 0.0}}, dt);
    Tensor lp = sample({3, 4}, dt, 14).log_softmax(1).requires_grad_();
    oracle::Inputs in{{"x", x}, {"p", p}, {"pz", pz}, {"lp", lp}};
    for (const auto& [r, rs] : kReductions) {
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::kl_div(v[0], v[1], r); },
                              "F.kl_div(x, p, reduction=" + rs + ")", in));
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::kl_div(v[0], v[2], r); },
                              "F.kl_div(x, pz, reduction=" + rs + ")", in));
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return F::kl_div(v[0], v[3], F::KLDivFuncOptions(r).log_target(true)); },
                              "F.kl_div(x, lp, reduction=" + rs + ", log_target=True)", in));
    }
    EXPECT_TRUE(loss_parity([&](const auto& v) { return F::kl_div(v[0], v[1], kBatchMean); },
                            "F.kl_div(x, p, reduction='batchmean')", in));
    EXPECT_TRUE(loss_parity([&](const auto& v) { return F::kl_div(v[0], v[3], F::KLDivFuncOptions(kBatchMean).log_target(true)); },
                            "F.kl_div(x, lp, reduction='batchmean', log_target=True)", in));
    Tensor s = tensor(-0.7, dt).requires_grad_();
    EXPECT_TRUE(loss_parity([&](const auto& v) { return F::kl_div(v[0], tensor(0.3, dt), kBatchMean); },
                            "F.kl_div(s, torch.tensor(0.3, dtype=s.dtype), reduction='batchmean')", {{"s", s}}));
  }
}

TEST(PairLoss, CosineEmbeddingAndMarginRanking) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor a = sample({4, 5}, dt, 15).requires_grad_(), b = sample({4, 5}, dt, 16).requires_grad_();
    Tensor y = tensor({1.0, -1.0, -1.0, 1.0}, dt);
    Tensor a1 = sample({5}, dt, 17).requires_grad_(), b1 = sample({5}, dt, 18).requires_grad_();
    oracle::Inputs in{{"a", a}, {"b", b}, {"y", y}, {"a1", a1}, {"b1", b1}};
    for (const auto& [r, rs] : kReductions)
      for (double m : {0.0, -0.2, 0.3}) {
        const std::string args = ", margin=" + std::to_string(m) + ", reduction=" + rs + ")";
        EXPECT_TRUE(loss_parity(
            [&, &r = r](const auto& v) { return F::cosine_embedding_loss(v[0], v[1], v[2], F::CosineEmbeddingLossFuncOptions().margin(m).reduction(r)); },
            "F.cosine_embedding_loss(a, b, y" + args, in));
        EXPECT_TRUE(loss_parity(
            [&, &r = r](const auto& v) { return F::cosine_embedding_loss(v[3], v[4], tensor(-1.0, dt), F::CosineEmbeddingLossFuncOptions().margin(m).reduction(r)); },
            "F.cosine_embedding_loss(a1, b1, torch.tensor(-1., dtype=a1.dtype)" + args, in));
        EXPECT_TRUE(loss_parity(
            [&, &r = r](const auto& v) { return F::margin_ranking_loss(v[0], v[1], v[2].unsqueeze(1).expand({4, 5}), F::MarginRankingLossFuncOptions().margin(m).reduction(r)); },
            "F.margin_ranking_loss(a, b, y.unsqueeze(1).expand(4, 5)" + args, in));
      }
  }
}

TEST(Loss, GradFnNames) {
  Tensor x = sample({3, 4}, kFloat, 19).requires_grad_();
  Tensor t = sample({3, 4}, kFloat, 20).sigmoid();
  oracle::Inputs in{{"x", x}, {"t", t}};
  EXPECT_EQ(mse_loss(x, t).grad_fn()->name(), torch_grad_fn("F.mse_loss(x, t)", in));
  EXPECT_EQ(mse_loss(x, t, kNone).grad_fn()->name(), torch_grad_fn("F.mse_loss(x, t, reduction='none')", in));
  EXPECT_EQ(l1_loss(x, t).grad_fn()->name(), torch_grad_fn("F.l1_loss(x, t)", in));
  EXPECT_EQ(smooth_l1_loss(x, t).grad_fn()->name(), torch_grad_fn("F.smooth_l1_loss(x, t)", in));
  EXPECT_EQ(huber_loss(x, t).grad_fn()->name(), torch_grad_fn("F.huber_loss(x, t)", in));
  EXPECT_EQ(binary_cross_entropy(x.sigmoid(), t).grad_fn()->name(), torch_grad_fn("F.binary_cross_entropy(x.sigmoid(), t)", in));
  EXPECT_EQ(binary_cross_entropy_with_logits(x, t).grad_fn()->name(),
            torch_grad_fn("F.binary_cross_entropy_with_logits(x, t)", in));
  EXPECT_EQ(kl_div(x, t, kSum).grad_fn()->name(), torch_grad_fn("F.kl_div(x, t, reduction='sum')", in));
}

TEST(Loss, GradcheckAndGradgradcheck) {
  Tensor x = sample({3, 4}, kDouble, 21).requires_grad_();
  Tensor y = sample({4, 3}, kDouble, 22).t().requires_grad_();  // non-contiguous
  Tensor p = sample({3, 4}, kDouble, 23).sigmoid().requires_grad_();
  Tensor q = sample({3, 4}, kDouble, 24).sigmoid().requires_grad_();
  Tensor w = sample_positive({4}, kDouble, 25), pw = sample_positive({4}, kDouble, 26);
  Tensor s = tensor({1.0, -1.0, 1.0}, kDouble);
  for (const auto& [r, rs] : kReductions) {
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return mse_loss(v[0], v[1], r); }, {x, y})) << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return l1_loss(v[0], v[1], r); }, {x, y})) << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return smooth_l1_loss(v[0], v[1], r, 0.7); }, {x, y})) << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return huber_loss(v[0], v[1], r, 0.8); }, {x, y})) << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return binary_cross_entropy(v[0], v[1], w, r); }, {p, q})) << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return binary_cross_entropy_with_logits(v[0], v[1], w, pw, r); }, {x, q}))
        << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return binary_cross_entropy_with_logits(v[0], v[1], std::nullopt, std::nullopt, r); }, {y, q}))
        << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return kl_div(v[0], v[1], r); }, {x, p})) << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return kl_div(v[0], v[1], r, true); }, {x, y})) << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return cosine_embedding_loss(v[0], v[1], s, 0.1, r); }, {x, y})) << rs;
    EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return margin_ranking_loss(v[0], v[1], s.unsqueeze(1), 0.1, r); }, {x, y}))
        << rs;
  }
}

TEST(Loss, Errors) {
  Tensor x = sample({4, 5});
  oracle::Inputs in{{"x", x}};
  auto expect = [&](const std::function<void()>& fn, const std::string& code) {
    EXPECT_EQ(error_message(fn), torch_error(code, in)) << code;
  };
  expect([&] { F::mse_loss(x, sample({3, 5})); }, "F.mse_loss(x, torch.randn(3, 5))");
  expect([&] { F::mse_loss(tensor({1, 2}, kLong), tensor({1, 2}, kLong)); },
         "F.mse_loss(torch.tensor([1, 2]), torch.tensor([1, 2]))");
  expect([&] { F::l1_loss(tensor({1, 2}, kLong), tensor({1, 2}, kLong)); },
         "F.l1_loss(torch.tensor([1, 2]), torch.tensor([1, 2]))");
  expect([&] { F::huber_loss(x, x, F::HuberLossFuncOptions().delta(-1)); }, "F.huber_loss(x, x, delta=-1.)");
  expect([&] { F::smooth_l1_loss(x, x, F::SmoothL1LossFuncOptions().beta(-1)); }, "F.smooth_l1_loss(x, x, beta=-1.)");
  expect([&] { F::binary_cross_entropy(x.sigmoid(), sample({4, 1})); }, "F.binary_cross_entropy(x.sigmoid(), torch.rand(4, 1))");
  expect([&] { F::binary_cross_entropy(x, x.sigmoid()); }, "F.binary_cross_entropy(x, x.sigmoid())");
  expect([&] { F::binary_cross_entropy(tensor({0, 1}, kLong), tensor({0, 1}, kLong)); },
         "F.binary_cross_entropy(torch.tensor([0, 1]), torch.tensor([0, 1]))");
  expect([&] { F::binary_cross_entropy(x.sigmoid(), x.sigmoid(), F::BinaryCrossEntropyFuncOptions().weight(ones({3}))); },
         "F.binary_cross_entropy(x.sigmoid(), x.sigmoid(), weight=torch.ones(3))");
  expect([&] { F::binary_cross_entropy_with_logits(x, sample({4, 1})); },
         "F.binary_cross_entropy_with_logits(x, torch.rand(4, 1))");
  expect([&] { F::binary_cross_entropy_with_logits(x, x, F::BinaryCrossEntropyWithLogitsFuncOptions().pos_weight(ones({3}))); },
         "F.binary_cross_entropy_with_logits(x, x, pos_weight=torch.ones(3))");
  expect([&] { F::kl_div(x, sample({3, 5}), kSum); }, "F.kl_div(x, torch.randn(3, 5), reduction='sum')");
  expect([&] { F::cosine_embedding_loss(x, x, ones({3})); }, "F.cosine_embedding_loss(x, x, torch.ones(3))");
  expect([&] { F::cosine_embedding_loss(x, sample({3, 5}), ones({4})); }, "F.cosine_embedding_loss(x, torch.randn(3, 5), torch.ones(4))");
  expect([&] { F::cosine_embedding_loss(x, sample({4, 6}), ones({4})); }, "F.cosine_embedding_loss(x, torch.randn(4, 6), torch.ones(4))");
  expect([&] { F::cosine_embedding_loss(sample({2, 3, 4}), sample({2, 3, 4}), ones({2})); },
         "F.cosine_embedding_loss(torch.randn(2, 3, 4), torch.randn(2, 3, 4), torch.ones(2))");
  expect([&] { F::cosine_embedding_loss(x, x, ones({4, 1})); }, "F.cosine_embedding_loss(x, x, torch.ones(4, 1))");
  expect([&] { F::cosine_embedding_loss(sample({5}), sample({5}), ones({1})); },
         "F.cosine_embedding_loss(torch.randn(5), torch.randn(5), torch.ones(1))");
  expect([&] { F::cosine_embedding_loss(x, x, ones({})); }, "F.cosine_embedding_loss(x, x, torch.ones(()))");
  expect([&] { F::margin_ranking_loss(sample({3}), sample({4}), ones({3})); },
         "F.margin_ranking_loss(torch.randn(3), torch.randn(4), torch.ones(3))");
  expect([&] { F::margin_ranking_loss(sample({3}), sample({3, 1}), ones({3})); },
         "F.margin_ranking_loss(torch.randn(3), torch.randn(3, 1), torch.ones(3))");
  expect([&] { F::margin_ranking_loss(sample({3}), sample({3}), ones({2})); },
         "F.margin_ranking_loss(torch.randn(3), torch.randn(3), torch.ones(2))");
}
