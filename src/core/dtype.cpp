#include "nabla/dtype.h"

#include "nabla/error.h"
#include "nabla/tensor_options.h"

namespace nabla {

std::string_view toString(ScalarType t) {
  switch (t) {
    case kByte: return "uint8";
    case kInt: return "int32";
    case kLong: return "int64";
    case kFloat: return "float32";
    case kDouble: return "float64";
    case kBool: return "bool";
  }
  return "unknown";
}

std::string_view scalarTypeName(ScalarType t) {
  switch (t) {
    case kByte: return "Byte";
    case kInt: return "Int";
    case kLong: return "Long";
    case kFloat: return "Float";
    case kDouble: return "Double";
    case kBool: return "Bool";
  }
  return "Unknown";
}

std::string_view legacyTypeName(ScalarType t) {
  switch (t) {
    case kByte: return "torch.ByteTensor";
    case kInt: return "torch.IntTensor";
    case kLong: return "torch.LongTensor";
    case kFloat: return "torch.FloatTensor";
    case kDouble: return "torch.DoubleTensor";
    case kBool: return "torch.BoolTensor";
  }
  return "torch.Tensor";
}

ScalarType promoteTypes(ScalarType a, ScalarType b) {
  if (a == b) return a;
  // Rank in PyTorch's lattice for the types nabla has: bool < uint8 < int32 < int64 < float32 < float64.
  auto rank = [](ScalarType t) {
    switch (t) {
      case kBool: return 0;
      case kByte: return 1;
      case kInt: return 2;
      case kLong: return 3;
      case kFloat: return 4;
      case kDouble: return 5;
    }
    return 0;
  };
  return rank(a) >= rank(b) ? a : b;
}

namespace {
ScalarType g_default_dtype = kFloat;
}

ScalarType TensorOptions::default_dtype() { return g_default_dtype; }
void set_default_dtype(ScalarType t) {
  NABLA_CHECK(isFloatingType(t), "only floating-point types are supported as the default type");
  g_default_dtype = t;
}
ScalarType get_default_dtype() { return g_default_dtype; }

void check_device_available(Device d) {
  // PyTorch's words on a build without CUDA, so that a search for the message explains it.
  NABLA_CHECK(d.is_cpu(), "Torch not compiled with CUDA enabled");
}

}  // namespace nabla
