// A Tensor is a handle (Note [Assigning to a tensor]): in-place methods are const, and
// assigning to a temporary writes into the tensor it refers to, as libtorch.
#include <type_traits>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {
// x.grad() is a const Tensor&: these compile only with const in-place methods.
template <typename T>
concept ZeroableThroughConst = requires(const T& t) {
  t.zero_();
  t.add_(t);
  t.mul_(2);
  t.copy_(t);
  t.fill_(1);
  t.requires_grad_();
  t.mutable_grad();
  t.eq_(t);
};
static_assert(ZeroableThroughConst<Tensor>);
// A named tensor rebinds; a const one cannot be assigned at all (as in libtorch).
static_assert(std::is_copy_assignable_v<Tensor> && std::is_move_assignable_v<Tensor>);
static_assert(!std::is_assignable_v<const Tensor&, Tensor>);
}  // namespace

TEST(TensorHandle, InPlaceMethodsThroughConstGrad) {
  auto w = sample({2, 3}, kDouble, 1).requires_grad_();
  (w * w).sum().backward();
  const Tensor& g = w.grad();
  Tensor before = g.clone();
  g.mul_(3).add_(1);
  EXPECT_SAME(w.grad(), before * 3 + 1);
  w.grad().zero_();
  EXPECT_SAME(w.grad(), zeros({2, 3}, kDouble));
  EXPECT_EQ(&w.grad().mutable_grad(), &w.grad().mutable_grad());
}

TEST(TensorHandle, AssignToIndexedTemporaryWritesThrough) {
  auto t = zeros({2, 3});
  t[0][1] = 5;
  t[1] = 2.5;
  t[0][2] = t[1][0] * 2;
  t.index({0, indexing::Slice(0, 1)}) = -1;
  auto ref =
      oracle::run("t = torch.zeros(2, 3); t[0][1] = 5; t[1] = 2.5; t[0][2] = t[1][0] * 2; t[0, 0:1] = -1; out = t");
  EXPECT_SAME(t, ref.tensor());
}

TEST(TensorHandle, AssignToTemporaryCopiesWithBroadcasting) {
  auto t = zeros({2, 3});
  auto row = tensor({1.f, 2.f, 3.f});
  t[1] = row;
  t[0] = tensor({7.f});
  auto ref =
      oracle::run("t = torch.zeros(2, 3); t[1] = torch.tensor([1., 2., 3.]); t[0] = torch.tensor([7.]); out = t");
  EXPECT_SAME(t, ref.tensor());
  // The temporary's own copy semantics: the row is copied, not shared.
  row.fill_(0);
  EXPECT_EQ(t[1][2].item<float>(), 3.f);
  EXPECT_EQ(error_message([&] { t[0] = zeros({4}); }),
            oracle::error_of("t = torch.zeros(2, 3); t[0].copy_(torch.zeros(4))"));  // what libtorch's C++ does
}

TEST(TensorHandle, AssignToDataOfGradScalesTheGradient) {
  // dist-mnist's `param.grad().data() = param.grad().data() / n;`
  auto p = sample({3}, kDouble, 2).requires_grad_();
  (p * p).sum().backward();
  Tensor grad = p.grad();
  p.grad().data() = p.grad().data() / 4;
  auto ref =
      oracle::run("p.requires_grad_(); y = (p * p).sum(); y.backward(); p.grad.data = p.grad.data / 4; out = p.grad",
                  {{"p", p.detach()}});
  EXPECT_SAME(p.grad(), ref.tensor());
  EXPECT_TRUE(grad.is_same(p.grad()));  // written in place, not rebound
}

TEST(TensorHandle, AssignToNamedTensorRebinds) {
  auto a = zeros({2});
  auto b = ones({2});
  a = b;
  EXPECT_TRUE(a.is_same(b));
  Tensor c;
  c = std::move(b);
  EXPECT_TRUE(c.is_same(a));
}

TEST(TensorHandle, InPlaceComparisonsKeepTheDtype) {
  auto a = tensor({1., 2., 3., 4.});
  auto b = tensor({1., 0., 3., 5.});
  auto ref = oracle::run(
      "r = [a.clone().eq_(b), a.clone().ne_(b), a.clone().lt_(b), a.clone().le_(b), a.clone().gt_(2), "
      "a.clone().ge_(2)]; "
      "out = tuple(r)",
      {{"a", a}, {"b", b}});
  EXPECT_SAME(a.clone().eq_(b), ref.tensor(0));
  EXPECT_SAME(a.clone().ne_(b), ref.tensor(1));
  EXPECT_SAME(a.clone().lt_(b), ref.tensor(2));
  EXPECT_SAME(a.clone().le_(b), ref.tensor(3));
  EXPECT_SAME(a.clone().gt_(2), ref.tensor(4));
  EXPECT_SAME(a.clone().ge_(2), ref.tensor(5));
  auto small = tensor({1., 2.});
  EXPECT_EQ(error_message([&] {
              small.eq_(zeros({2, 2}));
            }),
            oracle::error_of("torch.tensor([1., 2.]).eq_(torch.zeros(2, 2))"));
}

TEST(TensorHandle, DeviceNamesForTheCpu) {
  auto t = sample({2, 2});
  EXPECT_TRUE(t.to(kCPU).is_same(t));
  EXPECT_TRUE(t.to(Device(kCPU)).is_same(t));
  EXPECT_TRUE(t.cpu().is_same(t));
  EXPECT_FALSE(t.is_cuda());
  EXPECT_EQ(t.to(Device(kCPU), kDouble).scalar_type(), kDouble);
  EXPECT_EQ(t.to(zeros({1}, kLong)).scalar_type(), kLong);
  EXPECT_EQ(t.data<float>(), t.data_ptr<float>());
  EXPECT_EQ(error_message([&] { t.to(kCUDA); }), "Torch not compiled with CUDA enabled");
  EXPECT_EQ(error_message([&] { t.cuda(); }), oracle::error_of("torch.zeros(1).cuda()"));
  nn::Linear fc(2, 2);
  Tensor w = fc->weight;
  fc->to(kCPU);
  fc->to(Device(kCPU), kDouble);
  EXPECT_TRUE(fc->weight.is_same(w));
  EXPECT_EQ(w.scalar_type(), kDouble);
  EXPECT_EQ(error_message([&] { fc->to(kCUDA); }), "Torch not compiled with CUDA enabled");
}
