// Packed sequences against torch.nn.utils.rnn: pack/pad round trips (sorted and unsorted,
// batch_first, total_length, padding values), gradients through packing (padding gets none);
// LSTM/GRU/RNN over packed batches (outputs, final states, gradients of the input, states
// and parameters; several layers, bidirectional, proj_size, train-mode dropout), LSTM's
// proj_size on padded input, init/repr/names; errors; gradcheck of the packed recurrences.
#include <nabla/nn/functional/rnn.h>
#include <nabla/nn/modules/rnn.h>
#include <nabla/nn/utils/rnn.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "nn/seq/seq_testing.h"
#include "support/testing.h"

using namespace nabla;
using namespace nabla::nn::utils::rnn;
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

std::string py_list(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  if (a.scalar_type() == kFloat) return same(a, e, 1e-4, 2e-5);
  return same(a, e, 1e-9, 1e-10);
}

}  // namespace

TEST(PackedSequence, RoundTripMatchesTorch) {
  struct Case {
    std::vector<int64_t> lengths;
    bool batch_first, enforce_sorted;
  };
  for (const Case& c : {Case{{4, 3, 1}, false, true}, Case{{2, 4, 1, 4}, true, false}, Case{{3, 3, 3}, false, false},
                        Case{{1, 5, 2}, false, false}, Case{{4}, true, true}}) {
    const int64_t T = *std::max_element(c.lengths.begin(), c.lengths.end());
    const auto B = static_cast<int64_t>(c.lengths.size());
    Tensor x = sample(c.batch_first ? DimVector{B, T, 2} : DimVector{T, B, 2}, kDouble, 1).requires_grad_();
    PackedSequence p = pack_padded_sequence(x, tensor(c.lengths), c.batch_first, c.enforce_sorted);
    auto [padded, lengths] = pad_packed_sequence(p, c.batch_first, -2.5, T + 1);
    Tensor g = sample(p.data().sizes(), kDouble, 2);
    (p.data() * g).sum().backward();
    const std::string py =
        "p = torch.nn.utils.rnn.pack_padded_sequence(x, " + py_list(c.lengths) +
        ", batch_first=" + py_bool(c.batch_first) + ", enforce_sorted=" + py_bool(c.enforce_sorted) + ")\n" +
        "padded, lengths = torch.nn.utils.rnn.pad_packed_sequence(p, batch_first=" + py_bool(c.batch_first) +
        ", padding_value=-2.5, total_length=" + std::to_string(T + 1) +
        ")\n(p.data * g).sum().backward()\n"
        "none = torch.zeros(0, dtype=torch.int64)\n"
        "si = p.sorted_indices if p.sorted_indices is not None else none\n"
        "ui = p.unsorted_indices if p.unsorted_indices is not None else none\n"
        "out = (p.data, p.batch_sizes, si, ui, padded, lengths, x.grad)";
    auto ref = oracle::run(py, {{"x", x}, {"g", g}});
    ASSERT_TRUE(ref.ok) << ref.error;
    auto indices = [](const Tensor& t) { return t.defined() ? t : zeros({0}, TensorOptions().dtype(kLong)); };
    EXPECT_SAME(p.data(), ref.tensor(0));
    EXPECT_SAME(p.batch_sizes(), ref.tensor(1));
    EXPECT_SAME(indices(p.sorted_indices()), ref.tensor(2));
    EXPECT_SAME(indices(p.unsorted_indices()), ref.tensor(3));
    EXPECT_SAME(padded.contiguous(), ref.tensor(4));
    EXPECT_SAME(lengths, ref.tensor(5));
    EXPECT_SAME(x.grad(), ref.tensor(6));  // zero at the padding positions
  }
}

TEST(PackedSequence, PadWithoutTotalLengthAndPackSequence) {
  std::vector<Tensor> seqs = {sample({2, 3}), sample({4, 3}, kFloat, 1), sample({1, 3}, kFloat, 2)};
  PackedSequence p = pack_sequence(seqs, false);
  auto [padded, lengths] = pad_packed_sequence(p, true);
  auto ref = oracle::run(
      "p = torch.nn.utils.rnn.pack_sequence([a, b, c], enforce_sorted=False)\n"
      "out = (p.data, p.batch_sizes) + torch.nn.utils.rnn.pad_packed_sequence(p, batch_first=True)",
      {{"a", seqs[0]}, {"b", seqs[1]}, {"c", seqs[2]}});
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_SAME(p.data(), ref.tensor(0));
  EXPECT_SAME(p.batch_sizes(), ref.tensor(1));
  EXPECT_SAME(padded.contiguous(), ref.tensor(2));
  EXPECT_SAME(lengths, ref.tensor(3));
  EXPECT_SAME(invert_permutation(tensor({2, 0, 3, 1})), tensor({1, 3, 0, 2}));
}

TEST(PackedSequence, ErrorsAsTorch) {
  Tensor x = zeros({3, 2, 4});
  auto expect = [&](const std::string& mine, const std::string& call) {
    EXPECT_EQ(mine, oracle::error_of("from torch.nn.utils.rnn import *\nx = torch.zeros(3, 2, 4)\n" + call));
  };
  expect(error_message([&] {
           pack_padded_sequence(x, tensor({3, 2, 1}));
         }),
         "pack_padded_sequence(x, torch.tensor([3, 2, 1]))");
  expect(error_message([&] {
           pack_padded_sequence(x, tensor({3, 0}));
         }),
         "pack_padded_sequence(x, torch.tensor([3, 0]))");
  expect(error_message([&] {
           pack_padded_sequence(x, tensor({2, 3}));
         }),
         "pack_padded_sequence(x, torch.tensor([2, 3]))");
  expect(error_message([&] {
           pack_padded_sequence(x, tensor({{3, 2}}));
         }),
         "pack_padded_sequence(x, torch.tensor([[3, 2]]))");
  expect(error_message([&] {
           pad_packed_sequence(pack_padded_sequence(x, tensor({3, 2})), false, 0.0, 2);
         }),
         "pad_packed_sequence(pack_padded_sequence(x, torch.tensor([3, 2])), total_length=2)");
  expect(error_message([&] { pack_sequence({}); }), "pack_sequence([])");
  // PyTorch reads past the padded batch here; nabla refuses.
  EXPECT_EQ(error_message([&] {
              pack_padded_sequence(x, tensor({4, 3}));
            }),
            "pack_padded_sequence: a length of 4 exceeds the padded sequence length 3");
}

namespace {

struct Config {
  int64_t input = 3, hidden = 4, layers = 1, proj = 0;
  bool bias = true, batch_first = false, bidirectional = false;
  double dropout = 0;
  std::vector<int64_t> lengths = {5, 3, 2};
  bool enforce_sorted = true, with_state = false;
  ScalarType dtype = kFloat;
  int seed = 0;
};

// Runs m over a packed batch in nabla and torch; compares the padded output, the packed data,
// the final states and the gradients of input, initial states and parameters.
template <typename M>
void check(const Config& c) {
  constexpr bool lstm = std::is_same_v<M, nn::LSTM>;
  manual_seed(c.seed);
  M m = make_rnn<M>(c);
  m->to(c.dtype);
  const int64_t T = *std::max_element(c.lengths.begin(), c.lengths.end());
  const auto B = static_cast<int64_t>(c.lengths.size());
  const int64_t D = c.bidirectional ? 2 : 1, H_out = c.proj ? c.proj : c.hidden;
  Tensor x =
      sample(c.batch_first ? DimVector{B, T, c.input} : DimVector{T, B, c.input}, c.dtype, c.seed).requires_grad_();
  Tensor h0, c0;
  if (c.with_state) {
    h0 = (sample({c.layers * D, B, H_out}, c.dtype, c.seed + 1) * 0.3).detach().requires_grad_();
    if (lstm) c0 = (sample({c.layers * D, B, c.hidden}, c.dtype, c.seed + 2) * 0.3).detach().requires_grad_();
  }
  PackedSequence packed = pack_padded_sequence(x, tensor(c.lengths), c.batch_first, c.enforce_sorted);
  manual_seed(100 + c.seed);
  std::vector<Tensor> outs;
  PackedSequence out_packed{Tensor(), Tensor()};
  if constexpr (lstm) {
    auto [o, st] = c.with_state ? m->forward_with_packed_input(packed, std::make_tuple(h0, c0))
                                : m->forward_with_packed_input(packed);
    out_packed = o;
    outs = {std::get<0>(st), std::get<1>(st)};
  } else {
    auto [o, hn] = m->forward_with_packed_input(packed, h0);
    out_packed = o;
    outs = {hn};
  }
  outs.insert(outs.begin(), std::get<0>(pad_packed_sequence(out_packed, c.batch_first)));
  oracle::Inputs in = {{"x", x}};
  if (h0.defined()) in.push_back({"h0", h0});
  if (c0.defined()) in.push_back({"c0", c0});
  auto params = m->parameters();
  std::vector<Tensor> mine = backward_and_collect(outs, {x, h0, c0}, params, 50, in);
  mine.insert(mine.begin() + static_cast<std::ptrdiff_t>(outs.size()), out_packed.data());
  std::ostringstream py;
  py << load_module(py_rnn_ctor<M>(c), params.size(), c.dtype) << "p = torch.nn.utils.rnn.pack_padded_sequence(x, "
     << py_list(c.lengths) << ", batch_first=" << py_bool(c.batch_first)
     << ", enforce_sorted=" << py_bool(c.enforce_sorted) << ")\n"
     << "torch.manual_seed(" << 100 + c.seed << ")\n";
  if (!c.with_state)
    py << "r = m(p)\n";
  else
    py << (lstm ? "r = m(p, (h0, c0))\n" : "r = m(p, h0)\n");
  py << "padded = torch.nn.utils.rnn.pad_packed_sequence(r[0], batch_first=" << py_bool(c.batch_first) << ")[0]\n"
     << (lstm ? "outs = [padded, r[1][0], r[1][1]]\n" : "outs = [padded, r[1]]\n")
     << "sum((o * g).sum() for o, g in zip(outs, [g0, g1" << (lstm ? ", g2" : "") << "])).backward()\n"
     << "out = tuple(outs) + (r[0].data, x.grad)"
     << (c.with_state ? (lstm ? " + (h0.grad, c0.grad)" : " + (h0.grad,)") : "")
     << " + tuple(p.grad for p in m.parameters())\n";
  auto ref = oracle::run(py.str(), in);
  ASSERT_TRUE(ref.ok) << ref.error;
  ASSERT_EQ(mine.size(), ref.outputs.size());
  for (size_t i = 0; i < mine.size(); ++i) EXPECT_TRUE(close(mine[i], ref.tensor(i))) << "result " << i;
}

}  // namespace

TEST(PackedRnn, LstmMatchesTorch) {
  check<nn::LSTM>({});
  check<nn::LSTM>({.layers = 2, .lengths = {2, 5, 1, 3}, .enforce_sorted = false, .with_state = true, .seed = 1});
  check<nn::LSTM>({.hidden = 5,
                   .batch_first = true,
                   .bidirectional = true,
                   .lengths = {3, 4, 4, 1},
                   .enforce_sorted = false,
                   .dtype = kDouble,
                   .seed = 2});
  check<nn::LSTM>(
      {.layers = 2, .bias = false, .bidirectional = true, .lengths = {6, 2}, .with_state = true, .seed = 3});
  check<nn::LSTM>({.layers = 3, .batch_first = true, .lengths = {1, 1, 1}, .enforce_sorted = false, .seed = 4});
}

TEST(PackedRnn, LstmWithProjectionsMatchesTorch) {
  check<nn::LSTM>({.hidden = 5, .proj = 2, .lengths = {4, 2, 1}, .with_state = true, .seed = 5});
  check<nn::LSTM>({.hidden = 6,
                   .layers = 2,
                   .proj = 3,
                   .batch_first = true,
                   .bidirectional = true,
                   .lengths = {2, 5, 3},
                   .enforce_sorted = false,
                   .with_state = true,
                   .dtype = kDouble,
                   .seed = 6});
  check<nn::LSTM>({.hidden = 4, .proj = 1, .bias = false, .lengths = {3, 3}, .seed = 7});
}

TEST(PackedRnn, GruAndRnnMatchTorch) {
  check<nn::GRU>({});
  check<nn::GRU>({.layers = 2,
                  .bidirectional = true,
                  .lengths = {2, 5, 1, 3},
                  .enforce_sorted = false,
                  .with_state = true,
                  .dtype = kDouble,
                  .seed = 8});
  check<nn::GRU>({.bias = false, .batch_first = true, .lengths = {4, 4, 2}, .seed = 9});
  check<nn::RNN>({.layers = 2, .lengths = {3, 1, 2}, .enforce_sorted = false, .with_state = true, .seed = 10});
  check<nn::RNN>({.batch_first = true, .bidirectional = true, .lengths = {5, 2}, .dtype = kDouble, .seed = 11});
}

TEST(PackedRnn, TrainModeDropoutMatchesTorchSeed) {
  check<nn::LSTM>(
      {.layers = 3, .bidirectional = true, .dropout = 0.4, .lengths = {4, 2, 3}, .enforce_sorted = false, .seed = 12});
  check<nn::GRU>({.layers = 2, .dropout = 0.5, .lengths = {5, 3, 2}, .seed = 13});
}

namespace {

// LSTM with proj_size on a padded batch (nn::LSTM::forward) against torch.
void check_padded_projection(int64_t layers, bool bidirectional, bool batch_first, int seed) {
  manual_seed(seed);
  nn::LSTM m(
      nn::LSTMOptions(3, 5).proj_size(2).num_layers(layers).bidirectional(bidirectional).batch_first(batch_first));
  Tensor x = sample({4, 2, 3}, kFloat, seed).requires_grad_();
  auto [out, st] = m(x);
  Tensor g = sample(out.sizes(), kFloat, seed + 1);
  ((out * g).sum() + std::get<0>(st).sum() * 2 + std::get<1>(st).sum()).backward();
  auto params = m->parameters();
  oracle::Inputs in = {{"x", x}, {"g", g}};
  for (size_t i = 0; i < params.size(); ++i) in.push_back({indexed("w", i), params[i].detach()});
  Config c{.hidden = 5, .layers = layers, .proj = 2, .batch_first = batch_first, .bidirectional = bidirectional};
  auto ref = oracle::run(load_module(py_rnn_ctor<nn::LSTM>(c), params.size(), kFloat) +
                             "o, (h, cc) = m(x)\n((o * g).sum() + h.sum() * 2 + cc.sum()).backward()\n"
                             "out = (o, h, cc, x.grad) + tuple(p.grad for p in m.parameters())",
                         in);
  ASSERT_TRUE(ref.ok) << ref.error;
  std::vector<Tensor> mine = {out, std::get<0>(st), std::get<1>(st), x.grad()};
  for (const Tensor& p : params) mine.push_back(p.grad());
  ASSERT_EQ(mine.size(), ref.outputs.size());
  for (size_t i = 0; i < mine.size(); ++i) EXPECT_TRUE(close(mine[i], ref.tensor(i))) << "result " << i;
}

}  // namespace

TEST(LstmProjection, PaddedMatchesTorch) {
  check_padded_projection(1, false, false, 20);
  check_padded_projection(2, true, true, 21);
}

TEST(LstmProjection, InitNamesReprAndErrorsAsTorch) {
  manual_seed(3);
  nn::LSTM m(nn::LSTMOptions(3, 4).proj_size(2).num_layers(2).bidirectional(true).bias(false));
  nabla::testing::expect_module_like_torch(
      *m, "torch.nn.LSTM(3, 4, proj_size=2, num_layers=2, bidirectional=True, bias=False)", 3);

  auto expect = [](const std::string& mine, const std::string& code) { EXPECT_EQ(mine, oracle::error_of(code)); };
  expect(error_message([] { nn::LSTM(nn::LSTMOptions(3, 4).proj_size(4)); }), "torch.nn.LSTM(3, 4, proj_size=4)");
  expect(error_message([] { nn::LSTM(nn::LSTMOptions(3, 4).proj_size(-1)); }), "torch.nn.LSTM(3, 4, proj_size=-1)");
  nn::LSTM p(nn::LSTMOptions(3, 4).proj_size(2));
  expect(error_message([&] {
           p(zeros({2, 1, 3}), std::make_tuple(zeros({1, 1, 4}), zeros({1, 1, 4})));
         }),
         "torch.nn.LSTM(3, 4, proj_size=2)(torch.zeros(2, 1, 3), (torch.zeros(1, 1, 4), torch.zeros(1, 1, 4)))");
  expect(error_message([&] {
           p(zeros({2, 1, 3}), std::make_tuple(zeros({1, 1, 2}), zeros({1, 1, 2})));
         }),
         "torch.nn.LSTM(3, 4, proj_size=2)(torch.zeros(2, 1, 3), (torch.zeros(1, 1, 2), torch.zeros(1, 1, 2)))");
  nn::LSTM l(4, 5);
  PackedSequence bad = pack_padded_sequence(zeros({3, 2, 3}), tensor({3, 2}));
  expect(error_message([&] { l->forward_with_packed_input(bad); }),
         "torch.nn.LSTM(4, 5)(torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(3, 2, 3), torch.tensor([3, 2])))");
  PackedSequence good = pack_padded_sequence(zeros({3, 2, 4}), tensor({3, 2}));
  expect(error_message([&] {
           l->forward_with_packed_input(good, std::make_tuple(zeros({1, 3, 5}), zeros({1, 3, 5})));
         }),
         "torch.nn.LSTM(4, 5)(torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(3, 2, 4), torch.tensor([3, 2])), "
         "(torch.zeros(1, 3, 5), torch.zeros(1, 3, 5)))");
}

TEST(PackedRnn, GradcheckFunctional) {
  auto p = [&](IntArrayRef s, int seed) { return (sample(s, kDouble, seed) * 0.4).detach().requires_grad_(); };
  const int64_t I = 2, H = 3, P = 2;
  const Tensor batch_sizes = tensor({3, 2, 2, 1});
  Tensor data = p({8, I}, 1);
  // Bidirectional LSTM with projections: per direction w_ih, w_hh, b_ih, b_hh, w_hr.
  std::vector<Tensor> lw = {p({4 * H, I}, 4), p({4 * H, P}, 5),  p({4 * H}, 6),  p({4 * H}, 7),  p({P, H}, 8),
                            p({4 * H, I}, 9), p({4 * H, P}, 10), p({4 * H}, 11), p({4 * H}, 12), p({P, H}, 13)};
  Tensor h0 = p({2, 3, P}, 2), c0 = p({2, 3, H}, 3);
  auto lstm_fn = [&](const autograd::variable_list& in) {
    std::vector<Tensor> params(in.begin() + 3, in.end());
    auto [o, hn, cn] = nabla::lstm(in[0], batch_sizes, {in[1], in[2]}, params, true, 1, 0, false, true);
    return autograd::variable_list{o, hn, cn};
  };
  autograd::variable_list lin = {data, h0, c0};
  lin.insert(lin.end(), lw.begin(), lw.end());
  EXPECT_TRUE(autograd::gradcheck(autograd::GradcheckFn(lstm_fn), lin));

  // Two-layer GRU on a non-contiguous input.
  Tensor data_t = p({I, 8}, 14).t();
  std::vector<Tensor> gw = {p({3 * H, I}, 15), p({3 * H, H}, 16), p({3 * H}, 17), p({3 * H}, 18),
                            p({3 * H, H}, 19), p({3 * H, H}, 20), p({3 * H}, 21), p({3 * H}, 22)};
  auto gru_fn = [&](const autograd::variable_list& in) {
    std::vector<Tensor> params(in.begin() + 2, in.end());
    auto [o, hn] = nabla::gru(in[0], batch_sizes, in[1], params, true, 2, 0, false, false);
    return autograd::variable_list{o, hn};
  };
  autograd::variable_list gin = {data_t, p({2, 3, H}, 23)};
  gin.insert(gin.end(), gw.begin(), gw.end());
  EXPECT_TRUE(autograd::gradcheck(autograd::GradcheckFn(gru_fn), gin));

  // Packing and unpacking themselves, on a non-contiguous padded batch.
  Tensor padded = p({3, 4, 2}, 24).transpose(0, 1);
  auto pack_fn = [&](const autograd::variable_list& in) {
    PackedSequence ps = pack_padded_sequence(in[0], tensor({2, 4, 1}), false, false);
    return std::get<0>(pad_packed_sequence(ps, true, 0.5, 5));
  };
  EXPECT_TRUE(autograd::gradcheck(pack_fn, {padded}));
}

TEST(PackedRnn, ErrorsOfTheFunctionalForms) {
  // ATen's packed recurrences trust their caller; nabla checks the packing (its own wording).
  std::vector<Tensor> w = {zeros({4, 2}), zeros({4, 4}), zeros({4}), zeros({4})};
  Tensor data = zeros({5, 2}), h = zeros({1, 3, 4});
  auto rnn = [&](const Tensor& d, const Tensor& bs, const Tensor& hx) {
    return error_message([&] { nabla::rnn_tanh(d, bs, hx, w, true, 1, 0, false, false); });
  };
  EXPECT_EQ(rnn(zeros({5, 1, 2}), tensor({3, 2}), h), "input must have 2 dimensions, got 3");
  EXPECT_EQ(rnn(data, tensor({{3, 2}}), h), "batch_sizes should be a 1D non-empty tensor, got 2D");
  EXPECT_EQ(rnn(data, tensor({2, 3}), h), "batch_sizes must be positive and non-increasing, got 3 at step 1");
  EXPECT_EQ(rnn(data, tensor({3, 0}), h), "batch_sizes must be positive and non-increasing, got 0 at step 1");
  EXPECT_EQ(rnn(data, tensor({3, 1}), h), "the batch sizes add up to 4 rows, but the packed data has 5");
  EXPECT_EQ(rnn(data, tensor({2, 2, 1}), h), "Expected hidden size (1, 2, 4), got [1, 3, 4]");
  EXPECT_EQ(error_message([&] {
              pad_packed_sequence(PackedSequence(zeros({0, 2}), zeros({0}, TensorOptions().dtype(kLong))));
            }),
            "pad_packed_sequence: the PackedSequence holds no steps");
  EXPECT_EQ(error_message([&] {
              invert_permutation(tensor({0, 2}));
            }),
            "invert_permutation: index 2 is out of range for a permutation of 2 elements");
}
