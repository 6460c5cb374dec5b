// Comparisons, logical and bitwise ops, where, masked_fill, clamp, maximum/minimum against
// PyTorch: dtypes and promotion, broadcasting, non-contiguous inputs, errors, gradients.
#include "ops/elementwise_parity.h"

using namespace nabla;
using nabla::testing::all_dtypes;
using nabla::testing::error_message;
using nabla::testing::grad_parity;
using nabla::testing::parity;
using nabla::testing::sample;
using nabla::testing::torch_grad_fn;

namespace {
using Binary = Tensor (*)(const Tensor&, const Tensor&);
using BinaryScalar = Tensor (*)(const Tensor&, const Scalar&);

struct Comparison {
  std::string name, sym;
  Binary fn;
  BinaryScalar fn_scalar;
  Tensor (*op)(const Tensor&, const Tensor&);
};

const std::vector<Comparison>& comparisons() {
  static const std::vector<Comparison> c{
      {"eq", "==", eq, eq, operator==}, {"ne", "!=", ne, ne, operator!=}, {"lt", "<", lt, lt, operator<},
      {"le", "<=", le, le, operator<=}, {"gt", ">", gt, gt, operator>},   {"ge", ">=", ge, ge, operator>=},
  };
  return c;
}
}  // namespace

TEST(Compare, AllDtypePairsWithBroadcast) {
  for (const auto& c : comparisons())
    for (ScalarType da : all_dtypes())
      for (ScalarType db : all_dtypes()) {
        Tensor a = sample({2, 1, 4}, da, 1);
        Tensor b = sample({3, 1}, db, 2);
        EXPECT_TRUE(parity([&] { return c.fn(a, b); }, "torch." + c.name + "(a, b)", {{"a", a}, {"b", b}}))
            << c.name << " " << da << " " << db;
        EXPECT_TRUE(parity([&] { return c.op(a, b); }, "a " + c.sym + " b", {{"a", a}, {"b", b}})) << c.name;
      }
}

TEST(Compare, ScalarsNonContiguousAndEdgeShapes) {
  for (const auto& c : comparisons())
    for (ScalarType dt : all_dtypes()) {
      Tensor a = sample({3, 4}, dt, 3);
      for (auto [s, str] : std::vector<std::pair<Scalar, std::string>>{{1, "1"}, {0.5, "0.5"}, {true, "True"}}) {
        EXPECT_TRUE(parity([&, &s = s] { return c.fn_scalar(a.t(), s); }, "torch." + c.name + "(a.t(), " + str + ")", {{"a", a}}))
            << c.name << " " << dt << " " << str;
      }
      Tensor z = sample({}, dt, 4);
      EXPECT_TRUE(parity([&] { return c.fn(a, z); }, "torch." + c.name + "(a, z)", {{"a", a}, {"z", z}}));
      Tensor e = empty({0, 4}, dt);
      EXPECT_TRUE(parity([&] { return c.fn(e, a.slice(0, 0, 1)); }, "torch." + c.name + "(e, a[0:1])", {{"e", e}, {"a", a}}));
    }
  Tensor nan = tensor({1.0, static_cast<double>(NAN), 2.0});
  Tensor other = tensor({1.0, static_cast<double>(NAN), 3.0});
  for (const auto& c : comparisons())
    EXPECT_TRUE(parity([&] { return c.fn(nan, other); }, "torch." + c.name + "(a, b)", {{"a", nan}, {"b", other}}));
  Tensor a = sample({2, 3}, kFloat, 5);
  EXPECT_TRUE(parity([&] { return a < sample({4}, kFloat, 6); }, "a < b", {{"a", a}, {"b", sample({4}, kFloat, 6)}}));
}

TEST(Compare, ResultsDoNotRequireGrad) {
  Tensor a = sample({3}, kDouble, 7).requires_grad_();
  Tensor r = a > 0;
  EXPECT_FALSE(r.requires_grad());
  EXPECT_EQ(r.grad_fn(), nullptr);
  EXPECT_EQ(r.scalar_type(), kBool);
}

TEST(Logical, AllDtypePairs) {
  const std::vector<std::pair<std::string, Binary>> ops{
      {"torch.logical_and(a, b)", logical_and}, {"torch.logical_or(a, b)", logical_or},
      {"torch.logical_xor(a, b)", logical_xor}, {"a & b", operator&}, {"a | b", operator|}, {"a ^ b", operator^}};
  for (const auto& [expr, fn] : ops)
    for (ScalarType da : all_dtypes())
      for (ScalarType db : all_dtypes()) {
        Tensor a = sample({2, 3}, da, 8);
        Tensor b = sample({3, 1}, db, 9);
        EXPECT_TRUE(parity([&, fn = fn] { return fn(a.t(), b); }, "(lambda a, b: " + expr + ")(a.t(), b)",
                           {{"a", a}, {"b", b}}))
            << expr << " " << da << " " << db;
      }
  for (ScalarType dt : all_dtypes()) {
    Tensor a = sample({2, 3}, dt, 10);
    EXPECT_TRUE(parity([&] { return logical_not(a.t()); }, "torch.logical_not(a.t())", {{"a", a}})) << dt;
    EXPECT_TRUE(parity([&] { return a.logical_not(); }, "a.logical_not()", {{"a", a}})) << dt;
    EXPECT_TRUE(parity([&] { return ~a; }, "torch.bitwise_not(a)", {{"a", a}})) << dt;
  }
  Tensor n = tensor({-7, 0, 127}, kLong);
  EXPECT_TRUE(parity([&] { return ~n.to(kByte); }, "~n.to(torch.uint8)", {{"n", n}}));
}

// ---- where / masked_fill ------------------------------------------------------------------

TEST(Where, DtypesBroadcastAndScalars) {
  Tensor cond = sample({2, 1, 3}, kBool, 11);
  for (ScalarType da : all_dtypes())
    for (ScalarType db : all_dtypes()) {
      Tensor a = sample({4, 1}, da, 12), b = sample({3}, db, 13);
      EXPECT_TRUE(parity([&] { return where(cond, a, b); }, "torch.where(c, a, b)", {{"c", cond}, {"a", a}, {"b", b}}))
          << da << " " << db;
    }
  for (ScalarType dt : all_dtypes()) {
    Tensor a = sample({3, 2}, dt, 14);
    oracle::Inputs in{{"c", cond}, {"a", a}};
    EXPECT_TRUE(parity([&] { return where(cond, a.t(), 2.5); }, "torch.where(c, a.t(), 2.5)", in)) << dt;
    EXPECT_TRUE(parity([&] { return where(cond, 2, a.t()); }, "torch.where(c, 2, a.t())", in)) << dt;
    EXPECT_TRUE(parity([&] { return where(cond, true, a.t()); }, "torch.where(c, True, a.t())", in)) << dt;
    EXPECT_TRUE(parity([&] { return a.t().where(cond, a.t() * 2); }, "a.t().where(c, a.t() * 2)", in)) << dt;
    Tensor bad = sample({3}, dt, 15);
    EXPECT_TRUE(parity([&] { return where(bad, a.t(), a.t()); }, "torch.where(b, a.t(), a.t())",
                       {{"b", bad}, {"a", a}}))
        << dt;
  }
  EXPECT_TRUE(parity([&] { return where(cond, 1, 2); }, "torch.where(c, 1, 2)", {{"c", cond}}));
  EXPECT_TRUE(parity([&] { return where(cond, 1, 2.5); }, "torch.where(c, 1, 2.5)", {{"c", cond}}));
  EXPECT_TRUE(parity([&] { return where(cond, true, false); }, "torch.where(c, True, False)", {{"c", cond}}));
  EXPECT_TRUE(parity([&] { return where(cond, 1, false); }, "torch.where(c, 1, False)", {{"c", cond}}));
  Tensor e = empty({0, 3}, kFloat);
  EXPECT_TRUE(parity([&] { return where(e > 0, e, 1.0); }, "torch.where(e > 0, e, 1.0)", {{"e", e}}));
  Tensor a = sample({2, 3}, kFloat, 16), b = sample({4}, kFloat, 17);
  EXPECT_TRUE(parity([&] { return where(a > 0, a, b); }, "torch.where(a > 0, a, b)", {{"a", a}, {"b", b}}));
}

TEST(Where, Gradients) {
  Tensor cond = sample({2, 1, 3}, kBool, 18);
  Tensor a = sample({4, 1}, kDouble, 19).requires_grad_();
  Tensor b = sample({3, 4}, kDouble, 20).requires_grad_();
  auto fn = [&](const autograd::variable_list& in) { return autograd::variable_list{where(cond, in[0], in[1].t())}; };
  EXPECT_TRUE(autograd::gradcheck(fn, {a, b}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {a, b}));
  EXPECT_TRUE(grad_parity([&](const std::vector<Tensor>& in) { return where(cond, in[0], in[1].t()); },
                          "torch.where(c, a, b.t())", {{"a", a}, {"b", b}, {"c", cond}}));
  Tensor x = sample({3}, kDouble, 21).requires_grad_();
  EXPECT_EQ(where(x > 0, x, 0).grad_fn()->name(), torch_grad_fn("torch.where(x > 0, x, 0.)", {{"x", x}}));
  EXPECT_EQ(where(x > 0, 1.0, x).grad_fn()->name(), torch_grad_fn("torch.where(x > 0, 1., x)", {{"x", x}}));
}

TEST(MaskedFill, ValuesDtypesAndErrors) {
  for (ScalarType dt : all_dtypes()) {
    Tensor t = sample({3, 4}, dt, 22);
    Tensor m = sample({4}, kBool, 23);
    oracle::Inputs in{{"t", t}, {"m", m}};
    EXPECT_TRUE(parity([&] { return t.masked_fill(m, 2.5); }, "t.masked_fill(m, 2.5)", in)) << dt;
    EXPECT_TRUE(parity([&] { return t.t().masked_fill(m.unsqueeze(1), -1); }, "t.t().masked_fill(m.unsqueeze(1), -1)", in))
        << dt;
    EXPECT_TRUE(parity([&] { return masked_fill(t, m, tensor(3.5)); }, "t.masked_fill(m, torch.tensor(3.5))", in)) << dt;
    EXPECT_TRUE(parity([&] { return t.clone().masked_fill_(m, 1); }, "t.clone().masked_fill_(m, 1)", in)) << dt;
    EXPECT_TRUE(parity([&] { return t.clone().masked_fill_(m, tensor(7)); }, "t.clone().masked_fill_(m, torch.tensor(7))", in))
        << dt;
    Tensor small = sample({4}, dt, 24), big_mask = sample({3, 4}, kBool, 25);
    EXPECT_TRUE(parity([&] { return small.masked_fill(big_mask, 1); }, "s.masked_fill(m, 1)", {{"s", small}, {"m", big_mask}}));
    EXPECT_TRUE(parity([&] { return small.clone().masked_fill_(big_mask, 1); }, "s.clone().masked_fill_(m, 1)",
                       {{"s", small}, {"m", big_mask}}));
  }
  Tensor t = sample({3}, kFloat, 26);
  Tensor m01 = tensor({0, 1, 1}, kLong), m2 = tensor({0, 2, 1}, kLong);
  EXPECT_TRUE(parity([&] { return t.masked_fill(m01, 5); }, "t.masked_fill(m, 5)", {{"t", t}, {"m", m01}}));
  EXPECT_TRUE(parity([&] { return t.masked_fill(m2, 5); }, "t.masked_fill(m, 5)", {{"t", t}, {"m", m2}}));
  EXPECT_TRUE(parity([&] { return t.masked_fill(m01 > 0, tensor({1.0, 2.0, 3.0})); },
                     "t.masked_fill(m > 0, torch.tensor([1., 2., 3.]))", {{"t", t}, {"m", m01}}));
  std::string warned;
  auto prev = set_warning_handler([&](const std::string& w) { warned = w; });
  Tensor r = t.masked_fill(m01.to(kByte), 5);
  set_warning_handler(prev);
  EXPECT_NE(warned.find("masked_fill_ received a mask with dtype torch.uint8"), std::string::npos) << warned;
  EXPECT_TRUE(parity([&] { return r; }, "t.masked_fill(m.bool(), 5)", {{"t", t}, {"m", m01}}));
  // A floating mask is refused (PyTorch 1.13 silently fills nothing, pytorch/pytorch#85063;
  // later versions refuse it with this message).
  EXPECT_EQ(error_message([&] { (void)t.masked_fill(m01.to(kFloat), 5); }),
            "masked_fill_ only supports boolean masks, but got mask with dtype float");
  EXPECT_EQ(error_message([&] { (void)t.clone().masked_fill_(m01.to(kDouble), tensor(1.0)); }),
            "masked_fill_ only supports boolean masks, but got mask with dtype double");
}

TEST(MaskedFill, Gradients) {
  Tensor m = sample({3, 1}, kBool, 27);
  Tensor t = sample({4, 3}, kDouble, 28).requires_grad_();
  Tensor v = tensor(1.5, kDouble).requires_grad_();
  auto fs = [&](const autograd::variable_list& in) { return autograd::variable_list{in[0].t().masked_fill(m, 2.0)}; };
  EXPECT_TRUE(autograd::gradcheck(fs, {t}));
  EXPECT_TRUE(autograd::gradgradcheck(fs, {t}));
  auto ft = [&](const autograd::variable_list& in) { return autograd::variable_list{in[0].t().masked_fill(m, in[1])}; };
  EXPECT_TRUE(autograd::gradcheck(ft, {t, v}));
  EXPECT_TRUE(autograd::gradgradcheck(ft, {t, v}));
  EXPECT_TRUE(grad_parity([&](const std::vector<Tensor>& in) { return in[0].t().masked_fill(m, in[1]); },
                          "t.t().masked_fill(m, v)", {{"t", t}, {"v", v}, {"m", m}}));
  EXPECT_EQ(t.masked_fill(m.t(), 1.0).grad_fn()->name(), torch_grad_fn("t.masked_fill(m.t(), 1.0)", {{"t", t}, {"m", m}}));
  EXPECT_EQ(t.masked_fill(m.t(), v).grad_fn()->name(),
            torch_grad_fn("t.masked_fill(m.t(), v)", {{"t", t}, {"m", m}, {"v", v}}));
  Tensor y = t * 1;
  y.masked_fill_(m.t(), 0.5);
  EXPECT_EQ(y.grad_fn()->name(), torch_grad_fn("(t * 1).masked_fill_(m.t(), 0.5)", {{"t", t}, {"m", m}}));
}

// ---- clamp / maximum / minimum --------------------------------------------------------------

TEST(Clamp, ScalarBoundsEveryDtype) {
  using Opt = std::optional<Scalar>;
  const std::vector<std::tuple<Opt, Opt, std::string>> bounds{
      {Opt(-1), Opt(2), "-1, 2"}, {Opt(0.5), Opt(), "0.5, None"}, {Opt(), Opt(1), "None, 1"},
      {Opt(3), Opt(-3), "3, -3"}, {Opt(), Opt(1.5), "None, 1.5"}, {Opt(false), Opt(true), "False, True"},
      {Opt(), Opt(), "None, None"}};
  for (ScalarType dt : all_dtypes())
    for (const auto& [lo, hi, s] : bounds) {
      Tensor x = sample({3, 4}, dt, 29);
      oracle::Inputs in{{"x", x}};
      EXPECT_TRUE(parity([&, &lo = lo, &hi = hi] { return x.t().clamp(lo, hi); }, "x.t().clamp(" + s + ")", in)) << dt << " " << s;
      EXPECT_TRUE(parity([&, &lo = lo, &hi = hi] { return x.clone().clamp_(lo, hi); }, "x.clone().clamp_(" + s + ")", in)) << dt << " " << s;
    }
  for (ScalarType dt : all_dtypes()) {
    Tensor x = sample({3, 4}, dt, 30);
    oracle::Inputs in{{"x", x}};
    EXPECT_TRUE(parity([&] { return x.clamp_min(1); }, "x.clamp_min(1)", in)) << dt;
    EXPECT_TRUE(parity([&] { return x.clamp_max(0.5); }, "x.clamp_max(0.5)", in)) << dt;
    EXPECT_TRUE(parity([&] { return clamp_min(x.t(), 0.5); }, "torch.clamp_min(x.t(), 0.5)", in)) << dt;
    EXPECT_TRUE(parity([&] { return x.clone().clamp_min_(1); }, "x.clone().clamp_min_(1)", in)) << dt;
    EXPECT_TRUE(parity([&] { return x.clone().clamp_max_(0.5); }, "x.clone().clamp_max_(0.5)", in)) << dt;
  }
  Tensor special = tensor({static_cast<double>(NAN), 5.0, -5.0, static_cast<double>(INFINITY)});
  EXPECT_TRUE(parity([&] { return special.clamp(-1, 1); }, "s.clamp(-1, 1)", {{"s", special}}));
  Tensor e = empty({0}, kFloat), z = tensor(3.0);
  EXPECT_TRUE(parity([&] { return e.clamp(0, 1); }, "e.clamp(0, 1)", {{"e", e}}));
  EXPECT_TRUE(parity([&] { return z.clamp(0, 1); }, "z.clamp(0, 1)", {{"z", z}}));
}

TEST(Clamp, TensorBounds) {
  for (ScalarType dt : all_dtypes())
    for (ScalarType db : {kFloat, kLong, kBool}) {
      Tensor x = sample({3, 4}, dt, 31), lo = sample({4}, db, 32), hi = sample({3, 1}, db, 33) + 1;
      oracle::Inputs in{{"x", x}, {"lo", lo}, {"hi", hi}};
      EXPECT_TRUE(parity([&] { return x.clamp(lo, hi); }, "x.clamp(lo, hi)", in)) << dt << " " << db;
      EXPECT_TRUE(parity([&] { return x.clamp(lo); }, "x.clamp(lo)", in)) << dt << " " << db;
      EXPECT_TRUE(parity([&] { return x.clamp(std::nullopt, hi); }, "x.clamp(None, hi)", in)) << dt << " " << db;
      EXPECT_TRUE(parity([&] { return clamp(x, std::optional<Tensor>(), std::optional<Tensor>()); },
                         "torch.clamp(x, None, None)", in));
    }
  Tensor nan = tensor({1.0, static_cast<double>(NAN), 3.0}), b = tensor({static_cast<double>(NAN), 0.0, 2.0});
  EXPECT_TRUE(parity([&] { return nan.clamp(b, std::nullopt); }, "a.clamp(b)", {{"a", nan}, {"b", b}}));
  EXPECT_TRUE(parity([&] { return nan.clamp(std::nullopt, b); }, "a.clamp(None, b)", {{"a", nan}, {"b", b}}));
  Tensor x = sample({3}, kFloat, 34);
  EXPECT_TRUE(parity([&] { return x.clamp(sample({2}, kFloat, 35)); }, "x.clamp(y)", {{"x", x}, {"y", sample({2}, kFloat, 35)}}));
}

TEST(Clamp, GradientsAndNames) {
  // Values include exact ties with the bounds: the gradient passes at min and max inclusively.
  Tensor x = tensor({{-2.0, -1.0, 0.0, 0.5}, {1.0, 2.0, 0.25, -0.5}}, kDouble).requires_grad_();
  EXPECT_TRUE(grad_parity([](const std::vector<Tensor>& in) { return in[0].clamp(-1, 1); }, "x.clamp(-1, 1)", {{"x", x}}));
  Tensor x2 = x.detach().clone().requires_grad_();
  EXPECT_TRUE(grad_parity([](const std::vector<Tensor>& in) { return in[0].clamp_min(0.5) + in[0].clamp_max(0.0); },
                          "x.clamp_min(0.5) + x.clamp_max(0.0)", {{"x", x2}}));
  Tensor lo = tensor({-1.0, 0.0, 0.0, 1.0}, kDouble).requires_grad_();
  Tensor hi = tensor({{1.0, -1.0, 0.0, 2.0}, {0.5, 2.0, 0.0, 0.0}}, kDouble).requires_grad_();
  Tensor x3 = x.detach().clone().requires_grad_();
  EXPECT_TRUE(grad_parity([](const std::vector<Tensor>& in) { return in[0].clamp(in[1], in[2]); }, "x.clamp(lo, hi)",
                          {{"x", x3}, {"lo", lo}, {"hi", hi}}));
  Tensor x4 = x.detach().clone().requires_grad_(), lo4 = lo.detach().clone().requires_grad_();
  EXPECT_TRUE(grad_parity([](const std::vector<Tensor>& in) { return in[0].clamp(in[1]); }, "x.clamp(lo)",
                          {{"x", x4}, {"lo", lo4}}));
  Tensor x5 = x.detach().clone().requires_grad_(), hi5 = hi.detach().clone().requires_grad_();
  EXPECT_TRUE(grad_parity([](const std::vector<Tensor>& in) { return in[0].clamp(std::nullopt, in[1]); },
                          "x.clamp(None, hi)", {{"x", x5}, {"hi", hi5}}));

  Tensor a = sample({3, 4}, kDouble, 36).requires_grad_();
  Tensor b = sample({4, 1}, kDouble, 37).requires_grad_();
  Tensor c = (sample({3}, kDouble, 38) + 3).requires_grad_();
  auto f1 = [](const autograd::variable_list& in) { return autograd::variable_list{in[0].t().clamp(-1, 1.5)}; };
  auto f2 = [](const autograd::variable_list& in) { return autograd::variable_list{in[0].t().clamp(in[1], in[2])}; };
  auto f3 = [](const autograd::variable_list& in) {
    return autograd::variable_list{in[0].clamp_min(-0.5) * in[0].clamp_max(0.5)};
  };
  EXPECT_TRUE(autograd::gradcheck(f1, {a}));
  EXPECT_TRUE(autograd::gradgradcheck(f1, {a}));
  EXPECT_TRUE(autograd::gradcheck(f2, {a, b, c}));
  EXPECT_TRUE(autograd::gradgradcheck(f2, {a, b, c}));
  EXPECT_TRUE(autograd::gradcheck(f3, {a}));
  EXPECT_TRUE(autograd::gradgradcheck(f3, {a}));

  oracle::Inputs in{{"a", a}, {"b", b}};
  EXPECT_EQ(a.clamp(0, 1).grad_fn()->name(), torch_grad_fn("a.clamp(0, 1)", in));
  EXPECT_EQ(a.clamp(std::nullopt, 1).grad_fn()->name(), torch_grad_fn("a.clamp(max=1)", in));
  EXPECT_EQ(a.clamp(b.t()).grad_fn()->name(), torch_grad_fn("a.clamp(b.t())", in));
  EXPECT_EQ(a.clamp_min(0).grad_fn()->name(), torch_grad_fn("a.clamp_min(0)", in));
  EXPECT_EQ(a.clamp_max(0).grad_fn()->name(), torch_grad_fn("a.clamp_max(0)", in));
  Tensor y = a * 1;
  y.clamp_(0, 1);
  EXPECT_EQ(y.grad_fn()->name(), torch_grad_fn("(a * 1).clamp_(0, 1)", in));
  y.clamp_min_(0.5);
  EXPECT_EQ(y.grad_fn()->name(), torch_grad_fn("(a * 1).clamp_min_(0.5)", in));
}

TEST(Extremum, ValuesDtypesAndGradients) {
  const std::vector<std::pair<std::string, Binary>> ops{{"maximum", maximum}, {"minimum", minimum}};
  for (const auto& [name, fn] : ops) {
    for (ScalarType da : all_dtypes())
      for (ScalarType db : all_dtypes()) {
        Tensor a = sample({2, 3}, da, 39), b = sample({3, 1}, db, 40);
        EXPECT_TRUE(parity([&, fn = fn] { return fn(a.t(), b); }, "torch." + name + "(a.t(), b)", {{"a", a}, {"b", b}}))
            << name << " " << da << " " << db;
      }
    Tensor n1 = tensor({static_cast<double>(NAN), 1.0, 2.0}), n2 = tensor({1.0, static_cast<double>(NAN), 2.0});
    EXPECT_TRUE(parity([&, fn = fn] { return fn(n1, n2); }, "torch." + name + "(a, b)", {{"a", n1}, {"b", n2}}));
    // Ties share the gradient.
    Tensor a = tensor({1.0, 2.0, 3.0, -1.0}, kDouble).requires_grad_();
    Tensor b = tensor({1.0, 3.0, 2.0, -1.0}, kDouble).requires_grad_();
    EXPECT_TRUE(grad_parity([fn = fn](const std::vector<Tensor>& in) { return fn(in[0], in[1]); },
                            "torch." + name + "(a, b)", {{"a", a}, {"b", b}}));
    EXPECT_EQ(fn(a, b).grad_fn()->name(), torch_grad_fn("torch." + name + "(a, b)", {{"a", a}, {"b", b}}));
    Tensor x = sample({3, 4}, kDouble, 41).requires_grad_(), y = sample({3, 1}, kDouble, 42).requires_grad_();
    auto f = [fn = fn](const autograd::variable_list& in) { return autograd::variable_list{fn(in[0].t(), in[1].t())}; };
    EXPECT_TRUE(autograd::gradcheck(f, {x, y}));
    EXPECT_TRUE(autograd::gradgradcheck(f, {x, y}));
  }
}
