// Datasets: TensorDataset, Subset, random_split (PyTorch's index order), MapDataset, MNIST.
#include <nabla/data.h>

#include "data/data_testing.h"

namespace nabla::testing {
namespace {

using namespace nabla::data;

TEST(TensorDataset, GetAndSize) {
  const Tensor x = sample({5, 3}), y = arange(5);
  datasets::TensorDataset ds(x, y);
  ASSERT_EQ(ds.size(), std::optional<size_t>(5));
  const Example<> e = ds.get(2);
  EXPECT_SAME(e.data, x[2]);
  EXPECT_SAME(e.target, y[2]);
  const auto batch = ds.get_batch(std::vector<size_t>{4, 0});
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_SAME(batch[0].data, x[4]);
  EXPECT_SAME(batch[1].target, y[0]);
  EXPECT_EQ(error_message([&] { datasets::TensorDataset(x, arange(4)); }), "Size mismatch between tensors");
  EXPECT_EQ(oracle::error_of("torch.utils.data.TensorDataset(torch.zeros(5, 3), torch.arange(4))"),
            "Size mismatch between tensors");
}

TEST(RandomSplit, SameIndicesAsPyTorch) {
  const datasets::TensorDataset ds(arange(30), arange(30));
  for (uint64_t seed : {0, 42}) {
    auto gen = make_generator<CPUGeneratorImpl>(seed);
    const auto parts = random_split(ds, std::vector<int64_t>{7, 20, 3}, gen);
    const Tensor ref = oracle::eval(
        "torch.tensor(sum([list(s.indices) for s in torch.utils.data.random_split(range(30), [7, 20, 3], "
        "generator=torch.Generator().manual_seed(" + std::to_string(seed) + "))], []))");
    std::vector<int64_t> got;
    ASSERT_EQ(parts.size(), 3u);
    EXPECT_EQ(parts[0].size(), std::optional<size_t>(7));
    EXPECT_EQ(parts[2].size(), std::optional<size_t>(3));
    for (const auto& p : parts)
      for (size_t i : p.indices()) got.push_back(static_cast<int64_t>(i));
    EXPECT_SAME(tensor(got), ref);
    // A subset's example i is the source's example indices()[i].
    auto part = parts[1];
    EXPECT_SAME(part.get(3).data, arange(30)[static_cast<int64_t>(part.indices()[3])]);
    EXPECT_EQ(error_message([&] { part.get(20); }), "index 20 is out of range for a Subset of size 20");
  }
  // Fractions, with the remainder handed out round-robin; the default generator.
  manual_seed(5);
  const auto parts = random_split(ds, {0.25, 0.25, 0.5});
  const auto ref = oracle::run(
      "torch.manual_seed(5)\ns = torch.utils.data.random_split(range(30), [0.25, 0.25, 0.5])\n"
      "out = (torch.tensor(sum([list(p.indices) for p in s], [])), torch.tensor([len(p) for p in s]), torch.rand(2))");
  ASSERT_TRUE(ref.ok) << ref.error;
  std::vector<int64_t> got, sizes;
  for (const auto& p : parts) {
    sizes.push_back(static_cast<int64_t>(*p.size()));
    for (size_t i : p.indices()) got.push_back(static_cast<int64_t>(i));
  }
  EXPECT_SAME(tensor(got), ref.outputs[0]);
  EXPECT_SAME(tensor(sizes), ref.outputs[1]);
  EXPECT_SAME(rand({2}), ref.outputs[2]);  // the default generator advanced alike
  EXPECT_EQ(error_message([&] { random_split(ds, std::vector<int64_t>{10, 10}); }),
            oracle::error_of("torch.utils.data.random_split(range(30), [10, 10])"));
  EXPECT_EQ(error_message([&] { random_split(ds, {1.5, -0.5}); }),
            oracle::error_of("torch.utils.data.random_split(range(30), [1.5, -0.5])"));
}

TEST(MapDataset, TransformsThenStacks) {
  const Tensor x = sample({4, 2, 3, 3}), y = arange(4);
  auto ds = datasets::TensorDataset(x, y)
                .map(transforms::Normalize<>({0.5, -1.0}, {2.0, 0.5}))
                .map(transforms::Stack<>());
  const Example<> batch = ds.get_batch(std::vector<size_t>{3, 1});
  const Tensor ref = oracle::eval("((x - torch.tensor([0.5, -1.0])[:, None, None]) / torch.tensor([2.0, 0.5])[:, None, None])[[3, 1]]",
                                  {{"x", x}});
  EXPECT_SAME(batch.data, ref);
  EXPECT_SAME(batch.target, tensor({3, 1}));
  EXPECT_EQ(ds.size(), std::optional<size_t>(4));
}

TEST(FashionMNIST, RealFilesMatchAPythonReading) {
  datasets::FashionMNIST train;
  datasets::FashionMNIST test(datasets::FashionMNIST::kDefaultRoot, false);
  ASSERT_EQ(train.size(), std::optional<size_t>(60000));
  ASSERT_EQ(test.size(), std::optional<size_t>(10000));
  EXPECT_TRUE(train.is_train());
  EXPECT_FALSE(test.is_train());
  const Example<> first = train.get(0);
  EXPECT_EQ(first.data.sizes(), IntArrayRef({1, 28, 28}));
  EXPECT_EQ(first.data.scalar_type(), kFloat);
  EXPECT_EQ(first.target.scalar_type(), kLong);
  EXPECT_EQ(first.target.dim(), 0);
  const std::string reader =
      "import gzip\n"
      "def imgs(name):\n"
      "    raw = gzip.open('/usr/share/datasets/fashion-mnist/' + name).read()\n"
      "    return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(-1, 1, 28, 28)\n"
      "def labels(name):\n"
      "    raw = gzip.open('/usr/share/datasets/fashion-mnist/' + name).read()\n"
      "    return torch.frombuffer(bytearray(raw[8:]), dtype=torch.uint8).long()\n";
  for (const auto* ds : {&train, &test}) {
    const std::string prefix = ds->is_train() ? "train" : "t10k";
    const auto r = oracle::run(reader + "x = imgs('" + prefix + "-images-idx3-ubyte.gz')\ny = labels('" + prefix +
                               "-labels-idx1-ubyte.gz')\n"
                               "out = (x[:3].float() / 255, y[:20], x.double().sum(), x[:100].double().sum((1, 2, 3)), "
                               "torch.bincount(y))");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_SAME(ds->images().narrow(0, 0, 3), r.outputs[0]);
    EXPECT_SAME(ds->targets().narrow(0, 0, 20), r.outputs[1]);
    const Tensor pixels = (ds->images().to(kDouble) * 255).round();
    EXPECT_SAME(pixels.sum(), r.outputs[2]);
    EXPECT_SAME(pixels.narrow(0, 0, 100).sum({1, 2, 3}), r.outputs[3]);
    EXPECT_SAME(one_hot(ds->targets(), 10).sum({0}), r.outputs[4]);
    EXPECT_GE(ds->images().min().item<float>(), 0.f);
    EXPECT_LE(ds->images().max().item<float>(), 1.f);
  }
  // libtorch's spelling reads the same files.
  datasets::MNIST mnist(datasets::FashionMNIST::kDefaultRoot, datasets::MNIST::Mode::kTest);
  EXPECT_SAME(mnist.targets(), test.targets());
  EXPECT_EQ(error_message([] { datasets::MNIST("/nonexistent_mnist"); }),
            "MNIST: found neither '/nonexistent_mnist/train-images-idx3-ubyte' nor "
            "'/nonexistent_mnist/train-images-idx3-ubyte.gz'");
}

TEST(FashionMNIST, MismatchedFilesAreRejected) {
  TempDir dir;
  // Labels for 2 images, images for 3.
  std::vector<uint8_t> images = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
  images.resize(images.size() + 12, 9);
  std::vector<uint8_t> labels = {0, 0, 8, 1, 0, 0, 0, 2, 1, 2};
  write_bytes(dir.file("t10k-images-idx3-ubyte"), images);
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), labels);
  EXPECT_EQ(error_message([&] { datasets::MNIST(dir.path(), datasets::MNIST::Mode::kTest); }),
            "MNIST: '" + dir.file("t10k-images-idx3-ubyte") + "' holds 3 images but '" +
                dir.file("t10k-labels-idx1-ubyte") + "' 2 labels");
  labels[7] = 3;
  labels.push_back(0);
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), labels);
  datasets::MNIST small(dir.path(), datasets::MNIST::Mode::kTest);
  EXPECT_SAME(small.images(), full({3, 1, 2, 2}, 9, kFloat) / 255);
  EXPECT_SAME(small.targets(), tensor({1, 2, 0}));
}

}  // namespace
}  // namespace nabla::testing
