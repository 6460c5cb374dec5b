// nn::LSTM, nn::GRU, nn::RNN against torch.nn with the same weights: outputs, final states
// and the gradients of inputs, initial states and parameters, for several shapes, both
// layouts, multi-layer, bidirectional, float32/float64, train-mode dropout; init parity,
// parameter names, reprs, errors; gradcheck/gradgradcheck of the functional forms.
#include <nabla/nn/functional/rnn.h>
#include <nabla/nn/modules/rnn.h>

#include <functional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "nn/seq/seq_testing.h"
#include "support/testing.h"

using namespace nabla;
using nabla::testing::backward_and_collect;
using nabla::testing::error_message;
using nabla::testing::indexed;
using nabla::testing::load_module;
using nabla::testing::make_rnn;
using nabla::testing::py_bool;
using nabla::testing::py_rnn_ctor;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

struct Config {
  int64_t input = 3, hidden = 4, layers = 1;
  bool bias = true, batch_first = false, bidirectional = false;
  double dropout = 0;
};

struct Case {
  int64_t seq = 5, batch = 2;
  bool with_state = false;
  bool unbatched = false;
  bool train = true;
  ScalarType dtype = kFloat;
  int seed = 0;
};

// Runs m on deterministic inputs in nabla and in torch; returns (nabla, torch) lists of outputs,
// states and gradients (input, initial states, parameters).
template <typename M>
std::pair<std::vector<Tensor>, std::vector<Tensor>> run_both(M& m, const std::string& ctor, const Config& c,
                                                             const Case& k) {
  constexpr bool lstm = std::is_same_v<M, nn::LSTM>;
  m->to(k.dtype);
  if (!k.train) m->eval();
  const int64_t D = c.bidirectional ? 2 : 1;
  DimVector xs = c.batch_first ? DimVector{k.batch, k.seq, c.input} : DimVector{k.seq, k.batch, c.input};
  DimVector hs{c.layers * D, k.batch, c.hidden};
  if (k.unbatched) {
    xs = {k.seq, c.input};
    hs = {c.layers * D, c.hidden};
  }
  Tensor x = sample(xs, k.dtype, k.seed).requires_grad_();
  Tensor h0 = k.with_state ? (sample(hs, k.dtype, k.seed + 1) * 0.3).detach().requires_grad_() : Tensor();
  Tensor c0 = k.with_state && lstm ? (sample(hs, k.dtype, k.seed + 2) * 0.3).detach().requires_grad_() : Tensor();

  std::vector<Tensor> outs;
  if constexpr (lstm) {
    auto [out, st] = k.with_state ? m(x, std::make_tuple(h0, c0)) : m(x);
    outs = {out, std::get<0>(st), std::get<1>(st)};
  } else {
    auto [out, hn] = m(x, h0);
    outs = {out, hn};
  }
  oracle::Inputs in = {{"x", x}};
  if (k.with_state) in.push_back({"h0", h0});
  if (c0.defined()) in.push_back({"c0", c0});
  auto params = m->parameters();
  std::vector<Tensor> mine = backward_and_collect(outs, {x, h0, c0}, params, 50, in);

  std::ostringstream py;
  py << load_module(ctor, params.size(), k.dtype) << (k.train ? "m.train()\n" : "m.eval()\n");
  if (lstm)
    py << "r = m(x, (h0, c0)) if " << py_bool(k.with_state) << " else m(x)\nouts = [r[0], r[1][0], r[1][1]]\n";
  else
    py << "r = m(x, h0) if " << py_bool(k.with_state) << " else m(x)\nouts = [r[0], r[1]]\n";
  py << "gs = [g0, g1" << (lstm ? ", g2" : "") << "]\n"
     << "sum((o * g).sum() for o, g in zip(outs, gs)).backward()\n"
     << "out = tuple(outs) + (x.grad,)" << (k.with_state ? (lstm ? " + (h0.grad, c0.grad)" : " + (h0.grad,)") : "")
     << " + tuple(p.grad for p in m.parameters())\n";
  auto ref = oracle::run(py.str(), in);
  EXPECT_TRUE(ref.ok) << ref.error;
  return {mine, ref.outputs};
}

::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  if (a.scalar_type() == kFloat) return same(a, e, 1e-4, 2e-5);
  return same(a, e, 1e-9, 1e-10);
}

template <typename M>
void check(const Config& c, const Case& k, Nonlinearity nl = kTanh) {
  manual_seed(k.seed);
  M m = make_rnn<M>(c, nl);
  auto [mine, ref] = run_both(m, py_rnn_ctor<M>(c, nl), c, k);
  ASSERT_EQ(mine.size(), ref.size());
  for (size_t i = 0; i < mine.size(); ++i) EXPECT_TRUE(close(mine[i], ref[i])) << "result " << i;
}

}  // namespace

TEST(Rnn, LstmMatchesTorch) {
  check<nn::LSTM>({}, {});
  check<nn::LSTM>({.layers = 2}, {.seq = 4, .batch = 3, .with_state = true, .dtype = kDouble, .seed = 1});
  check<nn::LSTM>({.input = 5, .hidden = 6, .batch_first = true},
                  {.seq = 3, .batch = 4, .with_state = true, .seed = 2});
  check<nn::LSTM>({.layers = 2, .bias = false, .bidirectional = true}, {.seq = 4, .batch = 2, .seed = 3});
  check<nn::LSTM>({.hidden = 5, .layers = 3, .batch_first = true, .bidirectional = true},
                  {.seq = 6, .batch = 3, .with_state = true, .dtype = kDouble, .seed = 4});
  check<nn::LSTM>({.hidden = 33}, {.seq = 7, .batch = 5, .seed = 5});
}

TEST(Rnn, GruMatchesTorch) {
  check<nn::GRU>({}, {});
  check<nn::GRU>({.layers = 2}, {.seq = 4, .batch = 3, .with_state = true, .dtype = kDouble, .seed = 1});
  check<nn::GRU>({.input = 5, .hidden = 6, .batch_first = true}, {.seq = 3, .batch = 4, .with_state = true, .seed = 2});
  check<nn::GRU>({.layers = 2, .bias = false, .bidirectional = true}, {.seq = 4, .batch = 2, .seed = 3});
  check<nn::GRU>({.hidden = 5, .layers = 3, .batch_first = true, .bidirectional = true},
                 {.seq = 6, .batch = 3, .with_state = true, .dtype = kDouble, .seed = 4});
  check<nn::GRU>({.hidden = 33}, {.seq = 7, .batch = 5, .seed = 5});
}

TEST(Rnn, ElmanRnnMatchesTorch) {
  check<nn::RNN>({}, {});
  check<nn::RNN>({.layers = 2, .batch_first = true}, {.with_state = true, .dtype = kDouble, .seed = 1}, kReLU);
  check<nn::RNN>({.layers = 2, .bias = false, .bidirectional = true}, {.seq = 3, .seed = 2}, kReLU);
}

TEST(Rnn, UnbatchedInput) {
  check<nn::LSTM>({.layers = 2}, {.seq = 4, .with_state = true, .unbatched = true, .seed = 6});
  check<nn::LSTM>({.batch_first = true, .bidirectional = true}, {.seq = 4, .unbatched = true, .seed = 7});
  check<nn::GRU>({.layers = 2, .bidirectional = true}, {.seq = 4, .with_state = true, .unbatched = true, .seed = 8});
  check<nn::RNN>({}, {.seq = 3, .with_state = true, .unbatched = true, .seed = 9});
}

TEST(Rnn, EvalModeAndEmptyBatch) {
  check<nn::LSTM>({.layers = 2, .dropout = 0.5}, {.train = false, .seed = 10});
  check<nn::GRU>({.layers = 2, .dropout = 0.5}, {.train = false, .dtype = kDouble, .seed = 11});
  check<nn::LSTM>({.layers = 2}, {.seq = 3, .batch = 0, .seed = 12});
}

TEST(Rnn, TrainModeDropoutBetweenLayersMatchesTorchSeed) {
  for (int seed : {0, 3}) {
    Config c{.layers = 3, .dropout = 0.4};
    manual_seed(seed);
    nn::LSTM m = make_rnn<nn::LSTM>(c);
    auto x = sample({5, 2, 3}, kFloat, seed);
    manual_seed(100 + seed);
    auto [out, st] = m(x);
    auto params = m->parameters();
    oracle::Inputs in = {{"x", x}};
    for (size_t i = 0; i < params.size(); ++i) in.push_back({indexed("w", i), params[i].detach()});
    auto ref = oracle::run(load_module(py_rnn_ctor<nn::LSTM>(c), params.size(), kFloat) + "torch.manual_seed(" +
                               std::to_string(100 + seed) + ")\nr = m(x)\nout = (r[0], r[1][0], r[1][1])",
                           in);
    EXPECT_TRUE(close(out, ref.tensor(0)));
    EXPECT_TRUE(close(std::get<0>(st), ref.tensor(1)));
    EXPECT_TRUE(close(std::get<1>(st), ref.tensor(2)));
  }
}

TEST(Rnn, InitMatchesTorchBitForBit) {
  struct Init {
    std::string py;
    std::function<std::vector<Tensor>()> make;
  };
  std::vector<Init> cases = {
      {"torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)",
       [] { return nn::LSTM(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true))->parameters(); }},
      {"torch.nn.GRU(5, 7, bias=False)", [] { return nn::GRU(nn::GRUOptions(5, 7).bias(false))->parameters(); }},
      {"torch.nn.RNN(2, 3, num_layers=3)", [] { return nn::RNN(nn::RNNOptions(2, 3).num_layers(3))->parameters(); }},
      {"torch.nn.LSTMCell(3, 5)", [] { return nn::LSTMCell(3, 5)->parameters(); }},
      {"torch.nn.GRUCell(4, 2, bias=False)",
       [] { return nn::GRUCell(nn::GRUCellOptions(4, 2).bias(false))->parameters(); }},
      {"torch.nn.RNNCell(4, 6)", [] { return nn::RNNCell(4, 6)->parameters(); }},
  };
  for (const auto& c : cases) {
    manual_seed(7);
    auto params = c.make();
    auto ref = oracle::run("torch.manual_seed(7)\nout = tuple(" + c.py + ".parameters())");
    ASSERT_EQ(params.size(), ref.outputs.size()) << c.py;
    for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(same(params[i], ref.tensor(i), 0, 0)) << c.py << " " << i;
  }
}

TEST(Rnn, ParameterNamesAsTorch) {
  auto names = [](const auto& m) {
    std::string s;
    for (const auto& p : m->named_parameters()) s += p.key() + " ";
    return s;
  };
  auto py = [](const std::string& ctor) {
    return oracle::run("out = ''.join(n + ' ' for n, _ in " + ctor + ".named_parameters())").strings.at(0);
  };
  EXPECT_EQ(names(nn::LSTM(nn::LSTMOptions(3, 4).num_layers(2).bidirectional(true))),
            py("torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)"));
  EXPECT_EQ(names(nn::GRU(nn::GRUOptions(3, 4).num_layers(2).bias(false))),
            py("torch.nn.GRU(3, 4, num_layers=2, bias=False)"));
  EXPECT_EQ(names(nn::LSTMCell(3, 4)), py("torch.nn.LSTMCell(3, 4)"));
  EXPECT_EQ(names(nn::GRUCell(nn::GRUCellOptions(3, 4).bias(false))), py("torch.nn.GRUCell(3, 4, bias=False)"));
}

TEST(Rnn, ReprAsPython) {
  auto repr = [](const auto& m) {
    std::ostringstream s;
    s << m;
    return s.str();
  };
  auto py = [](const std::string& ctor) { return oracle::run("out = repr(" + ctor + ")").strings.at(0); };
  EXPECT_EQ(repr(nn::LSTM(nn::LSTMOptions(10, 20).num_layers(2).batch_first(true))),
            py("torch.nn.LSTM(10, 20, num_layers=2, batch_first=True)"));
  EXPECT_EQ(repr(nn::LSTM(10, 20)), py("torch.nn.LSTM(10, 20)"));
  EXPECT_EQ(repr(nn::GRU(nn::GRUOptions(3, 4).bias(false).dropout(0.5).num_layers(2).bidirectional(true))),
            py("torch.nn.GRU(3, 4, bias=False, dropout=0.5, num_layers=2, bidirectional=True)"));
  for (double p : {1e-4, 1e-5, 1.0, 0.25, 0.1}) {
    std::ostringstream ctor;
    ctor.precision(17);
    ctor << "torch.nn.GRU(3, 4, num_layers=2, dropout=" << p << ")";
    EXPECT_EQ(repr(nn::GRU(nn::GRUOptions(3, 4).num_layers(2).dropout(p))), py(ctor.str())) << p;
  }
  EXPECT_EQ(repr(nn::RNN(nn::RNNOptions(3, 4).nonlinearity(kReLU))), py("torch.nn.RNN(3, 4, nonlinearity='relu')"));
  EXPECT_EQ(repr(nn::LSTMCell(10, 20)), py("torch.nn.LSTMCell(10, 20)"));
  EXPECT_EQ(repr(nn::GRUCell(nn::GRUCellOptions(10, 20).bias(false))), py("torch.nn.GRUCell(10, 20, bias=False)"));
  EXPECT_EQ(repr(nn::RNNCell(nn::RNNCellOptions(3, 4).nonlinearity(kReLU))),
            py("torch.nn.RNNCell(3, 4, nonlinearity='relu')"));
  EXPECT_EQ(repr(nn::RNNCell(3, 4)), py("torch.nn.RNNCell(3, 4)"));
}

TEST(Rnn, ErrorsAsTorch) {
  nn::LSTM lstm(3, 4);
  nn::GRU gru(3, 4);
  auto r = [](const char* shape) { return std::string("torch.randn(") + shape + ")"; };
  auto expect = [](const std::string& mine, const std::string& code) {
    EXPECT_EQ(mine, oracle::error_of("torch.manual_seed(0)\n" + code));
  };
  auto t = [](IntArrayRef s) { return zeros(s); };
  expect(error_message([&] { lstm(t({2, 3, 4, 5})); }), "torch.nn.LSTM(3, 4)(" + r("2, 3, 4, 5") + ")");
  expect(error_message([&] { lstm(t({2, 3, 5})); }), "torch.nn.LSTM(3, 4)(" + r("2, 3, 5") + ")");
  expect(error_message([&] {
           lstm(t({2, 3, 3}), std::make_tuple(t({2, 3, 4}), t({1, 3, 4})));
         }),
         "torch.nn.LSTM(3, 4)(" + r("2, 3, 3") + ", (" + r("2, 3, 4") + ", " + r("1, 3, 4") + "))");
  expect(error_message([&] {
           lstm(t({2, 3, 3}), std::make_tuple(t({1, 3, 4}), t({1, 2, 4})));
         }),
         "torch.nn.LSTM(3, 4)(" + r("2, 3, 3") + ", (" + r("1, 3, 4") + ", " + r("1, 2, 4") + "))");
  expect(error_message([&] {
           lstm(t({2, 3}), std::make_tuple(t({1, 3, 4}), t({1, 3, 4})));
         }),
         "torch.nn.LSTM(3, 4)(" + r("2, 3") + ", (" + r("1, 3, 4") + ", " + r("1, 3, 4") + "))");
  expect(error_message([&] {
           lstm(t({2, 3, 3}), std::make_tuple(t({1, 4}), t({1, 4})));
         }),
         "torch.nn.LSTM(3, 4)(" + r("2, 3, 3") + ", (" + r("1, 4") + ", " + r("1, 4") + "))");
  expect(error_message([&] { lstm(t({0, 3, 3})); }), "torch.nn.LSTM(3, 4)(" + r("0, 3, 3") + ")");
  expect(error_message([&] { lstm(t({2, 3, 3}).to(kDouble)); }), "torch.nn.LSTM(3, 4)(" + r("2, 3, 3") + ".double())");
  expect(error_message([&] {
           gru(t({2, 3, 3}), t({2, 3, 4}));
         }),
         "torch.nn.GRU(3, 4)(" + r("2, 3, 3") + ", " + r("2, 3, 4") + ")");
  expect(error_message([&] {
           gru(t({2, 3}), t({1, 3, 4}));
         }),
         "torch.nn.GRU(3, 4)(" + r("2, 3") + ", " + r("1, 3, 4") + ")");
  expect(error_message([&] {
           gru(t({2, 3, 3}), t({1, 4}));
         }),
         "torch.nn.GRU(3, 4)(" + r("2, 3, 3") + ", " + r("1, 4") + ")");
  expect(error_message([&] { nn::LSTM(nn::LSTMOptions(3, 4).dropout(1.5)); }), "torch.nn.LSTM(3, 4, dropout=1.5)");
  expect(error_message([&] { nn::GRU(3, 0); }), "torch.nn.GRU(3, 0)");
}

TEST(Rnn, DropoutWithOneLayerWarnsAsTorch) {
  std::vector<std::string> warnings;
  auto prev = set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  nn::LSTM m(nn::LSTMOptions(3, 4).dropout(0.5));
  set_warning_handler(prev);
  ASSERT_EQ(warnings.size(), 1u);
  auto ref = oracle::run(
      "import warnings\nwith warnings.catch_warnings(record=True) as w:\n  warnings.simplefilter('always')\n"
      "  torch.nn.LSTM(3, 4, dropout=0.5)\nout = str(w[0].message)");
  EXPECT_EQ(warnings[0], ref.strings.at(0));
}

TEST(Rnn, GradFnNamesAsTorch) {
  auto py = [](const std::string& expr) {
    return oracle::run("out = type(" + expr + ".grad_fn).__name__").strings.at(0);
  };
  auto x = sample({2, 3, 3});
  EXPECT_EQ(std::get<0>(nn::LSTM(3, 4)(x)).grad_fn()->name(), py("torch.nn.LSTM(3, 4)(torch.randn(2, 3, 3))[0]"));
  EXPECT_EQ(std::get<0>(nn::GRU(3, 4)(x)).grad_fn()->name(), py("torch.nn.GRU(3, 4)(torch.randn(2, 3, 3))[0]"));
  EXPECT_EQ(std::get<0>(nn::LSTM(nn::LSTMOptions(3, 4).batch_first(true))(x)).grad_fn()->name(),
            py("torch.nn.LSTM(3, 4, batch_first=True)(torch.randn(2, 3, 3))[0]"));
  EXPECT_EQ(std::get<0>(nn::GRU(nn::GRUOptions(3, 4).bidirectional(true))(x)).grad_fn()->name(),
            py("torch.nn.GRU(3, 4, bidirectional=True)(torch.randn(2, 3, 3))[0]"));
  EXPECT_EQ(std::get<1>(nn::GRU(3, 4)(x)).grad_fn()->name(), py("torch.nn.GRU(3, 4)(torch.randn(2, 3, 3))[1]"));
}

TEST(Rnn, CloneIsIndependentAndEqual) {
  nn::LSTM lstm(nn::LSTMOptions(3, 4).num_layers(2));
  auto copy = std::dynamic_pointer_cast<nn::LSTMImpl>(lstm->clone());
  ASSERT_TRUE(copy);
  auto x = sample({2, 3, 3});
  Tensor before = std::get<0>(lstm(x)).detach();
  EXPECT_SAME(std::get<0>(copy->forward(x)).detach(), before);
  {
    NoGradGuard no_grad;
    for (auto& p : lstm->parameters()) p.add_(1.0);
  }
  EXPECT_SAME(std::get<0>(copy->forward(x)).detach(), before);
  EXPECT_FALSE(std::get<0>(lstm(x)).detach().equal(before));
}

TEST(Rnn, UnknownNonlinearityAsTorch) {
  EXPECT_EQ(error_message([] { nn::RNN(nn::RNNOptions(3, 4).nonlinearity(kSigmoid)); }),
            oracle::error_of("torch.nn.RNN(3, 4, nonlinearity='sigmoid')"));
  nn::RNNCell cell(nn::RNNCellOptions(3, 4).nonlinearity(kSigmoid));
  EXPECT_EQ(error_message([&] {
              cell(zeros({2, 3}));
            }),
            oracle::error_of("torch.nn.RNNCell(3, 4, nonlinearity='sigmoid')(torch.zeros(2, 3))"));
  std::ostringstream s;
  s << cell;
  EXPECT_EQ(s.str(), oracle::run("out = repr(torch.nn.RNNCell(3, 4, nonlinearity='sigmoid'))").strings.at(0));
}

TEST(Rnn, GradcheckFunctional) {
  auto p = [&](IntArrayRef s, int seed) { return (sample(s, kDouble, seed) * 0.4).detach().requires_grad_(); };
  const int64_t T = 3, B = 2, I = 2, H = 2;
  for (bool batch_first : {false, true}) {
    Tensor x = batch_first ? p({T, B, I}, 1).transpose(0, 1) : p({T, B, I}, 1);  // non-contiguous when batch_first
    Tensor h0 = p({2, B, H}, 2), c0 = p({2, B, H}, 3);
    std::vector<Tensor> lw = {p({4 * H, I}, 4), p({4 * H, H}, 5), p({4 * H}, 6),  p({4 * H}, 7),
                              p({4 * H, I}, 8), p({4 * H, H}, 9), p({4 * H}, 10), p({4 * H}, 11)};
    auto lstm_fn = [&](const autograd::variable_list& in) {
      std::vector<Tensor> params(in.begin() + 3, in.end());
      auto [o, hn, cn] = nabla::lstm(in[0], {in[1], in[2]}, params, true, 1, 0, false, true, batch_first);
      return autograd::variable_list{o, hn, cn};
    };
    autograd::variable_list lin = {x, h0, c0};
    lin.insert(lin.end(), lw.begin(), lw.end());
    EXPECT_TRUE(autograd::gradcheck(autograd::GradcheckFn(lstm_fn), lin));
    EXPECT_TRUE(autograd::gradgradcheck(autograd::GradcheckFn(lstm_fn), lin));

    std::vector<Tensor> gw = {p({3 * H, I}, 12), p({3 * H, H}, 13), p({3 * H}, 14), p({3 * H}, 15),
                              p({3 * H, H}, 16), p({3 * H, H}, 17), p({3 * H}, 18), p({3 * H}, 19)};
    auto gru_fn = [&](const autograd::variable_list& in) {
      std::vector<Tensor> params(in.begin() + 2, in.end());
      auto [o, hn] = nabla::gru(in[0], in[1], params, true, 2, 0, false, false, batch_first);
      return autograd::variable_list{o, hn};
    };
    autograd::variable_list gin = {x, h0};
    gin.insert(gin.end(), gw.begin(), gw.end());
    EXPECT_TRUE(autograd::gradcheck(autograd::GradcheckFn(gru_fn), gin));
    EXPECT_TRUE(autograd::gradgradcheck(autograd::GradcheckFn(gru_fn), gin));
  }
}
