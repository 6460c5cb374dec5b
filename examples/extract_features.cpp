// Features from a pretrained torchvision model, in C++: load the weights Python saved with
// torch.save(model.state_dict(), ...), drop the model's last Linear layer, and write one
// feature row per image of a folder (PNG and JPEG) as .npy and .csv.
//
//   python3 -c "import torch, torchvision; torch.save(torchvision.models.resnet18(weights='DEFAULT').state_dict(), 'resnet18.pth')"
//   build/examples/extract_features --weights resnet18.pth --images photos/ --out features
//   python3 -c "import numpy; print(numpy.load('features.npy').shape)"     # (N, 512)
#include <CLI/CLI.hpp>
#include <nabla/data/npy.h>
#include <nabla/nabla.h>
#include <nabla/vision.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

using namespace nabla;
namespace fs = std::filesystem;

namespace {

// The model, with its classifier's last Linear replaced by Identity: what remains maps an
// image to its features (512 for resnet18/34, 2048 for resnet50, 1280 for mobilenet_v2 and
// efficientnet_b0, 4096 for the VGGs).
nn::AnyModule feature_extractor(const std::string& name, const std::string& weights) {
  namespace m = vision::models;
  auto prepare = [&](auto model) {
    model->load_state_dict(to_state_dict(torch_load(weights)));
    model->eval();
    return model;
  };
  if (name == "resnet18" || name == "resnet34" || name == "resnet50") {
    auto model = prepare(name == "resnet18" ? m::resnet18() : name == "resnet34" ? m::resnet34() : m::resnet50());
    model->replace_module("fc", nn::Identity());  // Python: model.fc = nn.Identity()
    return nn::AnyModule(model);
  }
  if (name == "mobilenet_v2") {
    auto model = prepare(m::mobilenet_v2());
    model->classifier->replace_module("1", nn::Identity());  // model.classifier[1] = nn.Identity()
    return nn::AnyModule(model);
  }
  if (name == "efficientnet_b0") {
    auto model = prepare(m::efficientnet_b0());
    model->classifier->replace_module("1", nn::Identity());
    return nn::AnyModule(model);
  }
  if (name == "vgg11" || name == "vgg16" || name == "vgg16_bn") {
    auto model = prepare(name == "vgg11" ? m::vgg11() : name == "vgg16" ? m::vgg16() : m::vgg16_bn());
    model->classifier->replace_module("6", nn::Identity());  // model.classifier[6] = nn.Identity()
    return nn::AnyModule(model);
  }
  throw Error("unknown model '" + name +
              "' (resnet18, resnet34, resnet50, mobilenet_v2, efficientnet_b0, vgg11, vgg16, vgg16_bn)");
}

std::vector<fs::path> images_in(const std::string& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
    if (e.is_regular_file() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// "images [#####.....] 40/100  12.5 img/s  ETA 5s" on stderr; on a terminal redrawn in place,
// otherwise one line per tenth.
void progress(size_t done, size_t total, std::chrono::steady_clock::time_point start) {
  static const bool tty = isatty(STDERR_FILENO);
  if (!tty && done * 10 / total == (done - 1) * 10 / total && done != total) return;
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = done / std::max(secs, 1e-9);
  const size_t bar = 24 * done / total;
  std::fprintf(stderr, "%simages [%s%s] %zu/%zu  %.1f img/s  ETA %.0fs%s", tty ? "\r" : "",
               std::string(bar, '#').c_str(), std::string(24 - bar, '.').c_str(), done, total, rate,
               (total - done) / std::max(rate, 1e-9), tty && done != total ? "" : "\n");
}

// Writes `text` to `path` through a temporary, so that a failed run never leaves half a file.
void write_text(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary);
    f << text;
    f.flush();
    if (!f) throw Error("cannot write '" + tmp + "'");
  }
  fs::rename(tmp, path);
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_name = "resnet18", weights, images, out = "features";
  int64_t batch_size = 16, threads = 0, resize = 256, crop = 224;
  CLI::App app{"Extract features from images with a torchvision model's weights (its last Linear layer dropped)"};
  app.add_option("--model", model_name, "resnet18, resnet34, resnet50, mobilenet_v2, efficientnet_b0, vgg11, vgg16, "
                                        "vgg16_bn")->capture_default_str();
  app.add_option("--weights", weights, "the model's state_dict, saved by torch.save in Python")->required();
  app.add_option("--images", images, "a folder of PNG and JPEG images")->required()->check(CLI::ExistingDirectory);
  app.add_option("--out", out, "writes <out>.npy (N x features) and <out>.csv (file name, then the features)")
      ->capture_default_str();
  app.add_option("--batch-size", batch_size, "images per forward pass")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--resize", resize, "the shorter side is resized to this")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--crop", crop, "then the centre crop of this size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--threads", threads, "threads (0: the default)");
  CLI11_PARSE(app, argc, argv);

  try {
    if (threads > 0) set_num_threads(static_cast<int>(threads));
    nn::AnyModule model = feature_extractor(model_name, weights);
    const std::vector<fs::path> files = images_in(images);
    if (files.empty()) throw Error("no .png or .jpg images in '" + images + "'");
    // torchvision's ImageNet preprocessing (transforms of weights.transforms()).
    const vision::transforms::Compose preprocess{
        vision::transforms::Resize(resize), vision::transforms::CenterCrop(crop),
        vision::transforms::ConvertImageDtype(kFloat),
        vision::transforms::Normalize({0.485, 0.456, 0.406}, {0.229, 0.224, 0.225})};

    NoGradGuard no_grad;
    std::vector<Tensor> rows;
    const auto start = std::chrono::steady_clock::now();
    for (size_t begin = 0; begin < files.size(); begin += static_cast<size_t>(batch_size)) {
      const size_t end = std::min(files.size(), begin + static_cast<size_t>(batch_size));
      std::vector<Tensor> batch;
      for (size_t i = begin; i < end; ++i) batch.push_back(preprocess(vision::io::read_image(files[i].string())));
      rows.push_back(model.forward(stack(batch)));
      progress(end, files.size(), start);
    }
    const Tensor features = cat(rows).contiguous();
    data::write_npy(out + ".npy", features);
    std::string csv = "file";
    for (int64_t j = 0; j < features.size(1); ++j) csv += ",f" + std::to_string(j);
    csv += "\n";
    const Tensor f64 = features.to(kDouble);
    for (size_t i = 0; i < files.size(); ++i) {
      csv += files[i].filename().string();
      const Tensor row = f64[static_cast<int64_t>(i)];
      char num[32];
      for (int64_t j = 0; j < features.size(1); ++j) {
        std::snprintf(num, sizeof num, ",%.9g", row[j].item<double>());
        csv += num;
      }
      csv += "\n";
    }
    write_text(out + ".csv", csv);
    std::cout << files.size() << " images -> " << features.size(1) << " features each: " << out << ".npy, " << out
              << ".csv\n";
  } catch (const std::exception& e) {
    std::cerr << "extract_features: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
