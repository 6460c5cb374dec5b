#pragma once
// The two models of examples/train_fashion_mnist ("mlp" and "cnn"), shared with bench/ddp.cpp so
// that the benchmark measures the same networks.
//   nabla::nn::Sequential net = fashion_mnist_model("cnn");
#include <nabla/nabla.h>

#include <string>

inline nabla::nn::Sequential fashion_mnist_model(const std::string& kind) {
  namespace nn = nabla::nn;
  if (kind == "mlp") {
    return nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(),
                          nn::Linear(128, 10));
  }
  return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 32, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)), nn::ReLU(), nn::MaxPool2d(2),
                        nn::Flatten(), nn::Linear(3136, 128), nn::ReLU(), nn::Linear(128, 10));
}
