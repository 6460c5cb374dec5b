#include <nabla/nabla.h>
#include <nabla/vision.h>

#include <iostream>

int main() {
  auto x = nabla::ones({2, 2}, nabla::requires_grad());
  auto out = ((x + 2) * (x + 2) * 3).sum() / 4;
  out.backward();
  double g = x.grad().sum().item<double>();
  std::cout << "sum of dout/dx = " << g << "\n";
  // nabla::vision links libpng and libjpeg by path: an installed consumer needs nothing more.
  bool refused = false;
  try {
    nabla::vision::io::read_image("/nonexistent/image.png");
  } catch (const nabla::Error&) {
    refused = true;
  }
  auto resized = nabla::vision::transforms::Resize(2)(nabla::ones({3, 4, 4}));
  return g == 18.0 && refused && resized.size(-1) == 2 ? 0 : 1;
}
