// vision::transforms against torchvision.transforms on tensors: values (antialiased bilinear
// resizing to 1e-5), output sizes, dtypes, padding crops, and error messages.
#include <nabla/vision.h>

#include "vision/vision_testing.h"

using namespace nabla;
namespace T = nabla::vision::transforms;
namespace TF = nabla::vision::transforms::functional;
using nabla::testing::close_values;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::vision_testing::run_ref;

namespace {

Tensor torchvision(const std::string& expr, const oracle::Inputs& inputs) {
  auto r = run_ref("import torchvision.transforms.functional as TF\nimport torchvision.transforms as T\nout = " + expr,
                   inputs);
  EXPECT_TRUE(r.ok) << expr << ": " << r.error;
  return r.ok ? r.tensor() : Tensor();
}

std::string torchvision_error(const std::string& code, const oracle::Inputs& inputs) {
  return oracle::error_of("import torchvision.transforms.functional as TF\nimport torchvision.transforms as T\n" + code,
                          inputs);
}

// A float image in [0, 1] and a uint8 one, both [3, 37, 53].
Tensor image() {
  manual_seed(21);
  return rand({3, 37, 53});
}
Tensor image_u8() { return (image() * 255).round().to(kByte); }

}  // namespace

TEST(Transforms, ResizeMatchesTorchvision) {
  const Tensor x = image(), u = image_u8();
  oracle::Inputs in{{"x", x}, {"u", u}, {"b", x.unsqueeze(0).repeat({2, 1, 1, 1}) * 0.5}, {"d", x.to(kDouble)}};
  struct Case {
    std::vector<int64_t> size;
    std::optional<int64_t> max_size;
    bool antialias;
    std::string py;
  };
  const std::vector<Case> cases{
      {{20, 30}, std::nullopt, true, "[20, 30]"},   // down in both
      {{24}, std::nullopt, true, "[24]"},           // shorter side
      {{9, 7}, std::nullopt, true, "[9, 7]"},       // strong downscale
      {{50, 70}, std::nullopt, true, "[50, 70]"},   // up
      {{20, 80}, std::nullopt, true, "[20, 80]"},   // down and up
      {{37, 20}, std::nullopt, true, "[37, 20]"},   // one dimension unchanged
      {{30}, 40, true, "[30], max_size=40"},        // capped longer side
      {{20, 30}, std::nullopt, false, "[20, 30]"},  // plain bilinear
      {{50, 70}, std::nullopt, false, "[50, 70]"},
  };
  for (const auto& c : cases) {
    const std::string args = c.py + ", antialias=" + (c.antialias ? "True" : "False");
    EXPECT_TRUE(close_values(TF::resize(x, c.size, c.max_size, c.antialias),
                             torchvision("TF.resize(x, " + args + ")", in), 1e-5, 1e-5))
        << args;
    Tensor b = in[2].second;
    EXPECT_TRUE(close_values(TF::resize(b, c.size, c.max_size, c.antialias),
                             torchvision("TF.resize(b, " + args + ")", in), 1e-5, 1e-5))
        << "batch " << args;
    EXPECT_TRUE(same(TF::resize(x.to(kDouble), c.size, c.max_size, c.antialias),
                     torchvision("TF.resize(d, " + args + ")", in), 1e-10, 1e-12))
        << "float64 " << args;
    // uint8: resized in float32 and rounded; a sum in another order may round a value the other way.
    Tensor mine = TF::resize(u, c.size, c.max_size, c.antialias),
           theirs = torchvision("TF.resize(u, " + args + ")", in);
    ASSERT_EQ(mine.scalar_type(), kByte);
    EXPECT_TRUE(close_values(mine, theirs, 0, 1)) << "uint8 " << args;
    EXPECT_LT((mine.to(kInt) - theirs.to(kInt)).abs().to(kFloat).mean().item<double>(), 0.01) << "uint8 " << args;
  }
  // The same size: the image itself, as torchvision returns it.
  EXPECT_TRUE(TF::resize(x, {37, 53}).is_same(x));
  EXPECT_TRUE(close_values(T::Resize(24)(x), torchvision("T.Resize(24, antialias=True)(x)", in), 1e-5, 1e-5));
  EXPECT_TRUE(
      close_values(T::Resize({20, 30})(x), torchvision("T.Resize((20, 30), antialias=True)(x)", in), 1e-5, 1e-5));
}

TEST(Transforms, CropsNormalizeToTensorConvertAndCompose) {
  const Tensor x = image(), u = image_u8();
  manual_seed(22);
  const Tensor hwc = (rand({5, 7, 3}) * 255).to(kByte);
  oracle::Inputs in{{"x", x}, {"u", u}, {"hwc", hwc}};
  for (const auto& [size, py] : std::vector<std::pair<std::vector<int64_t>, std::string>>{{{20}, "20"},
                                                                                          {{20, 31}, "[20, 31]"},
                                                                                          {{36, 52}, "[36, 52]"},
                                                                                          {{40, 60}, "[40, 60]"},
                                                                                          {{41, 20}, "[41, 20]"}}) {
    EXPECT_TRUE(same(TF::center_crop(x, size), torchvision("TF.center_crop(x, " + py + ")", in))) << py;
    EXPECT_TRUE(same(T::CenterCrop(size)(u), torchvision("T.CenterCrop(" + py + ")(u)", in))) << py;
  }
  EXPECT_TRUE(same(TF::crop(x, -2, 5, 10, 60), torchvision("TF.crop(x, -2, 5, 10, 60)", in)));
  const std::vector<double> mean{0.485, 0.456, 0.406}, std{0.229, 0.224, 0.225};
  const std::string py_ms = "[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]";
  EXPECT_TRUE(same(TF::normalize(x, mean, std), torchvision("TF.normalize(x, " + py_ms + ")", in)));
  Tensor y = x.clone();
  TF::normalize(y, mean, std, /*inplace=*/true);
  EXPECT_TRUE(same(y, torchvision("TF.normalize(x, " + py_ms + ")", in)));
  EXPECT_TRUE(same(T::ToTensor()(hwc), torchvision("TF.to_tensor(hwc.numpy())", in)));
  EXPECT_TRUE(same(TF::to_tensor(hwc.select(2, 0)), torchvision("TF.to_tensor(hwc[:, :, 0].numpy())", in)));
  EXPECT_TRUE(same(TF::convert_image_dtype(u, kFloat), torchvision("TF.convert_image_dtype(u, torch.float32)", in)));
  EXPECT_TRUE(same(TF::convert_image_dtype(x, kByte), torchvision("TF.convert_image_dtype(x, torch.uint8)", in)));
  EXPECT_TRUE(same(TF::convert_image_dtype(x, kDouble), torchvision("TF.convert_image_dtype(x, torch.float64)", in)));

  // The usual ImageNet preprocessing.
  T::Compose preprocess{T::Resize(32), T::CenterCrop(28), T::ConvertImageDtype(kFloat), T::Normalize(mean, std)};
  EXPECT_TRUE(close_values(preprocess(u),
                           torchvision("T.Compose([T.Resize(32, antialias=True), T.CenterCrop(28), "
                                       "T.ConvertImageDtype(torch.float32), T.Normalize(" +
                                           py_ms + ")])(u)",
                                       in),
                           1e-5, 1e-5));
  EXPECT_EQ(preprocess.transforms().size(), 4u);
}

TEST(Transforms, ErrorsAsTorchvision) {
  const Tensor x = image(), u = image_u8();
  oracle::Inputs in{{"x", x}, {"u", u}};
  EXPECT_EQ(error_message([&] { TF::resize(x, {1, 2, 3}); }), torchvision_error("TF.resize(x, [1, 2, 3])", in));
  EXPECT_EQ(error_message([&] {
              TF::resize(x, {20, 30}, 40);
            }),
            torchvision_error("TF.resize(x, [20, 30], max_size=40)", in));
  EXPECT_EQ(error_message([&] { TF::resize(x, {30}, 30); }), torchvision_error("TF.resize(x, [30], max_size=30)", in));
  EXPECT_EQ(error_message([&] { TF::resize(tensor({1.0}), {3}); }),
            torchvision_error("TF.resize(torch.ones(1), [3])", in));
  EXPECT_EQ(error_message([&] { TF::normalize(u, {0.5}, {0.5}); }),
            torchvision_error("TF.normalize(u, [0.5], [0.5])", in));
  EXPECT_EQ(error_message([&] { TF::normalize(x, {0.5}, {0.0}); }),
            torchvision_error("TF.normalize(x, [0.5], [0.0])", in));
  EXPECT_EQ(error_message([&] { TF::normalize(x[0], {0.5}, {1.0}); }),
            torchvision_error("TF.normalize(x[0], [0.5], [1.0])", in));
  EXPECT_EQ(error_message([&] { TF::to_tensor(x.unsqueeze(0)); }),
            torchvision_error("TF.to_tensor(x[None].numpy())", in));
}
