// Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d modules: Python's
// repr, PyTorch's default initialisation bit for bit, forward (padding modes included) against
// torch.nn with the same weights, option errors.
#include <nabla/nn/modules/conv.h>
#include <nabla/nn/modules/pooling.h>

#include <sstream>
#include <string>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;

namespace {

template <typename M>
std::string repr(const M& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

std::string torch_repr(const std::string& ctor) {
  auto r = oracle::run("out = repr(" + ctor + ")");
  EXPECT_TRUE(r.ok) << r.error;
  return r.strings.empty() ? std::string() : r.strings[0];
}

}  // namespace

TEST(ConvModules, ReprMatchesPython) {
  EXPECT_EQ(repr(nn::Conv2d(1, 32, 3)), torch_repr("torch.nn.Conv2d(1, 32, 3)"));
  EXPECT_EQ(
      repr(nn::Conv2d(nn::Conv2dOptions(4, 8, {3, 5}).stride({2, 1}).padding(1).dilation(2).groups(2).bias(false))),
      torch_repr("torch.nn.Conv2d(4, 8, (3, 5), stride=(2, 1), padding=1, dilation=2, groups=2, bias=False)"));
  EXPECT_EQ(repr(nn::Conv2d(nn::Conv2dOptions(3, 6, 3).padding(kSame).padding_mode(kReflect))),
            torch_repr("torch.nn.Conv2d(3, 6, 3, padding='same', padding_mode='reflect')"));
  EXPECT_EQ(repr(nn::Conv2d(nn::Conv2dOptions(3, 6, 3).padding(kValid))),
            torch_repr("torch.nn.Conv2d(3, 6, 3, padding='valid')"));
  EXPECT_EQ(repr(nn::Conv1d(nn::Conv1dOptions(3, 6, 4).stride(2).padding(1).padding_mode(kCircular))),
            torch_repr("torch.nn.Conv1d(3, 6, 4, stride=2, padding=1, padding_mode='circular')"));
  EXPECT_EQ(
      repr(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 2, 3).stride(2).padding(1).output_padding(1).groups(2))),
      torch_repr("torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2)"));
  EXPECT_EQ(repr(nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 2, 3).dilation(2).bias(false))),
            torch_repr("torch.nn.ConvTranspose2d(4, 2, 3, dilation=2, bias=False)"));
  EXPECT_EQ(repr(nn::MaxPool2d(2)), torch_repr("torch.nn.MaxPool2d(2)"));
  EXPECT_EQ(repr(nn::MaxPool2d(nn::MaxPool2dOptions({2, 3}).stride(1).padding(1).ceil_mode(true))),
            torch_repr("torch.nn.MaxPool2d((2, 3), stride=1, padding=1, ceil_mode=True)"));
  EXPECT_EQ(repr(nn::AvgPool2d(nn::AvgPool2dOptions(3).stride(2))), torch_repr("torch.nn.AvgPool2d(3, stride=2)"));
  EXPECT_EQ(repr(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({7, 5}))),
            torch_repr("torch.nn.AdaptiveAvgPool2d((7, 5))"));
  EXPECT_EQ(repr(nn::AdaptiveAvgPool2d(1)), torch_repr("torch.nn.AdaptiveAvgPool2d(1)"));
  EXPECT_EQ(repr(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({std::nullopt, 3}))),
            torch_repr("torch.nn.AdaptiveAvgPool2d((None, 3))"));
}

TEST(ConvModules, DefaultInitMatchesTorchBitForBit) {
  manual_seed(7);
  nn::Conv2d c2(nn::Conv2dOptions(3, 8, {3, 2}).groups(1));
  nn::Conv1d c1(nn::Conv1dOptions(4, 6, 5).groups(2));
  nn::ConvTranspose2d ct(nn::ConvTranspose2dOptions(4, 6, 3).groups(2));
  nn::Conv2d nb(nn::Conv2dOptions(2, 3, 3).bias(false));
  auto r = oracle::run(
      "torch.manual_seed(7)\n"
      "a = torch.nn.Conv2d(3, 8, (3, 2))\nb = torch.nn.Conv1d(4, 6, 5, groups=2)\n"
      "c = torch.nn.ConvTranspose2d(4, 6, 3, groups=2)\nd = torch.nn.Conv2d(2, 3, 3, bias=False)\n"
      "out = tuple(t.detach() for t in (a.weight, a.bias, b.weight, b.bias, c.weight, c.bias, d.weight))");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(same(c2->weight, r.tensor(0), 0, 0));
  EXPECT_TRUE(same(c2->bias, r.tensor(1), 0, 0));
  EXPECT_TRUE(same(c1->weight, r.tensor(2), 0, 0));
  EXPECT_TRUE(same(c1->bias, r.tensor(3), 0, 0));
  EXPECT_TRUE(same(ct->weight, r.tensor(4), 0, 0));
  EXPECT_TRUE(same(ct->bias, r.tensor(5), 0, 0));
  EXPECT_TRUE(same(nb->weight, r.tensor(6), 0, 0));
  EXPECT_FALSE(nb->bias.defined());
  EXPECT_EQ(c2->parameters().size(), 2u);
  EXPECT_EQ(nb->parameters().size(), 1u);
}

TEST(ConvModules, ForwardWithPaddingModesMatchesTorch) {
  for (PadKind mode : {kZeros, kReflect, kReplicate, kCircular}) {
    const std::string name = std::string(enum_name(mode));
    nn::Conv2d c(nn::Conv2dOptions(3, 4, {3, 2}).padding({2, 1}).padding_mode(mode));
    Tensor x = sample({2, 3, 6, 5}, kFloat, 1).requires_grad_(true);
    Tensor y = c(x);
    y.pow(2).sum().backward();
    auto r = oracle::run("m = torch.nn.Conv2d(3, 4, (3, 2), padding=(2, 1), padding_mode='" + name +
                             "')\nwith torch.no_grad():\n  m.weight.copy_(w)\n  m.bias.copy_(b)\n"
                             "y = m(x)\ny.pow(2).sum().backward()\nout = (y, x.grad, m.weight.grad, m.bias.grad)",
                         {{"x", x}, {"w", c->weight.detach()}, {"b", c->bias.detach()}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(same(y, r.tensor(0), 1e-4, 1e-4)) << name;
    EXPECT_TRUE(same(x.grad(), r.tensor(1), 1e-4, 1e-4)) << name;
    EXPECT_TRUE(same(c->weight.grad(), r.tensor(2), 1e-4, 1e-3)) << name;
    EXPECT_TRUE(same(c->bias.grad(), r.tensor(3), 1e-4, 1e-3)) << name;
  }
  nn::Conv1d c1(nn::Conv1dOptions(2, 3, 4).padding(kSame).padding_mode(kReflect));
  Tensor x1 = sample({2, 2, 7}, kFloat, 2);
  auto r1 = oracle::run(
      "m = torch.nn.Conv1d(2, 3, 4, padding='same', padding_mode='reflect')\n"
      "with torch.no_grad():\n  m.weight.copy_(w)\n  m.bias.copy_(b)\nout = m(x)",
      {{"x", x1}, {"w", c1->weight.detach()}, {"b", c1->bias.detach()}});
  EXPECT_TRUE(same(c1(x1), r1.tensor(0), 1e-4, 1e-4));
}

TEST(ConvModules, ConvTranspose2dOutputSize) {
  nn::ConvTranspose2d ct(nn::ConvTranspose2dOptions(3, 2, 3).stride(2).padding(1));
  Tensor x = sample({1, 3, 4, 4}, kFloat, 1);
  oracle::Inputs in = {{"x", x}, {"w", ct->weight.detach()}, {"b", ct->bias.detach()}};
  const std::string mk =
      "m = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)\n"
      "with torch.no_grad():\n  m.weight.copy_(w)\n  m.bias.copy_(b)\n";
  EXPECT_TRUE(same(ct(x), oracle::run(mk + "out = m(x)", in).tensor(0), 1e-4, 1e-4));
  EXPECT_TRUE(same(ct->forward(x, IntArrayRef{8, 8}), oracle::run(mk + "out = m(x, output_size=(8, 8))", in).tensor(0),
                   1e-4, 1e-4));
  EXPECT_EQ(error_message([&] {
              ct->forward(x, IntArrayRef{10, 10});
            }),
            oracle::error_of(mk + "m(x, output_size=(10, 10))", in));
}

TEST(ConvModules, PoolingModulesForward) {
  Tensor x = sample({2, 3, 9, 8}, kFloat, 1);
  nn::MaxPool2d mp(nn::MaxPool2dOptions(3).stride(2).padding(1));
  auto [v, i] = mp->forward_with_indices(x);
  auto r = oracle::run("out = torch.nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)(x)", {{"x", x}});
  EXPECT_SAME(v, r.tensor(0));
  EXPECT_SAME(i, r.tensor(1));
  EXPECT_SAME(mp(x), v);
  nn::AvgPool2d ap(nn::AvgPool2dOptions(2).ceil_mode(true).count_include_pad(false).padding(1));
  EXPECT_SAME(ap(x),
              oracle::eval("torch.nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False, padding=1)(x)", {{"x", x}}));
  nn::AdaptiveAvgPool2d aa(nn::AdaptiveAvgPool2dOptions({std::nullopt, 3}));
  EXPECT_SAME(aa(x), oracle::eval("torch.nn.AdaptiveAvgPool2d((None, 3))(x)", {{"x", x}}));
}

TEST(ConvModules, OptionErrors) {
  auto expect = [](const std::string& py_code, auto&& fn) {
    EXPECT_EQ(error_message(fn), oracle::error_of(py_code)) << py_code;
  };
  expect("torch.nn.Conv2d(4, 4, 3, groups=0)", [] { nn::Conv2d(nn::Conv2dOptions(4, 4, 3).groups(0)); });
  expect("torch.nn.Conv2d(3, 4, 3, groups=2)", [] { nn::Conv2d(nn::Conv2dOptions(3, 4, 3).groups(2)); });
  expect("torch.nn.Conv2d(4, 3, 3, groups=2)", [] { nn::Conv2d(nn::Conv2dOptions(4, 3, 3).groups(2)); });
  expect("torch.nn.Conv2d(4, 3, 3, stride=2, padding='same')",
         [] { nn::Conv2d(nn::Conv2dOptions(4, 3, 3).stride(2).padding(kSame)); });
  expect("torch.nn.ConvTranspose2d(4, 3, 3, padding_mode='reflect')",
         [] { nn::ConvTranspose2d(nn::ConvTranspose2dOptions(4, 3, 3).padding_mode(kReflect)); });
}
