#include <nabla/nabla.h>

#include <iostream>

int main() {
  auto x = nabla::ones({2, 2}, nabla::requires_grad());
  auto out = ((x + 2) * (x + 2) * 3).sum() / 4;
  out.backward();
  double g = x.grad().sum().item<double>();
  std::cout << "sum of dout/dx = " << g << "\n";
  return g == 18.0 ? 0 : 1;
}
