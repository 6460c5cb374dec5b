// A first look at nabla: tensors, their operations, and a gradient.
#include <iostream>

#include <nabla/nabla.h>

int main() {
  using namespace nabla;

  std::cout << "== Tensors\n";
  auto a = tensor({{1., 2., 3.}, {4., 5., 6.}});
  auto b = arange(3, kFloat);
  std::cout << "a =\n" << a << "\nb = " << b << "\n";
  std::cout << "a.sizes() = " << a.sizes() << ", dtype " << a.dtype() << "\n";

  std::cout << "\n== Broadcasting arithmetic\n";
  std::cout << "a + b =\n" << a + b << "\n";
  std::cout << "a * 2.5 - 1 =\n" << a * 2.5 - 1 << "\n";

  std::cout << "\n== Views share storage\n";
  auto col = a.select(1, 0);
  col.mul_(10);
  std::cout << "after a.select(1, 0).mul_(10): a =\n" << a << "\n";

  std::cout << "\n== Reductions\n";
  std::cout << "a.sum() = " << a.sum() << ", a.sum(1) = " << a.sum(1) << "\n";

  std::cout << "\n== Autograd\n";
  auto x = ones({2, 2}, requires_grad());
  auto y = x + 2;
  auto out = (y * y * 3).sum() / 4;
  out.backward();
  std::cout << "x = " << x << "\nout = " << out << "\ndout/dx =\n" << x.grad() << "\n";
  std::cout << "out.grad_fn()->name() = " << out.grad_fn()->name() << "\n";

  std::cout << "\n== Errors use PyTorch's words\n";
  try {
    ones({2, 3}).view({4});
  } catch (const Error& e) {
    std::cout << "view: " << e.what() << "\n";
  }
  try {
    ones({3}) + ones({4});
  } catch (const Error& e) {
    std::cout << "add: " << e.what() << "\n";
  }
  return 0;
}
