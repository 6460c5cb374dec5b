// Activation and loss modules: Python's repr, forward against PyTorch's modules, buffers,
// options, errors.
#include <sstream>

#include <nabla/nn/modules/activation.h>
#include <nabla/nn/modules/loss.h>

#include "nn/loss/loss_parity.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::loss_parity;
using nabla::testing::sample;
using nabla::testing::sample_positive;
using nabla::testing::torch_repr;

namespace {

template <typename M>
std::string repr(const M& m) {
  std::ostringstream s;
  s << m;
  return s.str();
}

}  // namespace

TEST(ActivationModule, ReprMatchesPython) {
  EXPECT_EQ(repr(nn::ReLU()), torch_repr("ReLU()"));
  EXPECT_EQ(repr(nn::ReLU(true)), torch_repr("ReLU(inplace=True)"));
  EXPECT_EQ(repr(nn::ReLU6()), torch_repr("ReLU6()"));
  EXPECT_EQ(repr(nn::ReLU6(true)), torch_repr("ReLU6(inplace=True)"));
  EXPECT_EQ(repr(nn::LeakyReLU()), torch_repr("LeakyReLU()"));
  EXPECT_EQ(repr(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.2).inplace(true))),
            torch_repr("LeakyReLU(0.2, inplace=True)"));
  EXPECT_EQ(repr(nn::ELU()), torch_repr("ELU()"));
  EXPECT_EQ(repr(nn::ELU(nn::ELUOptions().alpha(1e-5).inplace(true))), torch_repr("ELU(1e-5, inplace=True)"));
  EXPECT_EQ(repr(nn::GELU()), torch_repr("GELU()"));
  EXPECT_EQ(repr(nn::GELU(nn::GELUOptions().approximate("tanh"))), torch_repr("GELU(approximate='tanh')"));
  EXPECT_EQ(repr(nn::SiLU()), torch_repr("SiLU()"));
  EXPECT_EQ(repr(nn::Sigmoid()), torch_repr("Sigmoid()"));
  EXPECT_EQ(repr(nn::Tanh()), torch_repr("Tanh()"));
  EXPECT_EQ(repr(nn::Softmax(1)), torch_repr("Softmax(dim=1)"));
  EXPECT_EQ(repr(nn::Softmax(nn::SoftmaxOptions(-1))), torch_repr("Softmax(dim=-1)"));
  EXPECT_EQ(repr(nn::LogSoftmax(0)), torch_repr("LogSoftmax(dim=0)"));
  EXPECT_EQ(repr(nn::Softplus()), torch_repr("Softplus()"));
  EXPECT_EQ(repr(nn::Softplus(nn::SoftplusOptions().beta(2).threshold(10))), torch_repr("Softplus(2, 10)"));
  EXPECT_EQ(repr(nn::Softplus(nn::SoftplusOptions().beta(0.5).threshold(2.5))), torch_repr("Softplus(0.5, 2.5)"));
  EXPECT_EQ(repr(nn::Hardtanh()), torch_repr("Hardtanh()"));
  EXPECT_EQ(repr(nn::Hardtanh(nn::HardtanhOptions().min_val(0.).max_val(6.).inplace(true))),
            torch_repr("Hardtanh(0., 6., inplace=True)"));
}

TEST(ActivationModule, ForwardMatchesTorchModules) {
  Tensor x = sample({3, 4}, kFloat, 1).requires_grad_();
  oracle::Inputs in{{"x", x}};
  auto check = [&](auto module, const std::string& torch_module) {
    EXPECT_TRUE(loss_parity([&](const auto& v) { return module(v[0] * 1); }, "torch.nn." + torch_module + "(x * 1)", in))
        << torch_module;
  };
  check(nn::ReLU(), "ReLU()");
  check(nn::ReLU(true), "ReLU(inplace=True)");
  check(nn::ReLU6(), "ReLU6()");
  check(nn::ReLU6(true), "ReLU6(inplace=True)");
  check(nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.1).inplace(true)), "LeakyReLU(0.1, inplace=True)");
  check(nn::ELU(nn::ELUOptions().alpha(0.5)), "ELU(0.5)");
  check(nn::ELU(nn::ELUOptions().inplace(true)), "ELU(inplace=True)");
  check(nn::GELU(nn::GELUOptions().approximate("tanh")), "GELU(approximate='tanh')");
  check(nn::SiLU(), "SiLU()");
  check(nn::Sigmoid(), "Sigmoid()");
  check(nn::Tanh(), "Tanh()");
  check(nn::Softmax(0), "Softmax(dim=0)");
  check(nn::LogSoftmax(1), "LogSoftmax(dim=1)");
  check(nn::Softplus(nn::SoftplusOptions().beta(3).threshold(2)), "Softplus(3, 2)");
  check(nn::Hardtanh(nn::HardtanhOptions().min_val(-0.3).max_val(0.4).inplace(true)), "Hardtanh(-0.3, 0.4, inplace=True)");
  // Modules without parameters clone and have no parameters.
  nn::LeakyReLU a(nn::LeakyReLUOptions().negative_slope(0.3));
  auto b = std::dynamic_pointer_cast<nn::LeakyReLUImpl>(a->clone());
  EXPECT_EQ(b->options.negative_slope(), 0.3);
  EXPECT_TRUE(a->parameters().empty());
}

TEST(ActivationModule, Errors) {
  EXPECT_EQ(error_message([] { nn::GELU(nn::GELUOptions().approximate("xx")); }),
            oracle::error_of("torch.nn.GELU(approximate='xx')(torch.ones(1))"));
  EXPECT_EQ(error_message([] { nn::Hardtanh(nn::HardtanhOptions().min_val(1).max_val(0)); }),
            "max_val must be greater than min_val");
}

TEST(LossModule, ReprMatchesPython) {
  EXPECT_EQ(repr(nn::L1Loss()), torch_repr("L1Loss()"));
  EXPECT_EQ(repr(nn::MSELoss(nn::MSELossOptions(kSum))), torch_repr("MSELoss(reduction='sum')"));
  EXPECT_EQ(repr(nn::SmoothL1Loss()), torch_repr("SmoothL1Loss()"));
  EXPECT_EQ(repr(nn::HuberLoss()), torch_repr("HuberLoss()"));
  EXPECT_EQ(repr(nn::KLDivLoss(nn::KLDivLossOptions(kBatchMean))), torch_repr("KLDivLoss(reduction='batchmean')"));
  EXPECT_EQ(repr(nn::BCELoss(nn::BCELossOptions().weight(ones({3})))), torch_repr("BCELoss(weight=torch.ones(3))"));
  EXPECT_EQ(repr(nn::BCEWithLogitsLoss()), torch_repr("BCEWithLogitsLoss()"));
  EXPECT_EQ(repr(nn::CosineEmbeddingLoss()), torch_repr("CosineEmbeddingLoss()"));
  EXPECT_EQ(repr(nn::MarginRankingLoss()), torch_repr("MarginRankingLoss()"));
  EXPECT_EQ(repr(nn::NLLLoss()), torch_repr("NLLLoss()"));
  EXPECT_EQ(repr(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().label_smoothing(0.1))),
            torch_repr("CrossEntropyLoss(label_smoothing=0.1)"));
}

TEST(LossModule, ForwardMatchesTorchModules) {
  for (ScalarType dt : {kFloat, kDouble}) {
    Tensor x = sample({4, 3}, dt, 2).requires_grad_();
    Tensor y = sample({4, 3}, dt, 3);
    Tensor p = sample({4, 3}, dt, 4).sigmoid();
    Tensor t = tensor({2, 0, 1, 2}, kLong);
    Tensor w = sample_positive({3}, dt, 5);
    Tensor s = tensor({1.0, -1.0, 1.0, -1.0}, dt);
    oracle::Inputs in{{"x", x}, {"y", y}, {"p", p}, {"t", t}, {"w", w}, {"s", s}};
    // module(in[a], in[b]) against the torch module on the same two inputs.
    auto check2 = [&](auto module, const std::string& torch_module, size_t a, size_t b) {
      EXPECT_TRUE(loss_parity([&](const auto& v) { return module(v[a], v[b]); },
                              "torch.nn." + torch_module + "(" + in[a].first + ", " + in[b].first + ")", in))
          << torch_module;
    };
    check2(nn::L1Loss(kSum), "L1Loss(reduction='sum')", 0, 1);
    check2(nn::MSELoss(), "MSELoss()", 0, 1);
    check2(nn::SmoothL1Loss(nn::SmoothL1LossOptions().beta(0.5)), "SmoothL1Loss(beta=0.5)", 0, 1);
    check2(nn::HuberLoss(nn::HuberLossOptions(kNone).delta(0.7)), "HuberLoss(reduction='none', delta=0.7)", 0, 1);
    check2(nn::KLDivLoss(nn::KLDivLossOptions(kBatchMean).log_target(true)),
           "KLDivLoss(reduction='batchmean', log_target=True)", 0, 1);
    check2(nn::BCEWithLogitsLoss(nn::BCEWithLogitsLossOptions().pos_weight(w)), "BCEWithLogitsLoss(pos_weight=w)", 0, 2);
    check2(nn::CrossEntropyLoss(nn::CrossEntropyLossOptions().weight(w).ignore_index(0)),
           "CrossEntropyLoss(weight=w, ignore_index=0)", 0, 3);
    EXPECT_TRUE(loss_parity([&](const auto& v) { return nn::NLLLoss(nn::NLLLossOptions().weight(w))(v[0], t); },
                            "torch.nn.NLLLoss(weight=w)(x, t)", in));
    EXPECT_TRUE(loss_parity([&](const auto& v) { return nn::BCELoss(nn::BCELossOptions().weight(w))(v[0].sigmoid(), p); },
                            "torch.nn.BCELoss(weight=w)(x.sigmoid(), p)", in));
    EXPECT_TRUE(loss_parity([&](const auto& v) { return nn::CosineEmbeddingLoss(nn::CosineEmbeddingLossOptions().margin(0.2))(v[0], y, s); },
                            "torch.nn.CosineEmbeddingLoss(margin=0.2)(x, y, s)", in));
    EXPECT_TRUE(loss_parity([&](const auto& v) { return nn::MarginRankingLoss(nn::MarginRankingLossOptions().margin(0.1))(v[0].select(1, 0), y.select(1, 0), s); },
                            "torch.nn.MarginRankingLoss(margin=0.1)(x[:, 0], y[:, 0], s)", in));
  }
}

TEST(LossModule, WeightsAreBuffers) {
  Tensor w = sample_positive({3}, kFloat, 6);
  nn::CrossEntropyLoss ce(nn::CrossEntropyLossOptions().weight(w));
  auto buffers = ce->named_buffers();
  ASSERT_EQ(buffers.size(), 1u);
  EXPECT_EQ(buffers.keys()[0], "weight");
  EXPECT_TRUE(nn::CrossEntropyLoss()->named_buffers().is_empty());
  nn::BCEWithLogitsLoss bce(nn::BCEWithLogitsLossOptions().weight(w).pos_weight(w * 2));
  EXPECT_EQ(bce->named_buffers().keys(), (std::vector<std::string>{"weight", "pos_weight"}));
  // Module::to converts the weight, and forward uses the converted weight.
  ce->to(kDouble);
  EXPECT_EQ(ce->weight.scalar_type(), kDouble);
  Tensor x = sample({2, 3}, kDouble, 7);
  Tensor t = tensor({0, 2}, kLong);
  EXPECT_TRUE(nabla::testing::close_to(ce(x, t), oracle::eval("torch.nn.functional.cross_entropy(x, t, weight=w.double())",
                                                             {{"x", x}, {"t", t}, {"w", w}})));
}
