#pragma once
/// nabla::Half: an IEEE 754 binary16 value (torch.float16, libtorch's at::Half), converted to
/// and from float with round-to-nearest-even, as c10::Half does.
///   nabla::Half h = 1.5f;  float f = h;  auto v = t.item<nabla::Half>();
#include <bit>
#include <cstdint>
#include <type_traits>

namespace nabla {

namespace detail {

// Note [Half conversions]: float -> binary16 rounds to nearest, ties to even, on the bits:
// overflow gives infinity, NaN stays a (quiet) NaN, values below the smallest normal become
// subnormals rounded the same way. binary16 -> float is exact.
constexpr uint16_t float_to_half_bits(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u);   // NaN
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs >= 0x38800000u) {                                              // normal half
    const uint32_t mant_odd = (abs >> 13) & 1u;
    const uint32_t rounded = abs + 0xfffu + mant_odd;
    return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
  }
  if (abs < 0x33000000u) return static_cast<uint16_t>(sign);  // below half the smallest subnormal
  // Subnormal half: shift the full significand (with its implicit bit) into place, rounding.
  const uint32_t exp = abs >> 23;
  const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126u - exp;  // 14..24
  const uint32_t half_mant = mant >> shift;
  const uint32_t rem = mant & ((1u << shift) - 1u);
  const uint32_t halfway = 1u << (shift - 1u);
  const uint32_t up = rem > halfway || (rem == halfway && (half_mant & 1u)) ? 1u : 0u;
  return static_cast<uint16_t>(sign | (half_mant + up));
}

constexpr float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));  // inf, NaN
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
  if (mant == 0) return std::bit_cast<float>(sign);
  uint32_t e = 113;  // subnormal: normalise the significand
  while (!(mant & 0x400u)) {
    mant <<= 1;
    --e;
  }
  return std::bit_cast<float>(sign | (e << 23) | ((mant & 0x3ffu) << 13));
}

}  // namespace detail

/// A 16-bit floating value. Arithmetic happens in float (it converts implicitly), as with
/// c10::Half; construction from any arithmetic value goes through float.
struct Half {
  uint16_t x = 0;

  struct from_bits_t {};
  static constexpr from_bits_t from_bits() { return {}; }

  Half() = default;
  constexpr Half(uint16_t bits, from_bits_t) : x(bits) {}
  template <typename T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
  constexpr Half(T v) : x(detail::float_to_half_bits(static_cast<float>(v))) {}  // NOLINT
  constexpr operator float() const { return detail::half_bits_to_float(x); }     // NOLINT
};

}  // namespace nabla
