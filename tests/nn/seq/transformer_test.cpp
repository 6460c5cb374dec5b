// nn::TransformerEncoderLayer / nn::TransformerEncoder against torch.nn: initialisation bit for
// bit, names and repr; outputs and gradients (input and parameters) in eval and in train mode
// (dropout masks drawn as PyTorch's after manual_seed) with padding masks and causal masks,
// post-norm and pre-norm, relu/gelu, batch_first or not; generate_square_subsequent_mask;
// gradcheck; errors.
#include <nabla/nn/modules/transformer.h>

#include <sstream>
#include <string>
#include <vector>

#include "nn/seq/seq_testing.h"
#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::py_bool;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

struct Config {
  bool batch_first = false, norm_first = false, gelu = false, train = false;
  bool padding_mask = true, causal_mask = false, bool_causal = false;
  int64_t layers = 0;  // 0: a single TransformerEncoderLayer; n: a TransformerEncoder of n layers + LayerNorm
  ScalarType dtype = kFloat;
  int seed = 0;
};

nn::TransformerEncoderLayerOptions layer_options(const Config& c) {
  auto o = nn::TransformerEncoderLayerOptions(8, 2)
               .dim_feedforward(16)
               .dropout(0.25)
               .batch_first(c.batch_first)
               .norm_first(c.norm_first);
  if (c.gelu) o.activation(kGELU);
  return o;
}

std::string py_layer(const Config& c) {
  std::ostringstream s;
  s << "torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.25, batch_first=" << py_bool(c.batch_first)
    << ", norm_first=" << py_bool(c.norm_first) << ", activation=" << (c.gelu ? "'gelu'" : "'relu'") << ")";
  return s.str();
}

std::string py_model(const Config& c) {
  if (c.layers == 0) return py_layer(c);
  return "torch.nn.TransformerEncoder(" + py_layer(c) + ", " + std::to_string(c.layers) +
         ", norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)";
}

std::shared_ptr<nn::Module> make(const Config& c) {
  nn::TransformerEncoderLayer layer(layer_options(c));
  if (c.layers == 0) return layer.ptr();
  return nn::TransformerEncoder(nn::TransformerEncoderOptions(layer, c.layers)
                                    .norm(nn::AnyModule(nn::LayerNorm(nn::LayerNormOptions({8})))))
      .ptr();
}

Tensor run_forward(nn::Module& m, const Tensor& x, const Tensor& mask, const Tensor& padding) {
  if (auto* e = dynamic_cast<nn::TransformerEncoderImpl*>(&m)) return e->forward(x, mask, padding);
  return dynamic_cast<nn::TransformerEncoderLayerImpl&>(m).forward(x, mask, padding);
}

void check(const Config& c) {
  manual_seed(c.seed);
  auto m = make(c);
  m->to(c.dtype);
  m->train(c.train);
  const int64_t S = 5, B = 3;
  Tensor x = sample(c.batch_first ? DimVector{B, S, 8} : DimVector{S, B, 8}, c.dtype, c.seed).requires_grad_();
  Tensor padding = c.padding_mask ? tensor({{false, false, false, false, false},
                                            {false, false, false, true, true},
                                            {false, false, true, true, true}})
                                  : Tensor();
  Tensor mask;
  if (c.causal_mask)
    mask = c.bool_causal ? ones({S, S}, TensorOptions().dtype(kBool)).triu(1)
                         : nn::generate_square_subsequent_mask(S).to(c.dtype);
  manual_seed(100 + c.seed);
  Tensor y = run_forward(*m, x, mask, padding);
  Tensor g = sample(y.sizes(), c.dtype, 40 + c.seed);
  (y * g).sum().backward();
  auto params = m->parameters();
  oracle::Inputs in = {{"x", x}, {"g", g}};
  if (padding.defined()) in.push_back({"pad", padding});
  if (mask.defined()) in.push_back({"mask", mask});
  std::ostringstream py;
  py << "m = " << py_model(c) << ".to(" << (c.dtype == kDouble ? "torch.float64" : "torch.float32") << ")\n"
     << "m.train(" << py_bool(c.train) << ")\nws = [";
  for (size_t i = 0; i < params.size(); ++i) {
    py << (i ? ", " : "") << "w" << i;
    in.push_back({nabla::testing::indexed("w", i), params[i].detach()});
  }
  py << "]\nwith torch.no_grad():\n  for p, w in zip(m.parameters(), ws):\n    p.copy_(w)\n"
     << "torch.manual_seed(" << 100 + c.seed << ")\n"
     << "y = m(x, " << (mask.defined() ? "mask" : "None") << ", " << (padding.defined() ? "pad" : "None") << ")\n"
     << "(y * g).sum().backward()\nout = (y, x.grad) + tuple(p.grad for p in m.parameters())";
  auto ref = oracle::run(py.str(), in);
  ASSERT_TRUE(ref.ok) << ref.error;
  std::vector<Tensor> mine = {y, x.grad()};
  for (const Tensor& p : params) mine.push_back(p.grad());
  ASSERT_EQ(mine.size(), ref.outputs.size());
  for (size_t i = 0; i < mine.size(); ++i) {
    if (c.dtype == kFloat)
      EXPECT_TRUE(same(mine[i], ref.tensor(i), 1e-4, 1e-5)) << "result " << i;
    else
      EXPECT_TRUE(same(mine[i], ref.tensor(i), 1e-9, 1e-10)) << "result " << i;
  }
}

}  // namespace

TEST(TransformerEncoderLayer, EvalMatchesTorch) {
  check({});
  check({.batch_first = true, .gelu = true, .causal_mask = true, .seed = 1});
  check({.norm_first = true,
         .padding_mask = false,
         .causal_mask = true,
         .bool_causal = true,
         .dtype = kDouble,
         .seed = 2});
}

TEST(TransformerEncoderLayer, TrainDropoutMatchesTorchSeed) {
  check({.train = true, .seed = 3});
  check({.batch_first = true, .norm_first = true, .gelu = true, .train = true, .causal_mask = true, .seed = 4});
}

TEST(TransformerEncoder, MatchesTorch) {
  check({.layers = 2, .seed = 5});
  check({.batch_first = true, .train = true, .causal_mask = true, .layers = 3, .seed = 6});
  check({.norm_first = true, .gelu = true, .train = true, .layers = 2, .dtype = kDouble, .seed = 7});
}

TEST(TransformerEncoder, InitNamesAndReprAsTorch) {
  Config c{.batch_first = true, .layers = 2};
  manual_seed(11);
  auto m = make(c);
  nabla::testing::expect_module_like_torch(*m, py_model(c), 11);
}

TEST(TransformerEncoder, SquareSubsequentMaskAsTorch) {
  for (int64_t n : {0, 1, 4})
    EXPECT_SAME(nn::generate_square_subsequent_mask(n),
                oracle::eval("torch.nn.Transformer.generate_square_subsequent_mask(" + std::to_string(n) + ")"));
}

TEST(TransformerEncoder, Gradcheck) {
  auto layer = nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(4, 2).dim_feedforward(6).dropout(0));
  layer->to(kDouble);
  layer->eval();
  Tensor padding = tensor({{false, false, true}, {false, false, false}});
  Tensor mask = nn::generate_square_subsequent_mask(3).to(kDouble);
  // A non-contiguous input (S, N, E) made by transposing (N, S, E).
  Tensor x = (sample({2, 3, 4}, kDouble, 1) * 0.5).detach().transpose(0, 1).requires_grad_();
  auto fn = [&](const autograd::variable_list& in) { return layer(in[0], mask, padding); };
  EXPECT_TRUE(autograd::gradcheck(fn, {x}));
  // The mask broadcast over the batch as a float (N * nhead, S, S) tensor.
  Tensor mask3 = mask.unsqueeze(0).expand({4, 3, 3});
  auto fn3 = [&](const autograd::variable_list& in) { return layer(in[0], mask3, Tensor()); };
  EXPECT_TRUE(autograd::gradcheck(fn3, {x}));
}

TEST(TransformerEncoder, ErrorsAsTorch) {
  nn::TransformerEncoderLayer layer(nn::TransformerEncoderLayerOptions(8, 2).dim_feedforward(16));
  Tensor x = zeros({5, 3, 8});
  EXPECT_EQ(error_message([&] {
              layer(x, Tensor(), zeros({3, 5}, TensorOptions().dtype(kLong)));
            }),
            oracle::error_of("m = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)\n"
                             "m(torch.zeros(5, 3, 8), src_key_padding_mask=torch.zeros(3, 5, dtype=torch.int64))"));
  EXPECT_EQ(error_message([&] { nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(8, 3)); }),
            oracle::error_of("torch.nn.TransformerEncoderLayer(8, 3)"));
  EXPECT_EQ(error_message(
                [&] { nn::TransformerEncoderLayer(nn::TransformerEncoderLayerOptions(8, 2).activation(kTanh))(x); }),
            "activation should be relu/gelu, not tanh");
}

TEST(TransformerEncoder, NablaOwnErrors) {
  EXPECT_EQ(error_message([] { nn::generate_square_subsequent_mask(-1); }),
            "generate_square_subsequent_mask: expected a non-negative size, got -1");
  EXPECT_EQ(error_message([] { nn::TransformerEncoder(nn::TransformerEncoderLayer(nullptr), 2); }),
            "TransformerEncoder: the layer must be given");
}

namespace {

// TransformerDecoderLayer (layers == 0) or a TransformerDecoder of `layers` layers with a final
// LayerNorm against torch: causal target mask, target and memory padding masks.
void check_decoder(bool batch_first, bool norm_first, bool train, int64_t layers, int seed) {
  auto options = nn::TransformerDecoderLayerOptions(8, 2)
                     .dim_feedforward(16)
                     .dropout(0.25)
                     .batch_first(batch_first)
                     .norm_first(norm_first);
  const std::string py_layer =
      std::string("torch.nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.25, ") +
      "batch_first=" + py_bool(batch_first) + ", norm_first=" + py_bool(norm_first) + ")";
  manual_seed(seed);
  nn::TransformerDecoderLayer layer(options);
  std::shared_ptr<nn::Module> m = layer.ptr();
  nn::TransformerDecoder decoder = nullptr;
  if (layers > 0) {
    decoder = nn::TransformerDecoder(
        nn::TransformerDecoderOptions(layer, layers).norm(nn::AnyModule(nn::LayerNorm(nn::LayerNormOptions({8})))));
    m = decoder.ptr();
  }
  const std::string py_model = layers == 0 ? py_layer
                                           : "torch.nn.TransformerDecoder(" + py_layer + ", " + std::to_string(layers) +
                                                 ", norm=torch.nn.LayerNorm(8))";
  nabla::testing::expect_module_like_torch(*m, py_model, seed);
  m->train(train);
  const int64_t T = 4, S = 5, B = 2;
  Tensor tgt = sample(batch_first ? DimVector{B, T, 8} : DimVector{T, B, 8}, kFloat, seed).requires_grad_();
  Tensor memory = sample(batch_first ? DimVector{B, S, 8} : DimVector{S, B, 8}, kFloat, seed + 1).requires_grad_();
  Tensor tgt_mask = nn::generate_square_subsequent_mask(T);
  Tensor tgt_pad = tensor({{false, false, false, false}, {false, false, true, true}});
  Tensor mem_pad = tensor({{false, false, false, true, true}, {false, false, false, false, false}});
  manual_seed(100 + seed);
  Tensor y = layers == 0 ? layer(tgt, memory, tgt_mask, Tensor(), tgt_pad, mem_pad)
                         : decoder(tgt, memory, tgt_mask, Tensor(), tgt_pad, mem_pad);
  auto params = m->parameters();
  oracle::Inputs in = {{"tgt", tgt}, {"memory", memory}, {"tm", tgt_mask}, {"tp", tgt_pad}, {"mp", mem_pad}};
  std::vector<Tensor> mine = nabla::testing::backward_and_collect({y}, {tgt, memory}, params, 60 + seed, in);
  auto ref = oracle::run(nabla::testing::load_module(py_model, params.size(), kFloat) + "m.train(" + py_bool(train) +
                             ")\ntorch.manual_seed(" + std::to_string(100 + seed) +
                             ")\ny = m(tgt, memory, tm, None, tp, mp)\n(y * g0).sum().backward()\n"
                             "out = (y, tgt.grad, memory.grad) + tuple(p.grad for p in m.parameters())",
                         in);
  ASSERT_TRUE(ref.ok) << ref.error;
  ASSERT_EQ(mine.size(), ref.outputs.size());
  for (size_t i = 0; i < mine.size(); ++i) EXPECT_TRUE(same(mine[i], ref.tensor(i), 1e-4, 1e-5)) << "result " << i;
}

}  // namespace

TEST(TransformerDecoder, Gradcheck) {
  nn::TransformerDecoderLayer layer(
      nn::TransformerDecoderLayerOptions(4, 2).dim_feedforward(6).dropout(0).norm_first(true));
  layer->to(kDouble);
  Tensor tgt = (sample({2, 3, 4}, kDouble, 1) * 0.5).detach().transpose(0, 1).requires_grad_();  // non-contiguous
  Tensor memory = (sample({4, 2, 4}, kDouble, 2) * 0.5).detach().requires_grad_();
  Tensor mask = nn::generate_square_subsequent_mask(3).to(kDouble);
  Tensor mem_pad = tensor({{false, false, true, true}, {false, false, false, false}});
  auto fn = [&](const autograd::variable_list& in) { return layer(in[0], in[1], mask, Tensor(), Tensor(), mem_pad); };
  EXPECT_TRUE(autograd::gradcheck(fn, {tgt, memory}));
}

TEST(TransformerDecoder, MatchesTorch) {
  check_decoder(false, false, false, 0, 20);
  check_decoder(true, true, true, 0, 21);
  check_decoder(true, false, true, 2, 22);
  check_decoder(false, true, false, 2, 23);
}
