// add, sub, rsub, mul, div (tensor and scalar operands, operators, in-place, out=) against
// PyTorch: promotion over every dtype pair, broadcasting, non-contiguous inputs, errors,
// gradients and grad_fn names.
#include "ops/elementwise_parity.h"

using namespace nabla;
using nabla::testing::all_dtypes;
using nabla::testing::grad_parity;
using nabla::testing::parity;
using nabla::testing::sample;
using nabla::testing::sample_positive;
using nabla::testing::torch_grad_fn;

namespace {
struct Arith {
  std::string sym, name;
  Tensor (*op)(const Tensor&, const Tensor&);
  Tensor (*op_ts)(const Tensor&, const Scalar&);
  Tensor (*op_st)(const Scalar&, const Tensor&);
  Tensor& (Tensor::*inplace)(const Tensor&) const;
  Tensor& (*out)(Tensor&, const Tensor&, const Tensor&);
};

Tensor& add_out2(Tensor& o, const Tensor& a, const Tensor& b) { return add_out(o, a, b); }
Tensor& sub_out2(Tensor& o, const Tensor& a, const Tensor& b) { return sub_out(o, a, b); }

const std::vector<Arith>& ariths() {
  static const std::vector<Arith> a{
      {"+", "add", operator+, operator+, operator+, nullptr, add_out2},
      {"-", "sub", operator-, operator-, operator-, nullptr, sub_out2},
      {"*", "mul", operator*, operator*, operator*, &Tensor::mul_, mul_out},
      {"/", "div", operator/, operator/, operator/, &Tensor::div_, div_out},
  };
  return a;
}

Tensor& inplace(const Arith& a, Tensor& t, const Tensor& o) {
  if (a.inplace) return (t.*a.inplace)(o);
  return a.name == "add" ? t.add_(o) : t.sub_(o);
}
}  // namespace

TEST(Arithmetic, EveryDtypePairWithBroadcast) {
  for (const auto& a : ariths())
    for (ScalarType da : all_dtypes())
      for (ScalarType db : all_dtypes()) {
        Tensor x = sample({2, 1, 4}, da, 1);
        Tensor y = sample_positive({3, 1}, db, 2);
        EXPECT_TRUE(parity([&] { return a.op(x, y); }, "x " + a.sym + " y", {{"x", x}, {"y", y}}))
            << a.name << " " << da << " " << db;
        EXPECT_TRUE(parity([&] { return a.op(x.transpose(0, 2), y.t()); }, "x.transpose(0, 2) " + a.sym + " y.t()",
                           {{"x", x}, {"y", y}}))
            << a.name << " " << da << " " << db;
      }
}

TEST(Arithmetic, ScalarOnEitherSide) {
  const std::vector<std::pair<Scalar, std::string>> scalars{{2, "2"}, {2.5, "2.5"}, {true, "True"}, {-3, "-3"}};
  for (const auto& a : ariths())
    for (ScalarType dt : all_dtypes())
      for (const auto& [s, str] : scalars) {
        Tensor x = sample_positive({3, 2}, dt, 3);
        oracle::Inputs in{{"x", x}};
        EXPECT_TRUE(parity([&, &s = s] { return a.op_ts(x.t(), s); }, "x.t() " + a.sym + " " + str, in))
            << a.name << " " << dt << " " << str;
        // libtorch computes `s - t` and `s / t` as sub/div of a tensor holding s.
        std::string rev = "torch." + a.name + "(torch.tensor(" + str + "), x.t())";
        if (a.name == "add" || a.name == "mul") rev = str + " " + a.sym + " x.t()";
        EXPECT_TRUE(parity([&, &s = s] { return a.op_st(s, x.t()); }, rev, in)) << a.name << " " << dt << " " << str;
      }
}

TEST(Arithmetic, AlphaRsubAndNeg) {
  for (ScalarType dt : all_dtypes()) {
    Tensor x = sample({2, 3}, dt, 4), y = sample({3}, dt, 5);
    oracle::Inputs in{{"x", x}, {"y", y}};
    EXPECT_TRUE(parity([&] { return add(x, y, 2); }, "torch.add(x, y, alpha=2)", in)) << dt;
    EXPECT_TRUE(parity([&] { return x.add(y, 1.5); }, "x.add(y, alpha=1.5)", in)) << dt;
    EXPECT_TRUE(parity([&] { return sub(x, y, 3); }, "torch.sub(x, y, alpha=3)", in)) << dt;
    EXPECT_TRUE(parity([&] { return x.sub(2, 2); }, "x.sub(2, alpha=2)", in)) << dt;
    EXPECT_TRUE(parity([&] { return rsub(x, 2); }, "torch.rsub(x, 2)", in)) << dt;
    EXPECT_TRUE(parity([&] { return rsub(x, 2.5, 2); }, "torch.rsub(x, 2.5, alpha=2)", in)) << dt;
    EXPECT_TRUE(parity([&] { return -x.t(); }, "-x.t()", in)) << dt;
    EXPECT_TRUE(parity([&] { return x.clone().neg_(); }, "x.clone().neg_()", in)) << dt;
  }
  // Wrapping integer arithmetic.
  Tensor big = tensor({INT64_MAX, INT64_MIN, 5}, kLong);
  EXPECT_TRUE(parity([&] { return big + 1; }, "b + 1", {{"b", big}}));
  EXPECT_TRUE(parity([&] { return big * 3; }, "b * 3", {{"b", big}}));
  EXPECT_TRUE(parity([&] { return -big; }, "-b", {{"b", big}}));
  Tensor u = tensor({2, 250}, kByte);
  EXPECT_TRUE(parity([&] { return u - 3; }, "u - 3", {{"u", u}}));
  EXPECT_TRUE(parity([&] { return u * u; }, "u * u", {{"u", u}}));
  EXPECT_TRUE(parity([&] { return -u; }, "-u", {{"u", u}}));
  Tensor f = tensor({1.0, -1.0, 0.0});
  EXPECT_TRUE(parity([&] { return f / 0; }, "f / 0", {{"f", f}}));
}

TEST(Arithmetic, ZeroDimAndEmpty) {
  for (const auto& a : ariths()) {
    Tensor z = sample_positive({}, kLong, 6), f = sample_positive({3}, kFloat, 7), e = empty({0, 3}, kDouble);
    oracle::Inputs in{{"z", z}, {"f", f}, {"e", e}};
    EXPECT_TRUE(parity([&] { return a.op(z, f); }, "z " + a.sym + " f", in)) << a.name;
    EXPECT_TRUE(parity([&] { return a.op(z, z); }, "z " + a.sym + " z", in)) << a.name;
    EXPECT_TRUE(parity([&] { return a.op(e, f); }, "e " + a.sym + " f", in)) << a.name;
    Tensor bad = sample({4}, kFloat, 8);
    EXPECT_TRUE(parity([&] { return a.op(f, bad); }, "f " + a.sym + " b", {{"f", f}, {"b", bad}})) << a.name;
  }
}

TEST(Arithmetic, InPlace) {
  for (const auto& a : ariths())
    for (ScalarType dt : all_dtypes())
      for (ScalarType ot : {kFloat, kLong, kBool}) {
        Tensor x = sample_positive({2, 3}, dt, 9), y = sample_positive({3}, ot, 10);
        oracle::Inputs in{{"x", x}, {"y", y}};
        std::string method = a.name + "_";
        EXPECT_TRUE(parity(
            [&] {
              Tensor c = x.clone();
              Tensor& r = inplace(a, c, y);
              EXPECT_TRUE(r.is_same(c));
              return c;
            },
            "x.clone()." + method + "(y)", in))
            << a.name << " " << dt << " " << ot;
        EXPECT_TRUE(parity(
            [&] {
              Tensor c = y.clone();
              return inplace(a, c, x);
            },
            "y.clone()." + method + "(x)", in))
            << a.name << " " << dt << " " << ot;
      }
  Tensor x = sample({3}, kFloat, 11);
  EXPECT_TRUE(parity([&] { return x.clone() += 2; }, "x.clone().add_(2)", {{"x", x}}));
  EXPECT_TRUE(parity([&] { return x.clone() -= 2.5; }, "x.clone().sub_(2.5)", {{"x", x}}));
  EXPECT_TRUE(parity([&] { return x.clone() *= x; }, "x.clone().mul_(x)", {{"x", x}}));
  EXPECT_TRUE(parity([&] { return x.clone() /= 4; }, "x.clone().div_(4)", {{"x", x}}));
  Tensor i = sample({3}, kLong, 12);
  EXPECT_TRUE(parity([&] { return i.clone() += 1.5; }, "i.clone().add_(1.5)", {{"i", i}}));
  EXPECT_TRUE(parity([&] { return i.clone() /= 2; }, "i.clone().div_(2)", {{"i", i}}));
  Tensor leaf = sample({3}, kDouble, 13).requires_grad_();
  EXPECT_EQ(nabla::testing::error_message([&] { leaf.add_(1); }),
            oracle::error_of("x = x.detach().clone().requires_grad_()\nx.add_(1)", {{"x", leaf}}));
}

TEST(Arithmetic, OutForms) {
  for (const auto& a : ariths())
    for (ScalarType dt : {kFloat, kLong, kBool})
      for (ScalarType out_dt : {kFloat, kDouble, kLong}) {
        Tensor x = sample_positive({2, 3}, dt, 14), y = sample_positive({3}, dt, 15);
        Tensor o = empty({2, 3}, out_dt), wrong = zeros({4}, out_dt);
        oracle::Inputs in{{"x", x}, {"y", y}, {"o", o}, {"w", wrong}};
        EXPECT_TRUE(parity([&] { return a.out(o, x, y); }, "torch." + a.name + "(x, y, out=o)", in))
            << a.name << " " << dt << " " << out_dt;
        EXPECT_TRUE(parity([&] { return a.out(wrong, x, y); }, "torch." + a.name + "(x, y, out=w)", in))
            << a.name << " " << dt << " " << out_dt;
      }
  Tensor x = sample({3}, kDouble, 16).requires_grad_(), o = empty({3}, kDouble);
  EXPECT_EQ(nabla::testing::error_message([&] { add_out(o, x, x); }),
            oracle::error_of("torch.add(x, x, out=o)", {{"x", x}, {"o", o}}));
  {
    NoGradGuard g;
    EXPECT_TRUE(parity([&] { return mul_out(o, x, x); }, "torch.mul(x.detach(), x.detach(), out=o)", {{"x", x}, {"o", o}}));
  }
}

TEST(Arithmetic, GradFnNames) {
  Tensor x = sample({3}, kDouble, 17).requires_grad_(), y = sample({3}, kDouble, 18).requires_grad_();
  oracle::Inputs in{{"x", x}, {"y", y}};
  EXPECT_EQ((x + y).grad_fn()->name(), torch_grad_fn("x + y", in));
  EXPECT_EQ((x + 1).grad_fn()->name(), torch_grad_fn("x + 1", in));
  EXPECT_EQ((2 * x).grad_fn()->name(), torch_grad_fn("2 * x", in));
  EXPECT_EQ((x - y).grad_fn()->name(), torch_grad_fn("x - y", in));
  EXPECT_EQ(rsub(x, 1).grad_fn()->name(), torch_grad_fn("torch.rsub(x, 1)", in));
  EXPECT_EQ((1 - x).grad_fn()->name(), torch_grad_fn("torch.tensor(1.).sub(x)", in));
  EXPECT_EQ((x / y).grad_fn()->name(), torch_grad_fn("x / y", in));
  EXPECT_EQ((2 / x).grad_fn()->name(), torch_grad_fn("torch.tensor(2.).div(x)", in));
  EXPECT_EQ((-x).grad_fn()->name(), torch_grad_fn("-x", in));
}

TEST(Arithmetic, GradientsMatchTorch) {
  Tensor x = sample({2, 3}, kDouble, 19).requires_grad_(), y = sample_positive({3, 1}, kDouble, 20).requires_grad_();
  EXPECT_TRUE(grad_parity(
      [](const std::vector<Tensor>& in) {
        return add(in[0], in[1].t(), 2) - sub(in[0], in[1].t(), 0.5) * in[0] / in[1].t() + rsub(in[0], 3, 2) - 2 / in[1].t();
      },
      "torch.add(x, y.t(), alpha=2) - torch.sub(x, y.t(), alpha=0.5) * x / y.t() + torch.rsub(x, 3, alpha=2) - 2 / y.t()",
      {{"x", x}, {"y", y}}));
  auto fn = [](const autograd::variable_list& in) {
    return autograd::variable_list{add(in[0], in[1].t(), 2) * sub(in[0], in[1].t(), -1.5) / in[1].t() - rsub(in[0], 1) -
                                   (-in[0]) * 3 + 1.5 / in[1].t()};
  };
  EXPECT_TRUE(autograd::gradcheck(fn, {x, y}));
  EXPECT_TRUE(autograd::gradgradcheck(fn, {x, y}));
  auto fi = [](const autograd::variable_list& in) {
    Tensor z = in[0] * 1;
    z.add_(in[1].t(), 2).mul_(in[1].t()).sub_(in[0]).div_(in[1].t()).neg_();
    return autograd::variable_list{z};
  };
  EXPECT_TRUE(autograd::gradcheck(fi, {x, y}));
  // Second order through the in-place ops that do not save their overwritten input (mul_ and
  // div_ save a copy of it without history: see Ctx::prepare).
  auto fi2 = [](const autograd::variable_list& in) {
    Tensor z = in[0] * in[1].t();
    z.add_(in[1].t(), 2).sub_(in[0] * in[0]).neg_().mul_(2.5).div_(4);
    return autograd::variable_list{z};
  };
  EXPECT_TRUE(autograd::gradcheck(fi2, {x, y}));
  EXPECT_TRUE(autograd::gradgradcheck(fi2, {x, y}));
  Tensor x2 = x.detach().clone().requires_grad_(), y2 = y.detach().clone().requires_grad_();
  EXPECT_TRUE(grad_parity(
      [](const std::vector<Tensor>& in) {
        Tensor z = in[0] * 1;
        return z.add_(in[1].t(), 2).mul_(in[1].t()).sub_(in[0]).div_(in[1].t()).neg_() * 1;
      },
      "(x * 1).add_(y.t(), alpha=2).mul_(y.t()).sub_(x).div_(y.t()).neg_() * 1", {{"x", x2}, {"y", y2}}));
}
