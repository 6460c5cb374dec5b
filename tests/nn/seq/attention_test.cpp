// scaled_dot_product_attention against the explicit formula in torch (python3-torch 1.13 has
// no SDPA), nn::MultiheadAttention against torch.nn.MultiheadAttention with the same weights:
// outputs, weights and gradients with padding and attention masks (bool and float), both
// layouts, kdim/vdim, bias_kv, zero_attn, unbatched, float32/float64; init parity, names,
// repr, errors; gradcheck/gradgradcheck.
#include <nabla/nn/functional/attention.h>
#include <nabla/nn/modules/attention.h>

#include <cmath>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;
namespace F = nabla::nn::functional;

namespace {

// "w3" for ("w", 3), built by appending (GCC's -Wrestrict misfires on "w" + to_string(i)).
std::string indexed(const char* prefix, size_t i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  if (!a.defined() || !e.defined()) return same(a, e);
  if (a.scalar_type() == kFloat) return same(a, e, 1e-4, 2e-5);
  return same(a, e, 1e-9, 1e-10);
}

const char* py_dtype(ScalarType t) { return t == kDouble ? "torch.float64" : "torch.float32"; }

// A boolean (L, S)-shaped pattern (broadcast to `shape`) with every row keeping column 0.
Tensor bool_pattern(IntArrayRef shape, int seed) {
  Tensor m = sample(shape, kFloat, seed) > 0.5;
  DimVector first(shape);
  first.back() = 1;
  return cat({zeros(first, kBool), m.narrow(-1, 1, shape.back() - 1)}, -1);
}

// ---- scaled_dot_product_attention ---------------------------------------------------------------

struct SdpaCase {
  std::vector<int64_t> q, k, v;
  std::string mask = {};  // "", "bool", "float"
  std::vector<int64_t> mask_shape = {};
  bool causal = false;
  std::optional<double> scale = {};
  ScalarType dtype = kFloat;
};

void check_sdpa(const SdpaCase& c, int seed) {
  Tensor q = sample(c.q, c.dtype, seed).requires_grad_();
  Tensor k = sample(c.k, c.dtype, seed + 1).requires_grad_();
  Tensor v = sample(c.v, c.dtype, seed + 2).requires_grad_();
  Tensor m;
  if (c.mask == "bool") m = bool_pattern(c.mask_shape, seed + 3);
  if (c.mask == "float") m = (sample(c.mask_shape, c.dtype, seed + 3) * 0.5).detach().requires_grad_();
  Tensor out = scaled_dot_product_attention(q, k, v, m, 0.0, c.causal, c.scale);
  Tensor g = sample(out.sizes(), c.dtype, seed + 4);
  (out * g).sum().backward();
  oracle::Inputs in = {{"q", q}, {"k", k}, {"v", v}, {"g", g}};
  if (m.defined()) in.push_back({"m", m});
  std::ostringstream py;
  py.precision(17);
  py << "s = " << (c.scale ? std::to_string(*c.scale) : "1 / math.sqrt(q.size(-1))") << "\n"
     << "sc = q @ k.transpose(-2, -1) * s\n";
  if (c.causal) py << "sc = sc.masked_fill(torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).triu(1), -math.inf)\n";
  if (c.mask == "bool") py << "sc = sc.masked_fill(~m, -math.inf)\n";
  if (c.mask == "float") py << "sc = sc + m\n";
  py << "o = torch.softmax(sc, -1) @ v\n(o * g).sum().backward()\n"
     << "out = (o, q.grad, k.grad, v.grad" << (c.mask == "float" ? ", m.grad" : "") << ")";
  auto ref = oracle::run(py.str(), in);
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_TRUE(close(out, ref.tensor(0)));
  EXPECT_TRUE(close(q.grad(), ref.tensor(1)));
  EXPECT_TRUE(close(k.grad(), ref.tensor(2)));
  EXPECT_TRUE(close(v.grad(), ref.tensor(3)));
  if (c.mask == "float") {
    EXPECT_TRUE(close(m.grad(), ref.tensor(4)));
  }
}

}  // namespace

TEST(Attention, SdpaMatchesFormula) {
  int seed = 0;
  for (ScalarType dt : {kFloat, kDouble}) {
    check_sdpa({.q = {2, 3, 4, 5}, .k = {2, 3, 6, 5}, .v = {2, 3, 6, 7}, .dtype = dt}, seed++);
    check_sdpa({.q = {4, 5}, .k = {6, 5}, .v = {6, 3}, .dtype = dt}, seed++);
    check_sdpa({.q = {2, 4, 5}, .k = {1, 6, 5}, .v = {1, 6, 3}, .dtype = dt}, seed++);  // broadcast batch
    check_sdpa({.q = {2, 3, 4, 5}, .k = {2, 3, 4, 5}, .v = {2, 3, 4, 5}, .causal = true, .dtype = dt}, seed++);
    check_sdpa({.q = {2, 5, 3}, .k = {2, 4, 3}, .v = {2, 4, 3}, .causal = true, .dtype = dt}, seed++);  // L > S
    check_sdpa(
        {.q = {2, 3, 4, 5}, .k = {2, 3, 6, 5}, .v = {2, 3, 6, 2}, .mask = "bool", .mask_shape = {4, 6}, .dtype = dt},
        seed++);
    check_sdpa({.q = {2, 3, 4, 5},
                .k = {2, 3, 6, 5},
                .v = {2, 3, 6, 2},
                .mask = "bool",
                .mask_shape = {2, 1, 4, 6},
                .dtype = dt},
               seed++);
    check_sdpa({.q = {2, 4, 5},
                .k = {2, 6, 5},
                .v = {2, 6, 2},
                .mask = "float",
                .mask_shape = {2, 4, 6},
                .scale = 0.7,
                .dtype = dt},
               seed++);
    check_sdpa({.q = {3, 4, 5}, .k = {3, 6, 5}, .v = {3, 6, 2}, .mask = "float", .mask_shape = {6}, .dtype = dt},
               seed++);
  }
}

TEST(Attention, SdpaNonContiguousAndGradcheck) {
  auto p = [](IntArrayRef s, int seed) { return (sample(s, kDouble, seed) * 0.5).detach().requires_grad_(); };
  Tensor q = p({2, 5, 3}, 1).transpose(-2, -1);  // (2, 3, 5), non-contiguous
  Tensor k = p({2, 4, 5}, 2), v = p({2, 2, 4}, 3).transpose(-2, -1);
  Tensor fm = p({3, 4}, 4);
  Tensor bm = bool_pattern({3, 4}, 5);
  auto f_float = [&](const autograd::variable_list& in) {
    return scaled_dot_product_attention(in[0], in[1], in[2], in[3]);
  };
  auto f_bool = [&](const autograd::variable_list& in) {
    return scaled_dot_product_attention(in[0], in[1], in[2], bm, 0.0, false, 0.3);
  };
  auto f_causal = [&](const autograd::variable_list& in) {
    return scaled_dot_product_attention(in[0], in[1], in[2], {}, 0.0, true);
  };
  using Fn = std::function<Tensor(const autograd::variable_list&)>;
  const std::vector<std::pair<Fn, autograd::variable_list>> cases = {
      {f_float, {q, k, v, fm}}, {f_bool, {q, k, v}}, {f_causal, {q, k, v}}};
  for (const auto& [f, in] : cases) {
    EXPECT_TRUE(autograd::gradcheck(f, in));
    EXPECT_TRUE(autograd::gradgradcheck(f, in));
  }
  // Matches the formula on the non-contiguous operands as well.
  Tensor out = scaled_dot_product_attention(q, k, v, fm);
  EXPECT_TRUE(close(out, oracle::eval("torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(5) + m, -1) @ v",
                                      {{"q", q}, {"k", k}, {"v", v}, {"m", fm}})));
}

TEST(Attention, SdpaDropoutMatchesTorchSeed) {
  Tensor q = sample({2, 4, 5}, kFloat, 1), k = sample({2, 6, 5}, kFloat, 2), v = sample({2, 6, 3}, kFloat, 3);
  manual_seed(11);
  Tensor out = F::scaled_dot_product_attention(q, k, v, F::ScaledDotProductAttentionFuncOptions().dropout_p(0.3));
  Tensor ref = oracle::eval(
      "(torch.manual_seed(11), torch.dropout(torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(5), -1), 0.3, True) @ "
      "v)[1]",
      {{"q", q}, {"k", k}, {"v", v}});
  EXPECT_TRUE(close(out, ref));
}

TEST(Attention, SdpaErrors) {
  Tensor q = zeros({2, 3, 4}), k = zeros({2, 5, 4});
  EXPECT_EQ(error_message([&] {
              scaled_dot_product_attention(q, k, k, ones({3, 5}, kBool), 0.0, true);
            }),
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  EXPECT_EQ(error_message([&] { scaled_dot_product_attention(zeros({4}), k, k); }),
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: 1 key.dim: 3 and "
            "value.dim: 3 instead.");
  EXPECT_EQ(error_message([&] { scaled_dot_product_attention(q, k.to(kDouble), k); }),
            "Expected query, key, and value to have the same dtype, but got query.dtype: float key.dtype: double and "
            "value.dtype: float instead.");
  EXPECT_EQ(error_message([&] {
              scaled_dot_product_attention(q, k, k, zeros({3, 5}, kLong));
            }),
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: long int "
            "and  query.dtype: float instead.");
}

// ---- MultiheadAttention -------------------------------------------------------------------------

namespace {

struct MhaConfig {
  int64_t E = 8, heads = 2;
  bool bias = true, add_bias_kv = false, add_zero_attn = false;
  int64_t kdim = 8, vdim = 8;
  bool batch_first = false;
  double dropout = 0;
};

struct MhaCall {
  int64_t L = 3, S = 4, N = 2;
  bool self_attn = false, unbatched = false;
  std::string kpm = {}, mask = {};  // kpm: "", "bool", "float"; mask: "", "bool2", "float2", "bool3", "float3"
  bool need_weights = true, average = true, train = false;
  ScalarType dtype = kFloat;
  int seed = 0;
};

nn::MultiheadAttention make_mha(const MhaConfig& c) {
  return nn::MultiheadAttention(nn::MultiheadAttentionOptions(c.E, c.heads)
                                    .bias(c.bias)
                                    .add_bias_kv(c.add_bias_kv)
                                    .add_zero_attn(c.add_zero_attn)
                                    .kdim(c.kdim)
                                    .vdim(c.vdim)
                                    .batch_first(c.batch_first)
                                    .dropout(c.dropout));
}

std::string py_mha(const MhaConfig& c) {
  auto b = [](bool x) { return x ? "True" : "False"; };
  std::ostringstream s;
  s << "torch.nn.MultiheadAttention(" << c.E << ", " << c.heads << ", dropout=" << c.dropout << ", bias=" << b(c.bias)
    << ", add_bias_kv=" << b(c.add_bias_kv) << ", add_zero_attn=" << b(c.add_zero_attn) << ", kdim=" << c.kdim
    << ", vdim=" << c.vdim << ", batch_first=" << b(c.batch_first) << ")";
  return s.str();
}

DimVector seq_shape(const MhaCall& k, bool batch_first, int64_t len, int64_t feat) {
  if (k.unbatched) return {len, feat};
  return batch_first ? DimVector{k.N, len, feat} : DimVector{len, k.N, feat};
}

void check_mha(const MhaConfig& c, const MhaCall& k) {
  manual_seed(k.seed);
  nn::MultiheadAttention m = make_mha(c);
  m->to(k.dtype);
  if (!k.train) m->eval();
  const int64_t S = k.self_attn ? k.L : k.S;
  Tensor q = sample(seq_shape(k, c.batch_first, k.L, c.E), k.dtype, k.seed).requires_grad_();
  Tensor key = k.self_attn ? q : sample(seq_shape(k, c.batch_first, S, c.kdim), k.dtype, k.seed + 1).requires_grad_();
  Tensor val = k.self_attn ? q : sample(seq_shape(k, c.batch_first, S, c.vdim), k.dtype, k.seed + 2).requires_grad_();
  Tensor kpm, am;
  DimVector kpm_shape = k.unbatched ? DimVector{S} : DimVector{k.N, S};
  if (k.kpm == "bool") kpm = bool_pattern(kpm_shape, k.seed + 3);
  if (k.kpm == "float")
    kpm = where(bool_pattern(kpm_shape, k.seed + 3), -INFINITY, 0.5 * sample(kpm_shape, k.dtype, 9));
  const int64_t B = k.unbatched ? c.heads : k.N * c.heads;
  if (k.mask == "bool2") am = bool_pattern({k.L, S}, k.seed + 4);
  if (k.mask == "bool3") am = bool_pattern({B, k.L, S}, k.seed + 4);
  if (k.mask == "float2") am = sample({k.L, S}, k.dtype, k.seed + 4) * 0.5;
  if (k.mask == "float3") am = sample({B, k.L, S}, k.dtype, k.seed + 4) * 0.5;

  manual_seed(1000 + k.seed);
  auto [out, w] = m(q, key, val, kpm, k.need_weights, am, k.average);
  Tensor g0 = sample(out.sizes(), k.dtype, 40);
  Tensor g1 = w.defined() ? sample(w.sizes(), k.dtype, 41) : zeros({});
  Tensor loss = (out * g0).sum();
  if (w.defined()) loss = loss + (w * g1).sum();
  loss.backward();

  auto params = m->parameters();
  oracle::Inputs in = {{"q", q}, {"k", key}, {"v", val}, {"g0", g0}, {"g1", g1}};
  if (kpm.defined()) in.push_back({"kpm", kpm});
  if (am.defined()) in.push_back({"am", am});
  std::ostringstream py;
  py << "m = " << py_mha(c) << ".to(" << py_dtype(k.dtype) << ")\nws = [";
  for (size_t i = 0; i < params.size(); ++i) {
    py << (i ? ", " : "") << "w" << i;
    in.push_back({indexed("w", i), params[i].detach()});
  }
  py << "]\nwith torch.no_grad():\n  for p, w in zip(m.parameters(), ws):\n    p.copy_(w)\n"
     << (k.train ? "m.train()\n" : "m.eval()\n") << (k.self_attn ? "k = v = q\n" : "") << "torch.manual_seed("
     << 1000 + k.seed << ")\n"
     << "o, w = m(q, k, v, key_padding_mask=" << (kpm.defined() ? "kpm" : "None")
     << ", need_weights=" << (k.need_weights ? "True" : "False") << ", attn_mask=" << (am.defined() ? "am" : "None")
     << ", average_attn_weights=" << (k.average ? "True" : "False") << ")\n"
     << "loss = (o * g0).sum() + ((w * g1).sum() if w is not None else 0)\nloss.backward()\n"
     << "out = (o, w, q.grad" << (k.self_attn ? "" : ", k.grad, v.grad") << ") + tuple(p.grad for p in m.parameters())";
  auto ref = oracle::run(py.str(), in);
  ASSERT_TRUE(ref.ok) << ref.error;
  std::vector<Tensor> mine = {out, w, q.grad()};
  if (!k.self_attn) {
    mine.push_back(key.grad());
    mine.push_back(val.grad());
  }
  for (const auto& p : params) mine.push_back(p.grad());
  ASSERT_EQ(mine.size(), ref.outputs.size());
  for (size_t i = 0; i < mine.size(); ++i) EXPECT_TRUE(close(mine[i], ref.outputs[i])) << "result " << i;
}

}  // namespace

TEST(Attention, MhaMatchesTorch) {
  check_mha({}, {});
  check_mha({}, {.self_attn = true, .dtype = kDouble, .seed = 1});
  check_mha({.batch_first = true}, {.L = 4, .S = 5, .N = 3, .seed = 2});
  check_mha({.batch_first = true}, {.self_attn = true, .seed = 3});
  check_mha({.E = 12, .heads = 3, .kdim = 5, .vdim = 7}, {.dtype = kDouble, .seed = 4});
  check_mha({.E = 6, .heads = 1, .bias = false, .kdim = 6, .vdim = 6}, {.seed = 5});
  check_mha({.add_bias_kv = true}, {.kpm = "bool", .mask = "bool2", .seed = 6});
  check_mha({.add_zero_attn = true}, {.kpm = "bool", .mask = "float3", .seed = 7});
  check_mha({.add_bias_kv = true, .add_zero_attn = true, .kdim = 3, .vdim = 5}, {.dtype = kDouble, .seed = 8});
}

TEST(Attention, MhaMasksMatchTorch) {
  check_mha({}, {.kpm = "bool", .seed = 10});
  check_mha({}, {.kpm = "float", .dtype = kDouble, .seed = 11});
  check_mha({}, {.mask = "bool2", .seed = 12});
  check_mha({}, {.mask = "float2", .seed = 13});
  check_mha({}, {.mask = "bool3", .dtype = kDouble, .seed = 14});
  check_mha({}, {.mask = "float3", .seed = 15});
  check_mha({.batch_first = true}, {.kpm = "bool", .mask = "bool2", .seed = 16});
  check_mha({.batch_first = true}, {.kpm = "bool", .mask = "float2", .dtype = kDouble, .seed = 17});
}

TEST(Attention, MhaWeightsOptionsAndUnbatched) {
  check_mha({}, {.need_weights = false, .seed = 20});
  check_mha({}, {.average = false, .seed = 21});
  check_mha({.batch_first = true}, {.kpm = "bool", .average = false, .dtype = kDouble, .seed = 22});
  check_mha({}, {.unbatched = true, .seed = 23});
  check_mha({.batch_first = true}, {.self_attn = true, .unbatched = true, .kpm = "bool", .mask = "bool3", .seed = 24});
  check_mha({.kdim = 3, .vdim = 5}, {.unbatched = true, .mask = "float2", .seed = 25});
}

TEST(Attention, MhaTrainModeDropoutMatchesTorchSeed) {
  check_mha({.dropout = 0.3}, {.train = true, .seed = 30});
  check_mha({.batch_first = true, .dropout = 0.5}, {.self_attn = true, .kpm = "bool", .train = true, .seed = 31});
}

TEST(Attention, MhaInitMatchesTorchBitForBit) {
  for (const MhaConfig& c : {MhaConfig{}, MhaConfig{.E = 12, .heads = 4, .bias = false},
                             MhaConfig{.E = 6, .heads = 2, .add_bias_kv = true, .kdim = 3, .vdim = 4}}) {
    manual_seed(5);
    auto params = make_mha(c)->parameters();
    auto ref = oracle::run("torch.manual_seed(5)\nout = tuple(" + py_mha(c) + ".parameters())");
    ASSERT_EQ(params.size(), ref.outputs.size());
    for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(same(params[i], ref.tensor(i), 0, 0)) << i;
  }
}

TEST(Attention, MhaNamesAndReprAsTorch) {
  for (const MhaConfig& c : {MhaConfig{}, MhaConfig{.bias = false, .add_bias_kv = true, .kdim = 3, .vdim = 4}}) {
    auto m = make_mha(c);
    std::string names;
    for (const auto& p : m->named_parameters()) names += p.key() + " ";
    EXPECT_EQ(names,
              oracle::run("out = ''.join(n + ' ' for n, _ in " + py_mha(c) + ".named_parameters())").strings.at(0));
    std::ostringstream s;
    s << m;
    EXPECT_EQ(s.str(), oracle::run("out = repr(" + py_mha(c) + ")").strings.at(0));
    // A clone prints the same.
    std::ostringstream s2;
    s2 << *m->clone();
    EXPECT_EQ(s2.str(), s.str());
  }
}

TEST(Attention, MhaGradFnAndStateDictAsTorch) {
  auto py = [](const std::string& code) { return oracle::run(code).strings.at(0); };
  Tensor x = sample({3, 2, 8});
  for (bool bf : {false, true}) {
    auto m = make_mha({.batch_first = bf});
    const std::string mod = py_mha({.batch_first = bf});
    auto [o, w] = m(x, x, x);
    auto [o2, w2] = m(x, x, x, Tensor(), true, Tensor(), false);
    EXPECT_EQ(o.grad_fn()->name(),
              py("x = torch.randn(3, 2, 8)\nout = type(" + mod + "(x, x, x)[0].grad_fn).__name__"));
    EXPECT_EQ(w.grad_fn()->name(),
              py("x = torch.randn(3, 2, 8)\nout = type(" + mod + "(x, x, x)[1].grad_fn).__name__"));
    EXPECT_EQ(w2.grad_fn()->name(), py("x = torch.randn(3, 2, 8)\nout = type(" + mod +
                                       "(x, x, x, average_attn_weights=False)[1].grad_fn).__name__"));
  }
  for (const MhaConfig& c : {MhaConfig{}, MhaConfig{.bias = false, .kdim = 3, .vdim = 3}}) {
    std::string keys;
    for (const auto& kv : make_mha(c)->state_dict()) keys += kv.key() + " ";
    EXPECT_EQ(keys, py("out = ''.join(k + ' ' for k in " + py_mha(c) + ".state_dict())"));
  }
}

TEST(Attention, MhaErrorsAsTorch) {
  auto expect = [](const std::string& mine, const std::string& code) { EXPECT_EQ(mine, oracle::error_of(code)); };
  expect(error_message([] { nn::MultiheadAttention(8, 3); }), "torch.nn.MultiheadAttention(8, 3)");
  nn::MultiheadAttention m(8, 2);
  nn::MultiheadAttention sep(nn::MultiheadAttentionOptions(8, 2).kdim(3).vdim(4));
  const std::string mha = "torch.nn.MultiheadAttention(8, 2)";
  const std::string msep = "torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=4)";
  auto z = [](IntArrayRef s) { return zeros(s); };
  auto zs = [](const char* s) { return std::string("torch.zeros(") + s + ")"; };
  auto call = [&](const std::string& mod, const std::string& args) { return mod + "(" + args + ")"; };
  expect(error_message([&] {
           m(z({3, 2, 8}), z({4, 8}), z({4, 8}));
         }),
         call(mha, zs("3, 2, 8") + ", " + zs("4, 8") + ", " + zs("4, 8")));
  expect(error_message([&] {
           m(z({3, 8}), z({4, 2, 8}), z({4, 2, 8}));
         }),
         call(mha, zs("3, 8") + ", " + zs("4, 2, 8") + ", " + zs("4, 2, 8")));
  expect(error_message([&] {
           m(z({1, 3, 2, 8}), z({4, 2, 8}), z({4, 2, 8}));
         }),
         call(mha, zs("1, 3, 2, 8") + ", " + zs("4, 2, 8") + ", " + zs("4, 2, 8")));
  expect(error_message([&] {
           m(z({3, 2, 6}), z({4, 2, 6}), z({4, 2, 6}));
         }),
         call(mha, zs("3, 2, 6") + ", " + zs("4, 2, 6") + ", " + zs("4, 2, 6")));
  expect(error_message([&] {
           m(z({3, 2, 8}), z({4, 2, 8}), z({5, 2, 8}));
         }),
         call(mha, zs("3, 2, 8") + ", " + zs("4, 2, 8") + ", " + zs("5, 2, 8")));
  expect(error_message([&] {
           sep(z({3, 2, 8}), z({4, 2, 3}), z({5, 2, 4}));
         }),
         call(msep, zs("3, 2, 8") + ", " + zs("4, 2, 3") + ", " + zs("5, 2, 4")));
  const std::string qkv = zs("3, 2, 8") + ", " + zs("4, 2, 8") + ", " + zs("4, 2, 8");
  expect(error_message([&] {
           m(z({3, 2, 8}), z({4, 2, 8}), z({4, 2, 8}), z({2, 5}).to(kBool));
         }),
         call(mha, qkv + ", key_padding_mask=" + zs("2, 5, dtype=torch.bool")));
  expect(error_message([&] {
           m(z({3, 2, 8}), z({4, 2, 8}), z({4, 2, 8}), z({2, 4}).to(kLong));
         }),
         call(mha, qkv + ", key_padding_mask=" + zs("2, 4, dtype=torch.long")));
  expect(error_message([&] {
           m(z({3, 2, 8}), z({4, 2, 8}), z({4, 2, 8}), Tensor(), true, z({3, 5}));
         }),
         call(mha, qkv + ", attn_mask=" + zs("3, 5")));
  expect(error_message([&] {
           m(z({3, 2, 8}), z({4, 2, 8}), z({4, 2, 8}), Tensor(), true, z({2, 3, 4}));
         }),
         call(mha, qkv + ", attn_mask=" + zs("2, 3, 4")));
  expect(error_message([&] {
           m(z({3, 2, 8}), z({4, 2, 8}), z({4, 2, 8}), Tensor(), true, z({3, 4}).to(kLong));
         }),
         call(mha, qkv + ", attn_mask=" + zs("3, 4, dtype=torch.long")));
  expect(error_message([&] {
           m(z({3, 2, 8}), z({4, 2, 8}), z({4, 2, 8}), z({2, 4, 1}).to(kBool));
         }),
         call(mha, qkv + ", key_padding_mask=" + zs("2, 4, 1, dtype=torch.bool")));
  expect(error_message([&] {
           m(z({3, 8}), z({4, 8}), z({4, 8}), Tensor(), true, z({3, 3, 4}));
         }),
         call(mha, zs("3, 8") + ", " + zs("4, 8") + ", " + zs("4, 8") + ", attn_mask=" + zs("3, 3, 4")));
}

TEST(Attention, MhaFunctionalGradcheck) {
  auto p = [](IntArrayRef s, int seed) { return (sample(s, kDouble, seed) * 0.5).detach().requires_grad_(); };
  const int64_t E = 4, L = 2, S = 3, N = 2;
  Tensor q = p({L, N, E}, 1), k = p({S, N, E}, 2), v = p({N, S, E}, 3).transpose(0, 1);
  Tensor w_in = p({3 * E, E}, 4), b_in = p({3 * E}, 5), w_out = p({E, E}, 6), b_out = p({E}, 7);
  Tensor kpm = bool_pattern({N, S}, 8);
  auto f = [&](const autograd::variable_list& in) {
    auto [o, w] = F::multi_head_attention_forward(
        in[0], in[1], in[2],
        F::MultiheadAttentionForwardFuncOptions(E, 2, in[3], in[4], {}, {}, false, 0.0, in[5], in[6])
            .key_padding_mask(kpm));
    return autograd::variable_list{o, w};
  };
  autograd::variable_list in = {q, k, v, w_in, b_in, w_out, b_out};
  EXPECT_TRUE(autograd::gradcheck(autograd::GradcheckFn(f), in));
  EXPECT_TRUE(autograd::gradgradcheck(autograd::GradcheckFn(f), in));
}
