#pragma once
/// Element types of a tensor and PyTorch's type promotion.
///   auto t = nabla::zeros({2}, nabla::kDouble);
#include <cstdint>
#include <string_view>

#include "nabla/half.h"

namespace nabla {

enum class ScalarType : int8_t {
  Byte = 0,
  Int = 1,
  Long = 2,
  Float = 3,
  Double = 4,
  Bool = 5,
  Half = 6,
  Short = 7,
  Char = 8
};

inline constexpr ScalarType kByte = ScalarType::Byte;
inline constexpr ScalarType kUInt8 = ScalarType::Byte;
inline constexpr ScalarType kInt = ScalarType::Int;
inline constexpr ScalarType kInt32 = ScalarType::Int;
inline constexpr ScalarType kLong = ScalarType::Long;
inline constexpr ScalarType kInt64 = ScalarType::Long;
inline constexpr ScalarType kFloat = ScalarType::Float;
inline constexpr ScalarType kFloat32 = ScalarType::Float;
inline constexpr ScalarType kDouble = ScalarType::Double;
inline constexpr ScalarType kFloat64 = ScalarType::Double;
inline constexpr ScalarType kBool = ScalarType::Bool;
inline constexpr ScalarType kHalf = ScalarType::Half;
inline constexpr ScalarType kFloat16 = ScalarType::Half;
inline constexpr ScalarType kShort = ScalarType::Short;
inline constexpr ScalarType kInt16 = ScalarType::Short;
inline constexpr ScalarType kChar = ScalarType::Char;
inline constexpr ScalarType kInt8 = ScalarType::Char;

constexpr size_t elementSize(ScalarType t) {
  switch (t) {
    case ScalarType::Byte: return 1;
    case ScalarType::Int: return 4;
    case ScalarType::Long: return 8;
    case ScalarType::Float: return 4;
    case ScalarType::Double: return 8;
    case ScalarType::Bool: return 1;
    case ScalarType::Half: return 2;
    case ScalarType::Short: return 2;
    case ScalarType::Char: return 1;
  }
  return 0;
}

constexpr bool isFloatingType(ScalarType t) {
  return t == ScalarType::Float || t == ScalarType::Double || t == ScalarType::Half;
}
constexpr bool isIntegralType(ScalarType t, bool include_bool) {
  return t == ScalarType::Byte || t == ScalarType::Int || t == ScalarType::Long || t == ScalarType::Short ||
         t == ScalarType::Char || (include_bool && t == ScalarType::Bool);
}

/// Note [Narrow dtypes compute wide]: float16, int16 and int8 are storage types. Kernels are
/// not compiled for them (the dispatch macros below cover the six compute types); an op on a
/// narrow tensor computes in its compute type (float16 in float32, int8/int16 in int32) and
/// rounds or wraps the result back once, which is what PyTorch's CPU kernels do per element
/// (wrap-around int8/int16 arithmetic is int32 arithmetic taken modulo 2^8/2^16). Differentiable
/// ops get this from autograd::apply (src/autograd/narrow.cpp); the few other kernels convert
/// with ops::compute_operand. Only the type-blind copy, fill and item know the narrow types.
constexpr bool isNarrowType(ScalarType t) {
  return t == ScalarType::Half || t == ScalarType::Short || t == ScalarType::Char;
}
/// The dtype a narrow dtype computes in (the dtype itself for the others).
constexpr ScalarType computeType(ScalarType t) {
  return t == ScalarType::Half ? ScalarType::Float : isNarrowType(t) ? ScalarType::Int : t;
}

/// Name as PyTorch prints it in reprs: "float32", "int64", "bool", ...
std::string_view toString(ScalarType t);
/// Name as PyTorch's kernel errors spell it: "Float", "Long", "Bool", ...
std::string_view scalarTypeName(ScalarType t);
/// Legacy tensor type name used in autograd messages: "torch.FloatTensor".
std::string_view legacyTypeName(ScalarType t);

/// The common type of two tensor operands (torch.promote_types).
ScalarType promoteTypes(ScalarType a, ScalarType b);

template <typename T> struct CppTypeToScalarType;
template <> struct CppTypeToScalarType<uint8_t> { static constexpr ScalarType value = kByte; };
template <> struct CppTypeToScalarType<int32_t> { static constexpr ScalarType value = kInt; };
template <> struct CppTypeToScalarType<int64_t> { static constexpr ScalarType value = kLong; };
template <> struct CppTypeToScalarType<float> { static constexpr ScalarType value = kFloat; };
template <> struct CppTypeToScalarType<double> { static constexpr ScalarType value = kDouble; };
template <> struct CppTypeToScalarType<bool> { static constexpr ScalarType value = kBool; };
template <> struct CppTypeToScalarType<Half> { static constexpr ScalarType value = kHalf; };
template <> struct CppTypeToScalarType<int16_t> { static constexpr ScalarType value = kShort; };
template <> struct CppTypeToScalarType<int8_t> { static constexpr ScalarType value = kChar; };

/// Calls fn(T{}) with T the C++ type of `t`; the dispatch every kernel uses. It covers the
/// compute types: a narrow dtype that reaches it unconverted is PyTorch's "not implemented"
/// error (Note [Narrow dtypes compute wide]).
#define NABLA_DISPATCH_ALL_TYPES(TYPE, NAME, ...)                                 \
  [&] {                                                                          \
    switch (TYPE) {                                                              \
      case ::nabla::ScalarType::Byte: { using scalar_t = uint8_t; return __VA_ARGS__(); } \
      case ::nabla::ScalarType::Int: { using scalar_t = int32_t; return __VA_ARGS__(); }  \
      case ::nabla::ScalarType::Long: { using scalar_t = int64_t; return __VA_ARGS__(); } \
      case ::nabla::ScalarType::Float: { using scalar_t = float; return __VA_ARGS__(); }  \
      case ::nabla::ScalarType::Double: { using scalar_t = double; return __VA_ARGS__(); } \
      case ::nabla::ScalarType::Bool: { using scalar_t = bool; return __VA_ARGS__(); }    \
      default: break;                                                            \
    }                                                                            \
    throw ::nabla::Error(std::string("\"") + (NAME) + "\" not implemented for '" +   \
                         std::string(::nabla::scalarTypeName(TYPE)) + "'");            \
  }()

#define NABLA_DISPATCH_FLOATING_TYPES(TYPE, NAME, ...)                              \
  [&] {                                                                            \
    switch (TYPE) {                                                                \
      case ::nabla::ScalarType::Float: { using scalar_t = float; return __VA_ARGS__(); }  \
      case ::nabla::ScalarType::Double: { using scalar_t = double; return __VA_ARGS__(); } \
      default: break;                                                              \
    }                                                                              \
    throw ::nabla::Error(std::string("\"") + (NAME) + "\" not implemented for '" +   \
                         std::string(::nabla::scalarTypeName(TYPE)) + "'");            \
  }()

/// The integer and bool types only (bitwise ops): a floating dtype is PyTorch's "not
/// implemented" error, and no loop is compiled for it.
#define NABLA_DISPATCH_INTEGRAL_TYPES_AND_BOOL(TYPE, NAME, ...)                     \
  [&] {                                                                            \
    switch (TYPE) {                                                                \
      case ::nabla::ScalarType::Byte: { using scalar_t = uint8_t; return __VA_ARGS__(); } \
      case ::nabla::ScalarType::Int: { using scalar_t = int32_t; return __VA_ARGS__(); }  \
      case ::nabla::ScalarType::Long: { using scalar_t = int64_t; return __VA_ARGS__(); } \
      case ::nabla::ScalarType::Bool: { using scalar_t = bool; return __VA_ARGS__(); }    \
      default: break;                                                              \
    }                                                                              \
    throw ::nabla::Error(std::string("\"") + (NAME) + "\" not implemented for '" +   \
                         std::string(::nabla::scalarTypeName(TYPE)) + "'");            \
  }()

}  // namespace nabla
