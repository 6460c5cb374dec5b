// Transforms: Normalize, Flatten, lambdas, Stack, and torchvision's random flips and crops.
#include <nabla/data.h>

#include "data/data_testing.h"

namespace nabla::testing {
namespace {

using namespace nabla::data;

TEST(Transforms, NormalizeFlattenLambdas) {
  const Tensor img = sample({3, 4, 5});
  transforms::Normalize<> norm({0.1, 0.2, 0.3}, {0.5, 1.5, 2.5});
  EXPECT_SAME(norm(img), oracle::eval("(x - torch.tensor([0.1, 0.2, 0.3])[:, None, None]) / "
                                      "torch.tensor([0.5, 1.5, 2.5])[:, None, None]", {{"x", img}}));
  transforms::Normalize<> one(0.5, 2.0);  // one value for every channel
  EXPECT_SAME(one(img), (img - 0.5) / 2.0);
  const Example<> e = norm.apply({img, tensor(3)});
  EXPECT_SAME(e.target, tensor(3));
  EXPECT_SAME(transforms::flatten()(img), img.reshape({60}));
  EXPECT_SAME(transforms::Flatten<>(1)(img), img.reshape({3, 20}));
  transforms::TensorLambda<> twice([](Tensor t) { return t * 2; });
  EXPECT_SAME(twice(img), img * 2);
  transforms::Lambda<Example<>> swap([](Example<> x) { return Example<>(x.target, x.data); });
  EXPECT_SAME(swap.apply({img, tensor(1)}).data, tensor(1));
  transforms::BatchLambda<std::vector<Example<>>, int64_t> count([](std::vector<Example<>> b) {
    return static_cast<int64_t>(b.size());
  });
  EXPECT_EQ(count.apply_batch({{img, img}, {img, img}}), 2);
  transforms::Stack<> stack;
  const Example<> batch = stack.apply_batch({{img, tensor(1)}, {img * 2, tensor(2)}});
  EXPECT_SAME(batch.data, nabla::stack({img, img * 2}));
  EXPECT_SAME(batch.target, tensor({1, 2}));
}

TEST(Transforms, RandomHorizontalFlipDrawsAsTorchvision) {
  const Tensor imgs = sample({12, 2, 3, 4});
  for (double p : {0.5, 0.3}) {
    manual_seed(17);
    transforms::RandomHorizontalFlip<> flip(p);
    std::vector<Tensor> got;
    for (int64_t i = 0; i < 12; ++i) got.push_back(flip(imgs[i]));
    // torchvision.transforms.RandomHorizontalFlip.forward: if torch.rand(1) < p: F.hflip(img)
    const Tensor ref = oracle::eval("torch.manual_seed(17) and torch.stack([x.flip(-1) if torch.rand(1) < " +
                                        std::to_string(p) + " else x for x in imgs])",
                                    {{"imgs", imgs}});
    EXPECT_SAME(nabla::stack(got), ref);
  }
}

TEST(Transforms, RandomCropDrawsAsTorchvision) {
  const Tensor imgs = sample({10, 1, 5, 6});
  for (int64_t padding : {0, 2}) {
    manual_seed(23);
    transforms::RandomCrop<> crop({4, 3}, padding);
    std::vector<Tensor> got;
    for (int64_t i = 0; i < 10; ++i) got.push_back(crop(imgs[i]));
    // torchvision.transforms.RandomCrop: F.pad(img, padding), then get_params draws i, j.
    const std::string code =
        "torch.manual_seed(23)\nres = []\nfor x in imgs:\n"
        "    x = torch.nn.functional.pad(x, [" + std::to_string(padding) + "] * 4)\n"
        "    h, w = x.shape[-2:]\n"
        "    i = torch.randint(0, h - 4 + 1, size=(1,)).item()\n"
        "    j = torch.randint(0, w - 3 + 1, size=(1,)).item()\n"
        "    res.append(x[..., i:i + 4, j:j + 3])\nout = torch.stack(res)";
    const auto r = oracle::run(code, {{"imgs", imgs}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_SAME(nabla::stack(got), r.outputs[0]);
  }
  // The full size draws nothing.
  manual_seed(1);
  const Tensor before = rand({1});
  manual_seed(1);
  EXPECT_SAME(transforms::RandomCrop<>(std::array<int64_t, 2>{5, 6})(imgs[0]), imgs[0]);
  EXPECT_SAME(rand({1}), before);
  EXPECT_EQ(error_message([&] { transforms::RandomCrop<>(7)(imgs[0]); }),
            "Required crop size (7, 7) is larger than input image size (5, 6)");
}

TEST(Transforms, ReproducibleWithManualSeedOutsideALoader) {
  const Tensor imgs = sample({6, 1, 8, 8});
  auto run = [&] {
    auto ds = datasets::TensorDataset(imgs, arange(6))
                  .map(transforms::RandomCrop<>(6, 1))
                  .map(transforms::RandomHorizontalFlip<>())
                  .map(transforms::Stack<>());
    return ds.get_batch(std::vector<size_t>{0, 1, 2, 3, 4, 5}).data;
  };
  manual_seed(8);
  const Tensor a = run();
  manual_seed(8);
  EXPECT_SAME(run(), a);
  EXPECT_EQ(a.sizes(), IntArrayRef({6, 1, 6, 6}));
}

}  // namespace
}  // namespace nabla::testing
