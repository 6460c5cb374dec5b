// mm, bmm, mv, addmm, dot, outer, matmul (+ mm_out, matmul_out) against PyTorch: values for
// every dtype, strided and broadcast operands, gradients, grad_fn names, error messages.
#include <string>
#include <vector>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

const std::vector<ScalarType> kNumeric = {kFloat, kDouble, kLong, kInt, kByte};

// Tolerance for float32 products of moderate depth (BLAS kernels may sum in another order).
::testing::AssertionResult close(const Tensor& a, const Tensor& e) {
  if (a.scalar_type() == kFloat) return same(a, e, 1e-5, 1e-4);
  return same(a, e);
}

// A matrix operand built as the transpose of a leaf of the swapped shape (non-contiguous).
Tensor transposed_sample(IntArrayRef shape, ScalarType dt, int seed) {
  DimVector s(shape);
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  return sample(s, dt, seed).transpose(-1, -2);
}

}  // namespace

TEST(Linalg, MmValuesAllDtypesAndLayouts) {
  for (ScalarType dt : kNumeric) {
    auto a = sample({4, 5}, dt, 1), b = sample({5, 3}, dt, 2);
    auto at = transposed_sample({4, 5}, dt, 3), bt = transposed_sample({5, 3}, dt, 4);
    oracle::Inputs in = {{"a", a}, {"b", b}, {"at", at}, {"bt", bt}};
    EXPECT_TRUE(close(a.mm(b), oracle::eval("a.mm(b)", in))) << dt;
    EXPECT_TRUE(close(at.mm(b), oracle::eval("at.mm(b)", in))) << dt;
    EXPECT_TRUE(close(a.mm(bt), oracle::eval("a.mm(bt)", in))) << dt;
    EXPECT_TRUE(close(at.mm(bt), oracle::eval("at.mm(bt)", in))) << dt;
    EXPECT_TRUE(close(mm(a, b), oracle::eval("torch.mm(a, b)", in))) << dt;
  }
}

TEST(Linalg, MmStridesThatNeedPacking) {
  // Broadcast (stride 0) rows and columns, and a permuted 3-d tensor's matrix slices.
  auto row = sample({1, 6}, kFloat, 1).expand({4, 6});
  auto col = sample({6, 1}, kDouble, 2).expand({6, 3});
  auto b = sample({6, 3}, kFloat, 3);
  auto c = sample({4, 6}, kDouble, 4);
  EXPECT_TRUE(close(row.mm(b), oracle::eval("r.mm(b)", {{"r", row}, {"b", b}})));
  EXPECT_TRUE(close(c.mm(col), oracle::eval("c.mm(k)", {{"c", c}, {"k", col}})));
  auto x = sample({2, 3, 5}, kFloat, 5).permute({1, 0, 2}).reshape({3, 10});
  auto y = sample({10, 2}, kFloat, 6);
  EXPECT_TRUE(close(x.mm(y), oracle::eval("x.mm(y)", {{"x", x}, {"y", y}})));
}

TEST(Linalg, LargeFloatProducts) {
  for (ScalarType dt : {kFloat, kDouble}) {
    auto a = sample({67, 130}, dt, 7), b = sample({130, 45}, dt, 8);
    EXPECT_TRUE(same(a.mm(b), oracle::eval("a.mm(b)", {{"a", a}, {"b", b}}), 1e-5, 1e-3)) << dt;
    auto v = sample({130}, dt, 9);
    EXPECT_TRUE(same(a.mv(v), oracle::eval("a.mv(v)", {{"a", a}, {"v", v}}), 1e-5, 1e-3)) << dt;
    EXPECT_TRUE(same(v.dot(v), oracle::eval("v.dot(v)", {{"v", v}}), 1e-5, 1e-3)) << dt;
  }
}

TEST(Linalg, IntegerProductsWrapLikeTorch) {
  auto a = full({2, 3}, int64_t(1) << 62, kLong), b = full({3, 2}, 3, kLong);
  EXPECT_SAME(a.mm(b), oracle::eval("a.mm(b)", {{"a", a}, {"b", b}}));
  auto c = full({3}, 200, kByte);
  EXPECT_SAME(c.dot(c), oracle::eval("c.dot(c)", {{"c", c}}));
  auto d = full({2, 4}, 70000, kInt), e = full({4}, 90000, kInt);
  EXPECT_SAME(d.mv(e), oracle::eval("d.mv(e)", {{"d", d}, {"e", e}}));
}

TEST(Linalg, BmmMvDotOuterAllDtypes) {
  for (ScalarType dt : kNumeric) {
    auto a = sample({3, 2, 4}, dt, 1), b = sample({3, 4, 5}, dt, 2);
    auto bt = sample({3, 5, 4}, dt, 3).transpose(1, 2);
    auto bx = sample({1, 4, 5}, dt, 4).expand({3, 4, 5});
    oracle::Inputs in = {{"a", a}, {"b", b}, {"bt", bt}, {"bx", bx}};
    EXPECT_TRUE(close(a.bmm(b), oracle::eval("a.bmm(b)", in))) << dt;
    EXPECT_TRUE(close(a.bmm(bt), oracle::eval("a.bmm(bt)", in))) << dt;
    EXPECT_TRUE(close(bmm(a, bx), oracle::eval("torch.bmm(a, bx)", in))) << dt;

    auto m = sample({3, 4}, dt, 5), mt = transposed_sample({3, 4}, dt, 6);
    auto v = sample({4}, dt, 7), vx = sample({1}, dt, 8).expand({4}), w = sample({3}, dt, 9);
    oracle::Inputs in2 = {{"m", m}, {"mt", mt}, {"v", v}, {"vx", vx}, {"w", w}};
    EXPECT_TRUE(close(m.mv(v), oracle::eval("m.mv(v)", in2))) << dt;
    EXPECT_TRUE(close(mt.mv(vx), oracle::eval("mt.mv(vx)", in2))) << dt;
    EXPECT_TRUE(close(mv(m, vx), oracle::eval("torch.mv(m, vx)", in2))) << dt;
    EXPECT_TRUE(close(v.dot(vx), oracle::eval("v.dot(vx)", in2))) << dt;
    EXPECT_TRUE(close(dot(v, v), oracle::eval("torch.dot(v, v)", in2))) << dt;
    EXPECT_TRUE(close(mt.t()[1].dot(v.narrow(0, 0, 3)), oracle::eval("mt.t()[1].dot(v[:3])", in2))) << dt;
    EXPECT_SAME(v.outer(w), oracle::eval("v.outer(w)", in2));
    EXPECT_SAME(outer(w, vx), oracle::eval("torch.outer(w, vx)", in2));
  }
  auto p = sample({3}, kBool, 1), q = sample({2}, kFloat, 2);
  EXPECT_SAME(p.outer(p), oracle::eval("p.outer(p)", {{"p", p}}));
  EXPECT_SAME(p.outer(q), oracle::eval("p.outer(q)", {{"p", p}, {"q", q}}));
}

TEST(Linalg, AddmmValues) {
  for (ScalarType dt : kNumeric) {
    auto self = sample({2, 4}, dt, 1), row = sample({4}, dt, 2), m1 = sample({2, 3}, dt, 3);
    auto m2 = transposed_sample({3, 4}, dt, 4);
    oracle::Inputs in = {{"s", self}, {"r", row}, {"m1", m1}, {"m2", m2}};
    EXPECT_TRUE(close(self.addmm(m1, m2), oracle::eval("s.addmm(m1, m2)", in))) << dt;
    EXPECT_TRUE(close(addmm(row, m1, m2, 2, 3), oracle::eval("torch.addmm(r, m1, m2, beta=2, alpha=3)", in))) << dt;
    EXPECT_TRUE(close(addmm(self, m1, m2, 0, -1), oracle::eval("torch.addmm(s, m1, m2, beta=0, alpha=-1)", in))) << dt;
  }
  auto nan_self = full({2, 2}, std::nan(""), kFloat), m = sample({2, 3}, kFloat, 5), n = sample({3, 2}, kFloat, 6);
  oracle::Inputs in = {{"s", nan_self}, {"m", m}, {"n", n}};
  EXPECT_TRUE(close(addmm(nan_self, m, n, 0), oracle::eval("torch.addmm(s, m, n, beta=0)", in)));
  auto i = sample({2, 2}, kLong, 7), j = sample({2, 3}, kLong, 8), k = sample({3, 2}, kLong, 9);
  oracle::Inputs ini = {{"i", i}, {"j", j}, {"k", k}};
  EXPECT_SAME(addmm(i, j, k, 0.5, 2.7), oracle::eval("torch.addmm(i, j, k, beta=0.5, alpha=2.7)", ini));
  auto s0 = scalar_tensor(1.5, kDouble), a = sample({2, 3}, kDouble, 10), b = sample({3, 2}, kDouble, 11);
  EXPECT_SAME(addmm(s0, a, b, -1), oracle::eval("torch.addmm(s, a, b, beta=-1)", {{"s", s0}, {"a", a}, {"b", b}}));
}

TEST(Linalg, EmptyOperands) {
  auto check = [](const std::string& expr, const Tensor& r, const oracle::Inputs& in) {
    EXPECT_SAME(r, oracle::eval(expr, in)) << expr;
  };
  auto a = zeros({2, 0}), b = zeros({0, 3}), c = zeros({0, 3}), d = zeros({3, 2});
  check("a.mm(b)", a.mm(b), {{"a", a}, {"b", b}});
  check("c.mm(d)", c.mm(d), {{"c", c}, {"d", d}});
  auto e = zeros({0}), f = ones({2, 3});
  check("e.dot(e)", e.dot(e), {{"e", e}});
  check("a.mv(e)", a.mv(e), {{"a", a}, {"e", e}});
  check("torch.addmm(f, a, b, beta=2)", addmm(f, a, b, 2), {{"f", f}, {"a", a}, {"b", b}});
  auto g = zeros({0, 2, 3}), h = zeros({0, 3, 2});
  check("g.bmm(h)", g.bmm(h), {{"g", g}, {"h", h}});
  auto p = zeros({3, 5, 0}), q = zeros({0, 0});
  check("p @ q", p.matmul(q), {{"p", p}, {"q", q}});
  auto l = zeros({4, 0}, kLong), r = zeros({0, 2}, kLong);
  check("l.mm(r)", l.mm(r), {{"l", l}, {"r", r}});
}

// matmul over PyTorch's cases: value, both gradients and the grad_fn name.
struct MatmulCase {
  std::vector<int64_t> s1, s2;
  bool transpose1 = false, transpose2 = false;
};

TEST(Linalg, MatmulMatchesTorchValuesGradsAndNames) {
  const std::vector<MatmulCase> cases = {
      {{3}, {3}},
      {{2, 3}, {3}},
      {{3}, {3, 4}},
      {{2, 3}, {3, 4}},
      {{5, 2, 3}, {3}},
      {{5, 2, 3}, {3, 4}},
      {{3}, {5, 3, 4}},
      {{2, 3}, {5, 3, 4}},
      {{5, 2, 3}, {5, 3, 4}},
      {{5, 2, 3}, {1, 3, 4}},
      {{6, 1, 2, 3}, {5, 3, 4}},
      {{2, 2, 3}, {3, 4}, true, false},
      {{2, 3}, {5, 3, 4}, false, true},
      {{3}, {5, 3, 4}, false, true},
      {{2, 3}, {3, 4}, true, true},
      {{4, 2, 3}, {5, 1, 3, 2}, true, true},
      {{3}, {2, 3, 4}, false, true},
      {{5, 2, 3}, {3}, true, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "shapes " << IntArrayRef(c.s1) << " @ " << IntArrayRef(c.s2) << " t1 "
                                      << c.transpose1 << " t2 " << c.transpose2);
    auto leaf = [](IntArrayRef s, bool tr, int seed) {
      DimVector shape(s);
      if (tr) std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
      return sample(shape, kDouble, seed).requires_grad_();
    };
    auto l1 = leaf(c.s1, c.transpose1, 1), l2 = leaf(c.s2, c.transpose2, 2);
    auto a = c.transpose1 ? l1.transpose(-1, -2) : l1;
    auto b = c.transpose2 ? l2.transpose(-1, -2) : l2;
    auto y = a.matmul(b);
    auto g = sample(y.sizes(), kDouble, 3);
    y.backward(g);
    std::string code = std::string("a = l1") + (c.transpose1 ? ".transpose(-1, -2)" : "") + "; b = l2" +
                       (c.transpose2 ? ".transpose(-1, -2)" : "") +
                       "; y = a @ b; y.backward(g); out = (y, l1.grad, l2.grad, y.grad_fn.name())";
    auto ref = oracle::run(code, {{"l1", l1}, {"l2", l2}, {"g", g}});
    ASSERT_TRUE(ref.ok) << ref.error;
    EXPECT_SAME(y.detach(), ref.tensor(0));
    EXPECT_SAME(l1.grad(), ref.tensor(1));
    EXPECT_SAME(l2.grad(), ref.tensor(2));
    EXPECT_EQ(y.grad_fn()->name(), ref.strings.at(3));
  }
}

TEST(Linalg, MatmulIntegerAndFloatDtypes) {
  for (ScalarType dt : kNumeric) {
    auto a = sample({2, 2, 3}, dt, 1), b = sample({3, 2}, dt, 2), v = sample({3}, dt, 3);
    auto c = sample({4, 1, 2, 3}, dt, 4), d = sample({2, 3, 5}, dt, 5);
    oracle::Inputs in = {{"a", a}, {"b", b}, {"v", v}, {"c", c}, {"d", d}};
    EXPECT_TRUE(close(a.matmul(b), oracle::eval("a @ b", in))) << dt;
    EXPECT_TRUE(close(matmul(a, v), oracle::eval("torch.matmul(a, v)", in))) << dt;
    EXPECT_TRUE(close(v.matmul(d), oracle::eval("v @ d", in))) << dt;
    EXPECT_TRUE(close(c.matmul(d), oracle::eval("c @ d", in))) << dt;
  }
}

TEST(Linalg, GradFnNamesOfTheBasicOps) {
  auto a = sample({2, 3}, kDouble, 1).requires_grad_(), b = sample({3, 4}, kDouble, 2).requires_grad_();
  auto v = sample({3}, kDouble, 3).requires_grad_(), s = sample({4}, kDouble, 4).requires_grad_();
  auto p = sample({2, 2, 3}, kDouble, 5).requires_grad_(), q = sample({2, 3, 4}, kDouble, 6).requires_grad_();
  oracle::Inputs in = {{"a", a}, {"b", b}, {"v", v}, {"s", s}, {"p", p}, {"q", q}};
  auto name = [&](const std::string& expr) {
    return oracle::run("out = (" + expr + ").grad_fn.name()", in).strings.at(0);
  };
  EXPECT_EQ(a.mm(b).grad_fn()->name(), name("a.mm(b)"));
  EXPECT_EQ(p.bmm(q).grad_fn()->name(), name("p.bmm(q)"));
  EXPECT_EQ(a.mv(v).grad_fn()->name(), name("a.mv(v)"));
  EXPECT_EQ(v.dot(v).grad_fn()->name(), name("v.dot(v)"));
  EXPECT_EQ(s.addmm(a, b).grad_fn()->name(), name("s.addmm(a, b)"));
  EXPECT_EQ(v.outer(s).grad_fn()->name(), name("v.outer(s)"));
  EXPECT_FALSE(sample({2, 3}).mm(sample({3, 2})).grad_fn());
}

TEST(Linalg, GradientsMatchTorch) {
  auto s = sample({4}, kDouble, 1).requires_grad_(), m1 = sample({2, 3}, kDouble, 2).requires_grad_();
  auto l2 = sample({4, 3}, kDouble, 3).requires_grad_();
  auto y = addmm(s, m1, l2.t(), 0.5, -2);
  y.backward(ones_like(y));
  auto ref = oracle::run(
      "y = torch.addmm(s, m1, l2.t(), beta=0.5, alpha=-2); y.sum().backward(); "
      "out = (s.grad, m1.grad, l2.grad)",
      {{"s", s}, {"m1", m1}, {"l2", l2}});
  EXPECT_SAME(s.grad(), ref.tensor(0));
  EXPECT_SAME(m1.grad(), ref.tensor(1));
  EXPECT_SAME(l2.grad(), ref.tensor(2));

  auto v = sample({3}, kDouble, 4).requires_grad_(), w = sample({5}, kDouble, 5).requires_grad_();
  auto o = v.outer(w);
  (o * o).sum().backward();
  auto ref2 = oracle::run("o = v.outer(w); (o * o).sum().backward(); out = (v.grad, w.grad)", {{"v", v}, {"w", w}});
  EXPECT_SAME(v.grad(), ref2.tensor(0));
  EXPECT_SAME(w.grad(), ref2.tensor(1));
}

TEST(Linalg, Gradcheck) {
  using autograd::variable_list;
  auto d = [](IntArrayRef s, int seed) { return sample(s, kDouble, seed).requires_grad_(); };
  EXPECT_TRUE(
      autograd::gradcheck([](const variable_list& x) { return x[0].mm(x[1].t()); }, {d({2, 3}, 1), d({4, 3}, 2)}));
  EXPECT_TRUE(
      autograd::gradgradcheck([](const variable_list& x) { return x[0].t().mm(x[1]); }, {d({3, 2}, 1), d({3, 4}, 2)}));
  auto bmm_fn = [](const variable_list& x) { return x[0].bmm(x[1].transpose(1, 2)); };
  EXPECT_TRUE(autograd::gradcheck(bmm_fn, {d({2, 2, 3}, 3), d({2, 4, 3}, 4)}));
  EXPECT_TRUE(autograd::gradgradcheck(bmm_fn, {d({2, 2, 3}, 3), d({2, 4, 3}, 4)}));
  auto mv_fn = [](const variable_list& x) { return x[0].t().mv(x[1]); };
  EXPECT_TRUE(autograd::gradcheck(mv_fn, {d({3, 2}, 5), d({3}, 6)}));
  EXPECT_TRUE(autograd::gradgradcheck(mv_fn, {d({3, 2}, 5), d({3}, 6)}));
  auto dot_fn = [](const variable_list& x) { return x[0].dot(x[1]); };
  EXPECT_TRUE(autograd::gradcheck(dot_fn, {d({4}, 7), d({4}, 8)}));
  EXPECT_TRUE(autograd::gradgradcheck(dot_fn, {d({4}, 7), d({4}, 8)}));
  auto addmm_fn = [](const variable_list& x) { return addmm(x[0], x[1], x[2].t(), 0.7, -1.3); };
  variable_list addmm_in = {d({1, 4}, 9), d({2, 3}, 10), d({4, 3}, 11)};
  EXPECT_TRUE(autograd::gradcheck(addmm_fn, addmm_in));
  EXPECT_TRUE(autograd::gradgradcheck(addmm_fn, addmm_in));
  auto outer_fn = [](const variable_list& x) { return x[0].outer(x[1]); };
  EXPECT_TRUE(autograd::gradcheck(outer_fn, {d({3}, 12), d({2}, 13)}));
  EXPECT_TRUE(autograd::gradgradcheck(outer_fn, {d({3}, 12), d({2}, 13)}));
  // matmul with broadcast batches, a vector operand, and a transposed operand.
  auto mm_fn = [](const variable_list& x) { return x[0].matmul(x[1].transpose(-1, -2)); };
  variable_list bcast = {d({3, 1, 2, 3}, 14), d({2, 4, 3}, 15)};
  EXPECT_TRUE(autograd::gradcheck(mm_fn, bcast));
  EXPECT_TRUE(autograd::gradgradcheck(mm_fn, bcast));
  auto vec_fn = [](const variable_list& x) { return x[0].matmul(x[1]); };
  EXPECT_TRUE(autograd::gradcheck(vec_fn, {d({3}, 16), d({2, 3, 4}, 17)}));
  EXPECT_TRUE(autograd::gradgradcheck(vec_fn, {d({2, 2, 3}, 18), d({3}, 19)}));
  EXPECT_TRUE(autograd::gradgradcheck(vec_fn, {d({3}, 20), d({3, 2}, 21)}));
}

TEST(Linalg, ErrorsMatchTorch) {
  auto f23 = ones({2, 3}), f42 = ones({4, 2}), f3 = ones({3}), f4 = ones({4}), d32 = ones({3, 2}, kDouble);
  auto d3 = ones({3}, kDouble), b223 = ones({2, 2, 3}), b334 = ones({3, 3, 4}), b244 = ones({2, 4, 4});
  auto f5 = ones({5}), i32 = ones({3, 2}, kLong), bool23 = ones({2, 3}, kBool), bool32 = ones({3, 2}, kBool);
  auto s0 = scalar_tensor(1.0), d23 = ones({2, 3}, kDouble), f533 = ones({5, 3});
  oracle::Inputs in = {{"f23", f23},       {"f42", f42}, {"f3", f3},     {"f4", f4},
                       {"d32", d32},       {"d3", d3},   {"b223", b223}, {"b334", b334},
                       {"b244", b244},     {"f5", f5},   {"i32", i32},   {"bool23", bool23},
                       {"bool32", bool32}, {"s0", s0},   {"d23", d23},   {"f533", f533}};
  auto expect = [&](const std::string& code, auto fn) {
    EXPECT_EQ(error_message(fn), oracle::error_of(code, in)) << code;
  };
  expect("f23.mm(f42)", [&] { f23.mm(f42); });
  expect("f3.mm(f42)", [&] { f3.mm(f42); });
  expect("f23.mm(f3)", [&] { f23.mm(f3); });
  expect("f23.mm(d32)", [&] { f23.mm(d32); });
  expect("f23.mm(i32)", [&] { f23.mm(i32); });
  expect("bool23.mm(bool32)", [&] { bool23.mm(bool32); });
  expect("f3.dot(f23)", [&] { f3.dot(f23); });
  expect("f23.dot(f23)", [&] { f23.dot(f23); });
  expect("f3.dot(f4)", [&] { f3.dot(f4); });
  expect("f3.dot(d3)", [&] { f3.dot(d3); });
  expect("bool23[0].dot(bool23[1])", [&] { bool23[0].dot(bool23[1]); });
  expect("f23.mv(f4)", [&] { f23.mv(f4); });
  expect("f3.mv(f4)", [&] { f3.mv(f4); });
  expect("f23.mv(f42)", [&] { f23.mv(f42); });
  expect("f23.mv(d3)", [&] { f23.mv(d3); });
  expect("bool23.mv(bool32[:, 0])", [&] { bool23.mv(bool32.select(1, 0)); });
  expect("f23.bmm(b223)", [&] { f23.bmm(b223); });
  expect("b223.bmm(f23)", [&] { b223.bmm(f23); });
  expect("b223.bmm(b334)", [&] { b223.bmm(b334); });
  expect("b223.bmm(b244)", [&] { b223.bmm(b244); });
  expect("b223.bmm(b223.transpose(1, 2).double())", [&] { b223.bmm(b223.transpose(1, 2).to(kDouble)); });
  expect("bool23[None].bmm(bool32[None])", [&] { bool23.unsqueeze(0).bmm(bool32.unsqueeze(0)); });
  expect("torch.addmm(f5, f23, d32)", [&] { addmm(f5, f23, d32); });
  expect("torch.addmm(f5, d23, d32)", [&] { addmm(f5, d23, d32); });
  expect("torch.addmm(d32, d23, f3.double())", [&] { addmm(d32, d23, f3.to(kDouble)); });
  expect("torch.addmm(f5, f3, f42)", [&] { addmm(f5, f3, f42); });
  expect("torch.addmm(f5, f23, f42)", [&] { addmm(f5, f23, f42); });
  expect("torch.addmm(f5, f23, d32.float())", [&] { addmm(f5, f23, d32.to(kFloat)); });
  expect("torch.addmm(f533, f23, d32.float())", [&] { addmm(f533, f23, d32.to(kFloat)); });
  expect("torch.addmm(bool23[:, :2], bool23, bool32)", [&] { addmm(bool23.narrow(1, 0, 2), bool23, bool32); });
  expect("f3.outer(f23)", [&] { f3.outer(f23); });
  expect("f23.outer(f3)", [&] { f23.outer(f3); });
  expect("s0.outer(f3)", [&] { s0.outer(f3); });
  expect("s0 @ f23", [&] { s0.matmul(f23); });
  expect("f23 @ s0", [&] { f23.matmul(s0); });
  expect("f23 @ f23", [&] { f23.matmul(f23); });
  expect("f3 @ f42", [&] { f3.matmul(f42); });
  expect("f23 @ f4", [&] { f23.matmul(f4); });
  expect("b223 @ f5", [&] { b223.matmul(f5); });
  expect("f5 @ b223", [&] { f5.matmul(b223); });
  expect("b223 @ f42", [&] { b223.matmul(f42); });
  expect("b223 @ b334", [&] { b223.matmul(b334); });
  expect("b223 @ d32", [&] { b223.matmul(d32); });
  expect("f3 @ d3", [&] { f3.matmul(d3); });
}

TEST(Linalg, OutVariants) {
  std::vector<std::string> warnings;
  auto previous = set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  auto a = sample({2, 3}, kFloat, 1), b = sample({3, 4}, kFloat, 2);
  auto out = empty({2, 4});
  Tensor& r = mm_out(out, a, b);
  EXPECT_TRUE(r.is_same(out));
  EXPECT_TRUE(close(out, oracle::eval("a.mm(b)", {{"a", a}, {"b", b}})));
  EXPECT_TRUE(warnings.empty());

  auto resized = empty({3, 3});
  mm_out(resized, a, b);
  EXPECT_TRUE(close(resized, oracle::eval("a.mm(b)", {{"a", a}, {"b", b}})));
  auto torch_warning = oracle::run(
      "import warnings\nwith warnings.catch_warnings(record=True) as w:\n    warnings.simplefilter('always')\n"
      "    torch.mm(a, b, out=torch.empty(3, 3))\nout = str(w[0].message)",
      {{"a", a}, {"b", b}});
  ASSERT_EQ(warnings.size(), 1u);
  // PyTorch appends where in its C++ sources the warning was raised.
  const std::string& torch_text = torch_warning.strings.at(0);
  EXPECT_EQ(warnings[0], torch_text.substr(0, torch_text.find(" (Triggered internally at")));

  auto noncontig = empty({4, 2}).t();
  mm_out(noncontig, a, b);
  EXPECT_TRUE(close(noncontig, oracle::eval("a.mm(b)", {{"a", a}, {"b", b}})));

  // matmul_out: 1-d @ 2-d squeezes the output; batched products resize it.
  auto v = sample({3}, kFloat, 3), bat = sample({5, 3, 4}, kFloat, 4);
  auto o1 = empty({0});
  matmul_out(o1, v, b);
  EXPECT_TRUE(close(o1, oracle::eval("v @ b", {{"v", v}, {"b", b}})));
  auto o2 = empty({0});
  matmul_out(o2, a, bat);
  EXPECT_TRUE(close(o2, oracle::eval("a @ t", {{"a", a}, {"t", bat}})));
  auto o3 = empty({0});
  matmul_out(o3, v, v);
  EXPECT_TRUE(close(o3, oracle::eval("v @ v", {{"v", v}})));
  set_warning_handler(previous);

  auto dbl = empty({2, 4}, kDouble), lng = empty({2}, kLong);
  auto grad = sample({2, 3}, kFloat, 5).requires_grad_();
  auto out_grad = empty({2, 4}).requires_grad_();
  oracle::Inputs in = {{"a", a}, {"b", b}, {"v", v}, {"t", bat}, {"g", grad}, {"og", out_grad}, {"d", dbl}, {"l", lng}};
  auto expect = [&](const std::string& code, auto fn) {
    const std::string quiet =
        "import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n    ";
    EXPECT_EQ(error_message(fn), oracle::error_of(quiet + code, in)) << code;
  };
  expect("torch.mm(a, b, out=d)", [&] { mm_out(dbl, a, b); });
  expect("torch.mm(a, b, out=l)", [&] { mm_out(lng, a, b); });
  expect("torch.mm(g, b, out=torch.empty(2, 4))", [&] {
    auto o = empty({2, 4});
    mm_out(o, grad, b);
  });
  expect("torch.mm(a, b, out=og)", [&] { mm_out(out_grad, a, b); });
  expect("torch.matmul(v, v, out=d)", [&] { matmul_out(dbl, v, v); });
  expect("torch.matmul(t, v, out=d)", [&] { matmul_out(dbl, bat, v); });
  expect("torch.matmul(g, v, out=torch.empty(2))", [&] {
    auto o = empty({2});
    matmul_out(o, grad, v);
  });
  expect("torch.matmul(g[0], v, out=torch.empty(2))", [&] {
    auto o = empty({2});
    matmul_out(o, grad[0], v);
  });
  expect("torch.matmul(g[None], t[:1], out=torch.empty(2))", [&] {
    auto o = empty({2});
    matmul_out(o, grad.unsqueeze(0), bat.narrow(0, 0, 1));
  });
  expect("torch.matmul(t.transpose(1, 2), g.t(), out=torch.empty(2))", [&] {
    auto o = empty({2});
    matmul_out(o, bat.transpose(1, 2), grad.t());
  });
}
