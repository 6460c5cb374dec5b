// Printing (placeholder being replaced by the Python-repr implementation).
#include <iostream>
#include <sstream>

#include "nabla/autograd/node.h"
#include "nabla/tensor.h"

namespace nabla {

std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << "torch." << toString(t); }

std::string Tensor::toString() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

void Tensor::print() const { std::cout << *this << "\n"; }

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "[ Tensor (undefined) ]";
  Tensor c = t.detach().to(kDouble).contiguous();
  os << "tensor(" << t.sizes() << ", [";
  for (int64_t i = 0; i < c.numel() && i < 20; ++i) os << (i ? ", " : "") << c.data_ptr<double>()[i];
  return os << "])";
}

}  // namespace nabla
