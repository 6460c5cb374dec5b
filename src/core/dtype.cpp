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
    case kHalf: return "float16";
    case kShort: return "int16";
    case kChar: return "int8";
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
    case kHalf: return "Half";
    case kShort: return "Short";
    case kChar: return "Char";
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
    case kHalf: return "torch.HalfTensor";
    case kShort: return "torch.ShortTensor";
    case kChar: return "torch.CharTensor";
  }
  return "torch.Tensor";
}

ScalarType promoteTypes(ScalarType a, ScalarType b) {
  // PyTorch's table for the types nabla has: bool gives way to anything; an integer to a
  // floating type; within a kind the wider wins; uint8 with int8 meets at int16 (the
  // smallest type holding both ranges), uint8 with a wider signed type is that type.
  if (a == b || b == kBool) return a;
  if (a == kBool) return b;
  const bool fa = isFloatingType(a), fb = isFloatingType(b);
  if (fa != fb) return fa ? a : b;
  if ((a == kByte && b == kChar) || (a == kChar && b == kByte)) return kShort;
  if (a == kByte) return b;
  if (b == kByte) return a;
  return elementSize(a) >= elementSize(b) ? a : b;
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
