#pragma once
// Python's repr of a float, shared by the extra_repr of every module with float settings (eps=1e-05,
// momentum=0.1, p=0.5): the shortest digits that round-trip, in fixed notation when the
// decimal exponent is in [-4, 16), else scientific with a two-digit exponent; integral
// values keep ".0".
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace nabla::nn::detail {

inline std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  // Shortest round-trip digits as d.ddde±XX.
  auto res = std::to_chars(buf, buf + sizeof(buf), std::abs(v), std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const size_t e = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e; ++i)
    if (sci[i] != '.') digits += sci[i];
  const int exp10 = std::atoi(sci.c_str() + e + 1);
  const int decpt = exp10 + 1;  // position of the decimal point relative to the digits
  std::string out = std::signbit(v) ? "-" : "";
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out.append("0.").append(static_cast<size_t>(-decpt), '0').append(digits);
    } else if (static_cast<size_t>(decpt) >= digits.size()) {
      out.append(digits).append(static_cast<size_t>(decpt) - digits.size(), '0').append(".0");
    } else {
      out.append(digits, 0, static_cast<size_t>(decpt)).append(".").append(digits, static_cast<size_t>(decpt));
    }
    return out;
  }
  out.append(digits, 0, 1);
  if (digits.size() > 1) out.append(".").append(digits, 1);
  const int ae = std::abs(exp10);
  out.append(exp10 < 0 ? "e-" : "e+").append(ae < 10 ? "0" : "").append(std::to_string(ae));
  return out;
}

}  // namespace nabla::nn::detail
