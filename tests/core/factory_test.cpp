// Factories: dtype inference, values (bit for bit for ranges) and errors, against PyTorch.
#include <array>
#include <cmath>
#include <sstream>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;

namespace {
std::string py_dtype(ScalarType t) {
  switch (t) {
    case kFloat: return "torch.float32";
    case kDouble: return "torch.float64";
    case kLong: return "torch.int64";
    case kInt: return "torch.int32";
    case kByte: return "torch.uint8";
    default: return "torch.bool";
  }
}
std::string num(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}
}  // namespace

TEST(Factory, ArangeInfersDtypeLikeTorch) {
  EXPECT_TRUE(same(arange(5), oracle::eval("torch.arange(5)"), 0, 0));
  EXPECT_TRUE(same(arange(5.), oracle::eval("torch.arange(5.)"), 0, 0));
  EXPECT_TRUE(same(arange(1, 4, 0.5), oracle::eval("torch.arange(1, 4, 0.5)"), 0, 0));
  EXPECT_TRUE(same(arange(5, 0, -1), oracle::eval("torch.arange(5, 0, -1)"), 0, 0));
  EXPECT_TRUE(same(arange(-3, 10, 4), oracle::eval("torch.arange(-3, 10, 4)"), 0, 0));
  EXPECT_TRUE(same(arange(true), oracle::eval("torch.arange(True)"), 0, 0));
  EXPECT_TRUE(same(arange(0, 3, kByte), oracle::eval("torch.arange(0, 3, dtype=torch.uint8)"), 0, 0));
  EXPECT_TRUE(same(arange(2, 9, 2, kInt), oracle::eval("torch.arange(2, 9, 2, dtype=torch.int32)"), 0, 0));
  EXPECT_TRUE(same(arange(0.5, 5, kLong), oracle::eval("torch.arange(0.5, 5, dtype=torch.int64)"), 0, 0));
  EXPECT_TRUE(same(arange(0.5, 5, 1, kInt), oracle::eval("torch.arange(0.5, 5, 1, dtype=torch.int32)"), 0, 0));
  EXPECT_TRUE(same(arange(3, kDouble), oracle::eval("torch.arange(3, dtype=torch.float64)"), 0, 0));
  EXPECT_TRUE(same(arange(0, 0), oracle::eval("torch.arange(0, 0)"), 0, 0));
  Tensor g = arange(4., TensorOptions().requires_grad(true));
  EXPECT_TRUE(g.requires_grad() && g.is_leaf());
  set_default_dtype(kDouble);
  Tensor d = arange(2.5);
  set_default_dtype(kFloat);
  EXPECT_TRUE(same(d, oracle::eval("torch.arange(2.5, dtype=torch.float64)"), 0, 0));
}

TEST(Factory, FloatingRangesAreBitExact) {
  // Long ranges with awkward steps: every element must carry PyTorch's rounding.
  const std::vector<std::array<double, 3>> cases = {{0.1, 10.3, 0.037},  {-3.3, 7.1, 0.0123}, {1e5 + 0.1, 1e5 + 50, 0.0731},
                                                    {2.0, -7.77, -0.013}, {0, 1, 0.1},         {0.3, 1.9, 0.2}};
  for (ScalarType dt : {kFloat, kDouble}) {
    for (const auto& c : cases) {
      const std::string args = num(c[0]) + ", " + num(c[1]) + ", " + num(c[2]) + ", dtype=" + py_dtype(dt);
      EXPECT_TRUE(same(arange(c[0], c[1], c[2], dt), oracle::eval("torch.arange(" + args + ")"), 0, 0)) << args;
    }
    for (int64_t steps : {2, 3, 7, 15, 16, 17, 20, 33, 100, 277, 846}) {
      for (const auto& c : cases) {
        const std::string args = num(c[0]) + ", " + num(c[1]) + ", " + std::to_string(steps) + ", dtype=" + py_dtype(dt);
        EXPECT_TRUE(same(linspace(c[0], c[1], steps, dt), oracle::eval("torch.linspace(" + args + ")"), 0, 0)) << args;
      }
    }
  }
}

TEST(Factory, LinspaceDtypesAndEdgeCases) {
  EXPECT_TRUE(same(linspace(0, 1, 5), oracle::eval("torch.linspace(0, 1, 5)"), 0, 0));
  EXPECT_TRUE(same(linspace(0, 1, 0), oracle::eval("torch.linspace(0, 1, 0)"), 0, 0));
  EXPECT_TRUE(same(linspace(3, 1, 1), oracle::eval("torch.linspace(3, 1, 1)"), 0, 0));
  for (ScalarType dt : {kLong, kInt, kByte}) {
    for (int64_t steps : {2, 5, 7, 40, 70}) {
      const std::string args = "0, 100, " + std::to_string(steps) + ", dtype=" + py_dtype(dt);
      EXPECT_TRUE(same(linspace(0, 100, steps, dt), oracle::eval("torch.linspace(" + args + ")"), 0, 0)) << args;
    }
  }
  EXPECT_TRUE(same(linspace(-7, 13, 37, kLong), oracle::eval("torch.linspace(-7, 13, 37, dtype=torch.int64)"), 0, 0));
  EXPECT_TRUE(same(linspace(10, -3, 9, kInt), oracle::eval("torch.linspace(10, -3, 9, dtype=torch.int32)"), 0, 0));
}

TEST(Factory, Eye) {
  EXPECT_TRUE(same(eye(3), oracle::eval("torch.eye(3)"), 0, 0));
  EXPECT_TRUE(same(eye(2, 3, kLong), oracle::eval("torch.eye(2, 3, dtype=torch.int64)"), 0, 0));
  EXPECT_TRUE(same(eye(4, 2, kBool), oracle::eval("torch.eye(4, 2, dtype=torch.bool)"), 0, 0));
  EXPECT_TRUE(same(eye(0), oracle::eval("torch.eye(0)"), 0, 0));
  EXPECT_TRUE(same(eye(3, 0, kDouble), oracle::eval("torch.eye(3, 0, dtype=torch.float64)"), 0, 0));
}

TEST(Factory, RangeErrorsMatchTorch) {
  auto e = [](const std::string& py) { return oracle::error_of(py); };
  EXPECT_EQ(error_message([] { arange(0, 5, 0); }), e("torch.arange(0, 5, 0)"));
  EXPECT_EQ(error_message([] { arange(0., 5., 0.); }), e("torch.arange(0., 5., 0.)"));
  EXPECT_EQ(error_message([] { arange(0, 5, -1); }), e("torch.arange(0, 5, -1)"));
  EXPECT_EQ(error_message([] { arange(5, 0); }), e("torch.arange(5, 0)"));
  EXPECT_EQ(error_message([] { arange(0.5, -2., 0.5); }), e("torch.arange(0.5, -2., 0.5)"));
  EXPECT_EQ(error_message([] { arange(0, NAN); }), e("torch.arange(0, float('nan'))"));
  EXPECT_EQ(error_message([] { arange(0, INFINITY); }), e("torch.arange(0, float('inf'))"));
  EXPECT_EQ(error_message([] { arange(0, 10, kBool); }), e("torch.arange(0, 10, dtype=torch.bool)"));
  EXPECT_EQ(error_message([] { linspace(0, 1, -1); }), e("torch.linspace(0, 1, -1)"));
  EXPECT_EQ(error_message([] { linspace(0, 1, 3, kBool); }), e("torch.linspace(0, 1, 3, dtype=torch.bool)"));
  EXPECT_EQ(error_message([] { eye(-1); }), e("torch.eye(-1)"));
  EXPECT_EQ(error_message([] { eye(2, -1); }), e("torch.eye(2, -1)"));
}

TEST(Factory, OnlyTheCpuDeviceHasKernels) {
  EXPECT_TRUE(zeros({2}, TensorOptions().device(Device(kCPU))).device().is_cpu());
  const std::string cuda = oracle::error_of("torch.zeros(2, device='cuda')");
  EXPECT_EQ(error_message([] { zeros({2}, TensorOptions().device(Device(kCUDA))); }), cuda);
  EXPECT_EQ(error_message([] { ones({2}, device(kCUDA)); }), cuda);
  EXPECT_FALSE(Device(kCUDA).is_cpu());
}

TEST(Factory, FilledFactoriesMatchTorch) {
  for (ScalarType dt : {kFloat, kDouble, kLong, kInt, kByte, kBool}) {
    const std::string d = py_dtype(dt);
    EXPECT_TRUE(same(zeros({2, 3}, dt), oracle::eval("torch.zeros(2, 3, dtype=" + d + ")"), 0, 0));
    EXPECT_TRUE(same(ones({3}, dt), oracle::eval("torch.ones(3, dtype=" + d + ")"), 0, 0));
    EXPECT_TRUE(same(full({2, 2}, 1, dt), oracle::eval("torch.full((2, 2), 1, dtype=" + d + ")"), 0, 0));
    Tensor like = zeros({2, 1}, dt);
    EXPECT_TRUE(same(ones_like(like), oracle::eval("torch.ones_like(torch.zeros(2, 1, dtype=" + d + "))"), 0, 0));
    EXPECT_TRUE(same(zeros_like(like, kDouble), oracle::eval("torch.zeros(2, 1, dtype=torch.float64)"), 0, 0));
    EXPECT_TRUE(same(full_like(like, 1), oracle::eval("torch.full_like(torch.zeros(2, 1, dtype=" + d + "), 1)"), 0, 0));
    EXPECT_EQ(empty_like(like).scalar_type(), dt);
    EXPECT_EQ(empty_like(like).sizes(), like.sizes());
  }
  EXPECT_TRUE(same(full({2}, 7), oracle::eval("torch.full((2,), 7)"), 0, 0));
  EXPECT_TRUE(same(full({2}, true), oracle::eval("torch.full((2,), True)"), 0, 0));
  EXPECT_TRUE(same(full({2}, 2.5), oracle::eval("torch.full((2,), 2.5)"), 0, 0));
  EXPECT_TRUE(same(zeros({0, 3}), oracle::eval("torch.zeros(0, 3)"), 0, 0));
  EXPECT_TRUE(same(ones({}), oracle::eval("torch.ones(())"), 0, 0));
  EXPECT_TRUE(same(scalar_tensor(3.5), oracle::eval("torch.scalar_tensor(3.5)"), 0, 0));
  EXPECT_TRUE(same(scalar_tensor(3, kLong), oracle::eval("torch.scalar_tensor(3, dtype=torch.int64)"), 0, 0));
  EXPECT_EQ(error_message([] { zeros({-1}); }), oracle::error_of("torch.zeros(-1)"));
  EXPECT_EQ(error_message([] { empty({2, -3}); }), oracle::error_of("torch.empty(2, -3)"));
  EXPECT_EQ(error_message([] { ones({2}, kLong).requires_grad_(); }),
            oracle::error_of("torch.ones(2, dtype=torch.int64).requires_grad_()"));
}

TEST(Factory, FromBlobWrapsWithoutCopying) {
  float data[6] = {1, 2, 3, 4, 5, 6};
  Tensor t = from_blob(data, {2, 3});
  EXPECT_EQ(t.data_ptr(), static_cast<void*>(data));
  EXPECT_TRUE(same(t, oracle::eval("torch.tensor([[1., 2, 3], [4, 5, 6]])"), 0, 0));
  Tensor s = from_blob(data, {3, 2}, {1, 3});
  EXPECT_TRUE(same(s.contiguous(), oracle::eval("torch.tensor([[1., 2, 3], [4, 5, 6]]).t()"), 0, 0));
  int64_t ints[3] = {4, 5, 6};
  bool freed = false;
  {
    Tensor u = from_blob(ints, {3}, [&](void*) { freed = true; }, kLong);
    EXPECT_TRUE(same(u, oracle::eval("torch.tensor([4, 5, 6])"), 0, 0));
  }
  EXPECT_TRUE(freed);
  data[0] = 9;
  EXPECT_EQ(t.index({0, 0}).item<float>(), 9.0f);
}

TEST(Factory, TensorFromListsInfersDtypeLikeTorch) {
  EXPECT_TRUE(same(tensor({1, 2}), oracle::eval("torch.tensor([1, 2])"), 0, 0));
  EXPECT_TRUE(same(tensor({1, 2.5}), oracle::eval("torch.tensor([1, 2.5])"), 0, 0));
  EXPECT_TRUE(same(tensor({true, false}), oracle::eval("torch.tensor([True, False])"), 0, 0));
  EXPECT_TRUE(same(tensor({1, true}), oracle::eval("torch.tensor([1, True])"), 0, 0));
  EXPECT_TRUE(same(tensor({true, 2.5}), oracle::eval("torch.tensor([True, 2.5])"), 0, 0));
  EXPECT_TRUE(same(tensor({{1, 2}, {3, 4}}), oracle::eval("torch.tensor([[1, 2], [3, 4]])"), 0, 0));
  EXPECT_TRUE(same(tensor({{1, 2}, {3.5, 4}}), oracle::eval("torch.tensor([[1, 2], [3.5, 4]])"), 0, 0));
  EXPECT_TRUE(same(tensor({{{1.f}, {2.f}}}), oracle::eval("torch.tensor([[[1.], [2.]]])"), 0, 0));
  EXPECT_TRUE(same(tensor(3.5), oracle::eval("torch.tensor(3.5)"), 0, 0));
  EXPECT_TRUE(same(tensor(7), oracle::eval("torch.tensor(7)"), 0, 0));
  EXPECT_TRUE(same(tensor({}), oracle::eval("torch.tensor([])"), 0, 0));
  EXPECT_TRUE(same(tensor({{1, 2}}, kDouble), oracle::eval("torch.tensor([[1, 2]], dtype=torch.float64)"), 0, 0));
  EXPECT_TRUE(same(tensor(std::vector<double>{0.5, 1.5}), oracle::eval("torch.tensor([0.5, 1.5])"), 0, 0));
  EXPECT_TRUE(same(tensor(std::vector<int64_t>{3, 4}), oracle::eval("torch.tensor([3, 4])"), 0, 0));
  EXPECT_TRUE(same(tensor(std::vector<bool>{true}), oracle::eval("torch.tensor([True])"), 0, 0));
  Tensor r = tensor({1.0, 2.0}, TensorOptions().requires_grad(true));
  EXPECT_TRUE(r.requires_grad() && r.is_leaf());
  set_default_dtype(kDouble);
  Tensor d = tensor({1, 2.5});
  set_default_dtype(kFloat);
  EXPECT_TRUE(same(d, oracle::eval("torch.tensor([1, 2.5], dtype=torch.float64)"), 0, 0));
}

TEST(Factory, RaggedListsAreRejectedWithLibtorchsMessage) {
  // Python's torch.tensor has no C++ braces to print; these are libtorch's messages.
  EXPECT_EQ(error_message([] { tensor({{1, 2}, {3}}); }),
            "Expected all sub-lists to have sizes: 2 (e.g. {1, 2}), but got sub-list {3} with sizes: 1");
  EXPECT_EQ(error_message([] { tensor({{1, 2}, 3}); }),
            "Expected all sub-lists to have sizes: 2 (e.g. {1, 2}), but got sub-list 3 with sizes: ");
  EXPECT_EQ(error_message([] { tensor({{1.5, 2.}, {true}}); }),
            "Expected all sub-lists to have sizes: 2 (e.g. {1.5, 2}), but got sub-list {1} with sizes: 1");
  EXPECT_EQ(error_message([] { tensor({{{1, 2}, {3, 4}}, {{1, 2}}}); }),
            "Expected all sub-lists to have sizes: 2 2 (e.g. {{1, 2}, {3, 4}}), but got sub-list {{1, 2}} with sizes: 1 2");
  // PyTorch rejects the same lists.
  EXPECT_FALSE(oracle::error_of("torch.tensor([[1, 2], [3]])").empty());
}

TEST(Storage, ASizeNoAllocatorCanServeIsAnError) {
  // Above half the address space the allocator refuses before asking the system (an
  // allocation that size can never succeed, and sanitizers abort on one instead of failing).
  const size_t huge = SIZE_MAX - 100;
  EXPECT_EQ(error_message([&] { (void)nabla::StorageImpl::allocate(huge); }),
            "DefaultCPUAllocator: not enough memory: you tried to allocate " + std::to_string(huge) + " bytes.");
  // Storage of a usual size still comes back, zero-length included.
  EXPECT_EQ(nabla::StorageImpl::allocate(0)->nbytes(), 0u);
  EXPECT_EQ(nabla::StorageImpl::allocate(1 << 20)->nbytes(), size_t(1) << 20);
}

// Sizes are checked before anything is allocated, with PyTorch's messages (issue: sizes overflow).
TEST(Storage, SizesThatOverflowOrAreNegativeAreRefused) {
  EXPECT_EQ(error_message([] { (void)zeros({1LL << 31, 1LL << 31}); }),
            "Storage size calculation overflowed with sizes=[2147483648, 2147483648]");
  EXPECT_EQ(error_message([] { (void)zeros({1LL << 40, 1LL << 40}); }),
            "Storage size calculation overflowed with sizes=[1099511627776, 1099511627776]");
  EXPECT_EQ(error_message([] { (void)empty({INT64_MAX / 2, 3}, kByte); }),
            "Storage size calculation overflowed with sizes=[4611686018427387903, 3]");
  EXPECT_EQ(error_message([] { (void)empty({2, -4}); }), "Trying to create tensor with negative dimension -4: [2, -4]");
  float buf[8] = {};
  EXPECT_EQ(error_message([&] { (void)from_blob(buf, {2, -4}); }),
            "Trying to create tensor with negative dimension -4: [2, -4]");
  EXPECT_EQ(error_message([&] { (void)from_blob(buf, {1LL << 40, 1LL << 40}, {1LL << 40, 1}); }),
            "Storage size calculation overflowed with sizes=[1099511627776, 1099511627776]");
  // A size no machine here can hold is refused before the system is asked (4 TiB of floats).
  EXPECT_EQ(error_message([] { (void)empty({1LL << 40}); }),
            "DefaultCPUAllocator: not enough memory: you tried to allocate 4398046511104 bytes.");
  // Zero elements need no storage, whatever the other sizes.
  EXPECT_EQ(zeros({0, 1LL << 62}).numel(), 0);
  EXPECT_EQ(from_blob(buf, {2, 4}).numel(), 8);
  EXPECT_EQ(from_blob(buf, {0, 1LL << 62}, {1, 1}).numel(), 0);
  // Found by fuzz_idx: huge sizes beside a zero one (no elements, but the product of the other
  // sizes, which strides and reductions use, does not fit).
  EXPECT_EQ(error_message([] { (void)empty({5046528, 1090584576, 0, 335544320}, kDouble); }),
            "Storage size calculation overflowed with sizes=[5046528, 1090584576, 0, 335544320]");
}
