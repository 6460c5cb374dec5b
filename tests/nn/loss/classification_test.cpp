// cross_entropy and nll_loss against PyTorch: class indices and probabilities, every
// reduction, weights, ignore_index, label smoothing, (C), (N, C), (N, C, d1[, d2]) inputs,
// float32 / float64, extreme logits, grad_fn names, gradcheck / gradgradcheck, errors.
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

// Class indices in [0, classes) with a few positions set to `ignore`.
Tensor targets(IntArrayRef shape, int64_t classes, int seed, int64_t ignore = -100) {
  Tensor t = sample(shape, kLong, seed).contiguous();
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = i % 6 == 3 ? ignore : (p[i] % classes + classes) % classes;
  return t;
}

struct Case {
  std::vector<int64_t> input, target;
};
const std::vector<Case> kShapes = {{{4, 5}, {4}}, {{5}, {}}, {{2, 3, 4}, {2, 4}}, {{2, 3, 4, 2}, {2, 4, 2}}, {{2, 3, 2, 1, 2}, {2, 2, 1, 2}}};

}  // namespace

TEST(CrossEntropy, ClassIndicesEveryShapeReductionWeightAndIgnoreIndex) {
  for (ScalarType dt : {kFloat, kDouble})
    for (const auto& c : kShapes) {
      const int64_t classes = c.input.size() == 1 ? c.input[0] : c.input[1];
      Tensor x = sample(c.input, dt, 1).requires_grad_();
      Tensor w = sample_positive({classes}, dt, 2);
      for (int64_t ignore : {int64_t(-100), int64_t(1)}) {
        Tensor t = c.target.empty() ? tensor(int64_t(2)) : targets(c.target, classes, 3, ignore);
        oracle::Inputs in{{"x", x}, {"t", t}, {"w", w}};
        for (const auto& [r, rs] : kReductions) {
          const std::string args = ", reduction=" + rs + ", ignore_index=" + std::to_string(ignore) + ")";
          EXPECT_TRUE(loss_parity(
              [&, &r = r](const auto& v) {
                return F::cross_entropy(v[0], v[1], F::CrossEntropyFuncOptions().reduction(r).ignore_index(ignore));
              },
              "F.cross_entropy(x, t" + args, in))
              << dt;
          EXPECT_TRUE(loss_parity(
              [&, &r = r](const auto& v) {
                return F::cross_entropy(v[0], v[1],
                                        F::CrossEntropyFuncOptions().weight(v[2]).reduction(r).ignore_index(ignore));
              },
              "F.cross_entropy(x, t, weight=w" + args, in))
              << dt;
          EXPECT_TRUE(loss_parity(
              [&, &r = r](const auto& v) {
                return F::nll_loss(v[0].log_softmax(c.input.size() == 1 ? 0 : 1), v[1],
                                   F::NLLLossFuncOptions().weight(v[2]).reduction(r).ignore_index(ignore));
              },
              "F.nll_loss(x.log_softmax(0 if x.dim() == 1 else 1), t, weight=w" + args, in))
              << dt;
          EXPECT_TRUE(loss_parity(
              [&, &r = r](const auto& v) {
                return F::nll_loss(v[0], v[1], F::NLLLossFuncOptions().reduction(r).ignore_index(ignore));
              },
              "F.nll_loss(x, t" + args, in))
              << dt;
        }
      }
    }
}

TEST(CrossEntropy, LabelSmoothing) {
  for (ScalarType dt : {kFloat, kDouble})
    for (const auto& c : kShapes) {
      const int64_t classes = c.input.size() == 1 ? c.input[0] : c.input[1];
      Tensor x = sample(c.input, dt, 4).requires_grad_();
      Tensor w = sample_positive({classes}, dt, 5);
      Tensor t = c.target.empty() ? tensor(int64_t(1)) : targets(c.target, classes, 6);
      oracle::Inputs in{{"x", x}, {"t", t}, {"w", w}};
      for (const auto& [r, rs] : kReductions) {
        auto opts = F::CrossEntropyFuncOptions().reduction(r).label_smoothing(0.2);
        EXPECT_TRUE(loss_parity([&](const auto& v) { return F::cross_entropy(v[0], v[1], opts); },
                                "F.cross_entropy(x, t, reduction=" + rs + ", label_smoothing=0.2)", in))
            << dt;
        EXPECT_TRUE(loss_parity([&](const auto& v) { return F::cross_entropy(v[0], v[1], opts.weight(v[2])); },
                                "F.cross_entropy(x, t, weight=w, reduction=" + rs + ", label_smoothing=0.2)", in))
            << dt;
      }
    }
}

TEST(CrossEntropy, ClassProbabilities) {
  for (ScalarType dt : {kFloat, kDouble})
    for (const auto& c : kShapes) {
      const int64_t cdim = c.input.size() == 1 ? 0 : 1;
      Tensor x = sample(c.input, dt, 7).requires_grad_();
      Tensor p = sample(c.input, dt, 8).softmax(cdim).requires_grad_();
      Tensor w = sample_positive({c.input[static_cast<size_t>(cdim)]}, dt, 9);
      oracle::Inputs in{{"x", x}, {"p", p}, {"w", w}};
      for (const auto& [r, rs] : kReductions)
        for (double ls : {0.0, 0.3}) {
          auto opts = F::CrossEntropyFuncOptions().reduction(r).label_smoothing(ls);
          const std::string args = ", reduction=" + rs + ", label_smoothing=" + std::to_string(ls) + ")";
          EXPECT_TRUE(loss_parity([&](const auto& v) { return F::cross_entropy(v[0], v[1], opts); },
                                  "F.cross_entropy(x, p" + args, in))
              << dt;
          EXPECT_TRUE(loss_parity([&](const auto& v) { return F::cross_entropy(v[0], v[1], opts.weight(v[2])); },
                                  "F.cross_entropy(x, p, weight=w" + args, in))
              << dt;
        }
    }
}

TEST(CrossEntropy, ExtremeLogitsStayFinite) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = tensor({{1e4, -1e4, 0.0}, {-1e4, -1e4, 1e4}, {-1e4, 1e4, 1e4}, {1e4, 1e4, 1e4}}, dt).requires_grad_();
    Tensor t = tensor({1, 2, 0, 2}, kLong);
    oracle::Inputs in{{"x", x}, {"t", t}};
    for (const auto& [r, rs] : kReductions) {
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return cross_entropy_loss(v[0], v[1], std::nullopt, r); },
                              "F.cross_entropy(x, t, reduction=" + rs + ")", in));
      EXPECT_TRUE(loss_parity([&, &r = r](const auto& v) { return cross_entropy_loss(v[0], v[1], std::nullopt, r, -100, 0.1); },
                              "F.cross_entropy(x, t, reduction=" + rs + ", label_smoothing=0.1)", in));
    }
    Tensor y = cross_entropy_loss(x, t, std::nullopt, kNone);
    EXPECT_TRUE(std::isfinite(y.abs().sum().item<double>()));
  }
}

TEST(CrossEntropy, AllIgnoredAndEmpty) {
  Tensor x = sample({4, 5}, kFloat, 10).requires_grad_();
  Tensor t = full({4}, -100, kLong);
  EXPECT_TRUE(loss_parity([&](const auto& v) { return F::cross_entropy(v[0], v[1]); }, "F.cross_entropy(x, t)",
                          {{"x", x}, {"t", t}}));
  Tensor e = empty({0, 5}, kFloat);
  Tensor te = empty({0}, kLong);
  EXPECT_TRUE(loss_parity([&](const auto& v) { return F::nll_loss(v[0], v[1]); }, "F.nll_loss(e, te)",
                          {{"e", e}, {"te", te}}));
}

TEST(CrossEntropy, LargeBatchUsesThreadsAndMatches) {
  Tensor x = sample({4096, 10}, kFloat, 11).requires_grad_();
  Tensor t = targets({4096}, 10, 12);
  EXPECT_TRUE(loss_parity([&](const auto& v) { return F::cross_entropy(v[0], v[1]); }, "F.cross_entropy(x, t)",
                          {{"x", x}, {"t", t}}));
  Tensor x4 = sample({8, 10, 32, 32}, kFloat, 13).requires_grad_();
  Tensor t4 = targets({8, 32, 32}, 10, 14);
  EXPECT_TRUE(loss_parity([&](const auto& v) { return F::cross_entropy(v[0], v[1]); }, "F.cross_entropy(x, t)",
                          {{"x", x4}, {"t", t4}}));
}

TEST(CrossEntropy, GradFnNames) {
  Tensor x = sample({4, 5}, kFloat, 15).requires_grad_();
  Tensor t = tensor({1, 0, 4, 2}, kLong);
  oracle::Inputs in{{"x", x}, {"t", t}};
  EXPECT_EQ(F::cross_entropy(x, t).grad_fn()->name(), torch_grad_fn("F.cross_entropy(x, t)", in));
  EXPECT_EQ(F::nll_loss(x, t).grad_fn()->name(), torch_grad_fn("F.nll_loss(x, t)", in));
  EXPECT_EQ(F::cross_entropy(x, t, F::CrossEntropyFuncOptions().label_smoothing(0.1)).grad_fn()->name(),
            torch_grad_fn("F.cross_entropy(x, t, label_smoothing=0.1)", in));
}

TEST(CrossEntropy, GradcheckAndGradgradcheck) {
  Tensor w = sample_positive({3}, kDouble, 16);
  for (const auto& shape : std::vector<std::vector<int64_t>>{{4, 3}, {2, 3, 2, 2}}) {
    Tensor x = sample(shape, kDouble, 17).requires_grad_();
    std::vector<int64_t> tshape = shape;
    tshape.erase(tshape.begin() + 1);
    Tensor t = targets(tshape, 3, 18), t2 = targets(tshape, 3, 18, 2);
    for (const auto& [r, rs] : kReductions) {
      EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return cross_entropy_loss(v[0], t2, w, r, 2); }, {x})) << rs;
      EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return cross_entropy_loss(v[0], t, std::nullopt, r); }, {x})) << rs;
      EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return cross_entropy_loss(v[0], t, w, r, -100, 0.2); }, {x})) << rs;
      EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return nll_loss(v[0], t2, w, r, 2); }, {x})) << rs;
      Tensor p = sample(shape, kDouble, 19).softmax(1).requires_grad_();
      EXPECT_TRUE(gradchecks([&, &r = r](const auto& v) { return cross_entropy_loss(v[0], v[1], w, r, -100, 0.1); }, {x, p}))
          << rs;
    }
  }
  // Non-contiguous logits, unbatched input.
  Tensor xt = sample({3, 4}, kDouble, 20).requires_grad_();
  EXPECT_TRUE(gradchecks([&](const auto& v) { return cross_entropy_loss(v[0].t(), tensor({1, 2, 0, 2}, kLong)); }, {xt}));
  Tensor x1 = sample({5}, kDouble, 21).requires_grad_();
  EXPECT_TRUE(gradchecks([&](const auto& v) { return cross_entropy_loss(v[0], tensor(int64_t(3))); }, {x1}));
}

TEST(CrossEntropy, Errors) {
  Tensor x = sample({4, 5}, kFloat, 22);
  Tensor t = tensor({1, 2, 3, 0}, kLong);
  oracle::Inputs in{{"x", x}, {"t", t}};
  auto expect = [&](const std::function<void()>& fn, const std::string& code, const oracle::Inputs& inputs) {
    EXPECT_EQ(error_message(fn), torch_error(code, inputs)) << code;
  };
  expect([&] { F::cross_entropy(x, tensor({1, 2, 7, 0}, kLong)); }, "F.cross_entropy(x, torch.tensor([1, 2, 7, 0]))", in);
  expect([&] { F::cross_entropy(x, tensor({1, -1, 3, 0}, kLong)); }, "F.cross_entropy(x, torch.tensor([1, -1, 3, 0]))", in);
  expect([&] { F::nll_loss(x, tensor({1, 2, 9, 0}, kLong)); }, "F.nll_loss(x, torch.tensor([1, 2, 9, 0]))", in);
  expect([&] { F::cross_entropy(sample({2, 5, 3, 3}), full({2, 3, 3}, 7, kLong)); },
         "F.cross_entropy(torch.randn(2, 5, 3, 3), torch.full((2, 3, 3), 7))", {});
  expect([&] { F::nll_loss(sample({5}), tensor(int64_t(7))); }, "F.nll_loss(torch.randn(5), torch.tensor(7))", {});
  expect([&] { F::cross_entropy(x, tensor({1, 2, 3}, kLong)); }, "F.cross_entropy(x, torch.tensor([1, 2, 3]))", in);
  expect([&] { F::cross_entropy(sample({2, 5, 3, 3}), zeros({2, 3, 4}, kLong)); },
         "F.cross_entropy(torch.randn(2, 5, 3, 3), torch.zeros(2, 3, 4, dtype=torch.long))", {});
  expect([&] { F::cross_entropy(sample({2, 5, 3, 3}), zeros({2, 3}, kLong)); },
         "F.cross_entropy(torch.randn(2, 5, 3, 3), torch.zeros(2, 3, dtype=torch.long))", {});
  expect([&] { F::nll_loss(sample({2, 5, 3}), zeros({2, 4}, kLong)); },
         "F.nll_loss(torch.randn(2, 5, 3), torch.zeros(2, 4, dtype=torch.long))", {});
  expect([&] { F::nll_loss(sample({2, 5, 3, 2, 2}), zeros({2, 3, 2}, kLong)); },
         "F.nll_loss(torch.randn(2, 5, 3, 2, 2), torch.zeros(2, 3, 2, dtype=torch.long))", {});
  expect([&] { F::nll_loss(sample({5}), tensor({1}, kLong)); }, "F.nll_loss(torch.randn(5), torch.tensor([1]))", {});
  expect([&] { F::nll_loss(tensor(1.0), tensor(int64_t(1))); }, "F.nll_loss(torch.tensor(1.), torch.tensor(1))", {});
  expect([&] { F::nll_loss(x, zeros({4, 1}, kLong)); }, "F.nll_loss(x, torch.zeros(4, 1, dtype=torch.long))", in);
  expect([&] { F::cross_entropy(x, t, F::CrossEntropyFuncOptions().weight(ones({3}))); },
         "F.cross_entropy(x, t, weight=torch.ones(3))", in);
  expect([&] { F::nll_loss(x, t.to(kInt), F::NLLLossFuncOptions().weight(ones({3}))); },
         "F.nll_loss(x, t.int(), weight=torch.ones(3))", in);
  expect([&] { F::nll_loss(x, t.to(kFloat)); }, "F.nll_loss(x, t.float())", in);
  expect([&] { F::cross_entropy(x, t.to(kInt)); }, "F.cross_entropy(x, t.int())", in);
  expect([&] { F::cross_entropy(x, t, F::CrossEntropyFuncOptions().label_smoothing(1.5)); },
         "F.cross_entropy(x, t, label_smoothing=1.5)", in);
  Tensor p = sample({4, 5}, kFloat, 23).softmax(1);
  in.emplace_back("p", p);
  expect([&] { F::cross_entropy(x, p, F::CrossEntropyFuncOptions().label_smoothing(1.5)); },
         "F.cross_entropy(x, p, label_smoothing=1.5)", in);
  expect([&] { F::cross_entropy(x, p, F::CrossEntropyFuncOptions().weight(ones({3}))); },
         "F.cross_entropy(x, p, weight=torch.ones(3))", in);
  expect([&] { F::cross_entropy(x, p, F::CrossEntropyFuncOptions().ignore_index(1)); },
         "F.cross_entropy(x, p, ignore_index=1)", in);
  expect([&] { F::cross_entropy(x, sample({4, 3})); }, "F.cross_entropy(x, torch.rand(4, 3))", in);
  expect([&] { F::cross_entropy(tensor(1.0), tensor(int64_t(0))); }, "F.cross_entropy(torch.tensor(1.), torch.tensor(0))",
         {});
  expect([&] { F::cross_entropy(tensor({1, 2}, kLong), tensor(int64_t(0))); },
         "F.cross_entropy(torch.tensor([1, 2]), torch.tensor(0))", {});
}
