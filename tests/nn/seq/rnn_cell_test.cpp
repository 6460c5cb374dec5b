// nn::LSTMCell, nn::GRUCell, nn::RNNCell and the cell functions against torch with the same
// weights: outputs and gradients (input, state, parameters), batched and unbatched, with and
// without a state, float32/float64; errors; gradcheck/gradgradcheck.
#include <nabla/nn/functional/rnn.h>
#include <nabla/nn/modules/rnn.h>

#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

// "w3" for ("w", 3), built by appending (GCC's -Wrestrict misfires on "w" + to_string(i)).
std::string indexed(const char* prefix, size_t i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  if (a.scalar_type() == kFloat) return same(a, e, 1e-4, 2e-5);
  return same(a, e, 1e-9, 1e-10);
}

struct CellCase {
  int64_t input = 3, hidden = 4, batch = 2;
  bool bias = true, with_state = true, unbatched = false;
  ScalarType dtype = kFloat;
  int seed = 0;
};

// Runs the cell M in nabla and torch; compares outputs and all gradients.
template <typename M>
void check_cell(const CellCase& c, const std::string& py_ctor, M m) {
  constexpr bool lstm = std::is_same_v<M, nn::LSTMCell>;
  m->to(c.dtype);
  DimVector xs = c.unbatched ? DimVector{c.input} : DimVector{c.batch, c.input};
  DimVector hs = c.unbatched ? DimVector{c.hidden} : DimVector{c.batch, c.hidden};
  Tensor x = sample(xs, c.dtype, c.seed).requires_grad_();
  Tensor h = c.with_state ? (sample(hs, c.dtype, c.seed + 1) * 0.5).detach().requires_grad_() : Tensor();
  Tensor cx = c.with_state && lstm ? (sample(hs, c.dtype, c.seed + 2) * 0.5).detach().requires_grad_() : Tensor();
  std::vector<Tensor> outs;
  if constexpr (lstm) {
    auto [h1, c1] = c.with_state ? m(x, std::make_tuple(h, cx)) : m(x);
    outs = {h1, c1};
  } else {
    outs = {m(x, h)};
  }
  oracle::Inputs in = {{"x", x}};
  if (h.defined()) in.push_back({"h", h});
  if (cx.defined()) in.push_back({"c", cx});
  Tensor loss = zeros({}, c.dtype);
  for (size_t i = 0; i < outs.size(); ++i) {
    Tensor g = sample(outs[i].sizes(), c.dtype, 30 + static_cast<int>(i));
    in.push_back({indexed("g", i), g});
    loss = loss + (outs[i] * g).sum();
  }
  loss.backward();
  std::vector<Tensor> mine = outs;
  mine.push_back(x.grad());
  if (h.defined()) mine.push_back(h.grad());
  if (cx.defined()) mine.push_back(cx.grad());
  auto params = m->parameters();
  std::ostringstream py;
  py << "m = " << py_ctor << ".to(" << (c.dtype == kDouble ? "torch.float64" : "torch.float32") << ")\nws = [";
  for (size_t i = 0; i < params.size(); ++i) {
    mine.push_back(params[i].grad());
    in.push_back({indexed("w", i), params[i].detach()});
    py << (i ? ", " : "") << "w" << i;
  }
  py << "]\nwith torch.no_grad():\n  for p, w in zip(m.parameters(), ws):\n    p.copy_(w)\n";
  if (lstm)
    py << "r = m(x, (h, c)) if " << (c.with_state ? "True" : "False") << " else m(x)\n";
  else
    py << "r = (m(x, h) if " << (c.with_state ? "True" : "False") << " else m(x),)\n";
  py << "sum((o * g).sum() for o, g in zip(r, [g0" << (lstm ? ", g1" : "") << "])).backward()\n"
     << "out = tuple(r) + (x.grad,)" << (c.with_state ? (lstm ? " + (h.grad, c.grad)" : " + (h.grad,)") : "")
     << " + tuple(p.grad for p in m.parameters())";
  auto ref = oracle::run(py.str(), in);
  ASSERT_TRUE(ref.ok) << ref.error;
  ASSERT_EQ(mine.size(), ref.outputs.size());
  for (size_t i = 0; i < mine.size(); ++i) EXPECT_TRUE(close(mine[i], ref.outputs[i])) << py_ctor << " result " << i;
}

std::vector<CellCase> cases() {
  return {{},
          {.batch = 5, .with_state = false, .seed = 1},
          {.input = 6, .hidden = 5, .bias = false, .dtype = kDouble, .seed = 2},
          {.unbatched = true, .seed = 3},
          {.with_state = false, .unbatched = true, .dtype = kDouble, .seed = 4},
          {.hidden = 37, .batch = 3, .seed = 5}};
}

std::string ctor(const char* cls, const CellCase& c, const char* extra = "") {
  return std::string("torch.nn.") + cls + "(" + std::to_string(c.input) + ", " + std::to_string(c.hidden) +
         ", bias=" + (c.bias ? "True" : "False") + extra + ")";
}

}  // namespace

TEST(RnnCell, LstmCellMatchesTorch) {
  for (const auto& c : cases())
    check_cell(c, ctor("LSTMCell", c), nn::LSTMCell(nn::LSTMCellOptions(c.input, c.hidden).bias(c.bias)));
}

TEST(RnnCell, GruCellMatchesTorch) {
  for (const auto& c : cases())
    check_cell(c, ctor("GRUCell", c), nn::GRUCell(nn::GRUCellOptions(c.input, c.hidden).bias(c.bias)));
}

TEST(RnnCell, RnnCellMatchesTorch) {
  for (const auto& c : cases()) {
    check_cell(c, ctor("RNNCell", c), nn::RNNCell(nn::RNNCellOptions(c.input, c.hidden).bias(c.bias)));
    check_cell(c, ctor("RNNCell", c, ", nonlinearity='relu'"),
               nn::RNNCell(nn::RNNCellOptions(c.input, c.hidden).bias(c.bias).nonlinearity(kReLU)));
  }
}

TEST(RnnCell, ErrorsAsTorch) {
  nn::LSTMCell lstm(3, 4);
  nn::GRUCell gru(3, 4);
  auto z = [](IntArrayRef s) { return zeros(s); };
  auto expect = [](const std::string& mine, const std::string& code) { EXPECT_EQ(mine, oracle::error_of(code)); };
  expect(error_message([&] { lstm(z({2, 3, 3})); }), "torch.nn.LSTMCell(3, 4)(torch.zeros(2, 3, 3))");
  expect(error_message([&] { gru(z({2, 3, 3})); }), "torch.nn.GRUCell(3, 4)(torch.zeros(2, 3, 3))");
  expect(error_message([&] { lstm(z({2, 5})); }), "torch.nn.LSTMCell(3, 4)(torch.zeros(2, 5))");
  expect(error_message([&] {
           gru(z({2, 3}), z({3, 4}));
         }),
         "torch.nn.GRUCell(3, 4)(torch.zeros(2, 3), torch.zeros(3, 4))");
  expect(error_message([&] {
           gru(z({2, 3}), z({2, 5}));
         }),
         "torch.nn.GRUCell(3, 4)(torch.zeros(2, 3), torch.zeros(2, 5))");
  expect(error_message([&] {
           lstm(z({2, 3}), std::make_tuple(z({2, 4}), z({3, 4})));
         }),
         "torch.nn.LSTMCell(3, 4)(torch.zeros(2, 3), (torch.zeros(2, 4), torch.zeros(3, 4)))");
  expect(error_message([&] {
           lstm(z({2, 3}), std::make_tuple(z({2, 4}), z({2, 6})));
         }),
         "torch.nn.LSTMCell(3, 4)(torch.zeros(2, 3), (torch.zeros(2, 4), torch.zeros(2, 6)))");
  expect(error_message([&] {
           lstm(z({3}), std::make_tuple(z({2, 4}), z({2, 4})));
         }),
         "torch.nn.LSTMCell(3, 4)(torch.zeros(3), (torch.zeros(2, 4), torch.zeros(2, 4)))");
}

TEST(RnnCell, GradcheckCellFunctions) {
  auto p = [](IntArrayRef s, int seed) { return (sample(s, kDouble, seed) * 0.5).detach().requires_grad_(); };
  const int64_t B = 2, I = 3, H = 2;
  Tensor x = p({I, B}, 1).t(), h = p({B, H}, 2), c = p({B, H}, 3);  // x non-contiguous
  for (int64_t gates : {4, 3, 1}) {
    Tensor w_ih = p({gates * H, I}, 4), w_hh = p({gates * H, H}, 5), b_ih = p({gates * H}, 6), b_hh = p({gates * H}, 7);
    autograd::GradcheckFn f = [&](const autograd::variable_list& in) -> autograd::variable_list {
      if (gates == 4) {
        auto [h1, c1] = lstm_cell(in[0], {in[1], in[2]}, in[3], in[4], in[5], in[6]);
        return {h1, c1};
      }
      if (gates == 3) return {gru_cell(in[0], in[1], in[3], in[4], in[5], in[6]) + 0 * in[2].sum()};
      return {rnn_tanh_cell(in[0], in[1], in[3], in[4], in[5], in[6]) + 0 * in[2].sum()};
    };
    autograd::variable_list in = {x, h, c, w_ih, w_hh, b_ih, b_hh};
    EXPECT_TRUE(autograd::gradcheck(f, in)) << gates;
    EXPECT_TRUE(autograd::gradgradcheck(f, in)) << gates;
  }
}

TEST(RnnCell, FunctionalErrorsAsTorch) {
  Tensor x = zeros({2, 3}), h = zeros({2, 4}), w1 = zeros({16, 3}), w2 = zeros({16, 4});
  oracle::Inputs in = {{"x", x}, {"h", h}, {"w1", w1}, {"w2", w2}};
  EXPECT_EQ(error_message([&] { lstm_cell(x, {h}, w1, w2); }), oracle::error_of("torch.lstm_cell(x, [h], w1, w2)", in));
  Tensor xs = zeros({2, 2, 3}), hs = zeros({1, 2, 4});
  in.push_back({"xs", xs});
  in.push_back({"hs", hs});
  EXPECT_EQ(error_message([&] {
              nabla::lstm(xs, {hs}, {w1, w2}, false, 1, 0.0, false, false, false);
            }),
            oracle::error_of("torch.lstm(xs, [hs], [w1, w2], False, 1, 0.0, False, False, False)", in));
  EXPECT_EQ(error_message([&] {
              nabla::lstm(xs, {hs, hs}, {w1, w2, w1}, false, 1, 0.0, false, false, false);
            }),
            oracle::error_of("torch.lstm(xs, [hs, hs], [w1, w2, w1], False, 1, 0.0, False, False, False)", in));
  EXPECT_EQ(error_message([&] {
              nabla::gru(xs, hs, {w1, w2, w1}, true, 1, 0.0, false, false, false);
            }),
            oracle::error_of("torch.gru(xs, hs, [w1, w2, w1], True, 1, 0.0, False, False, False)", in));
}
