#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "io/bytes.h"
#include "nabla/data/csv.h"
#include "nabla/functions.h"

namespace nabla::data {

namespace {

struct Field {
  size_t begin;
  size_t end;
};

// One value parsed from text[f.begin, f.end) (already trimmed and unquoted) as `dtype`.
void parse_field(const char* text, Field f, ScalarType dtype, std::vector<double>& reals,
                 std::vector<int64_t>& ints, const io::ByteReader& file, size_t line, size_t column) {
  const char* b = text + f.begin;
  const char* e = text + f.end;
  auto bad = [&](const char* what) {
    file.fail(f.begin, ::nabla::detail::str("expected ", what, " in line ", line, ", column ", column, ", got '",
                                   io::excerpt(std::string_view(text + f.begin, f.end - f.begin)), "'"));
  };
  // One optional sign: "+1" reads as 1 (as strtod and numpy do), "+-1" and "++1" are errors.
  if (b != e && *b == '+') {
    ++b;
    if (b != e && (*b == '-' || *b == '+')) bad(isFloatingType(dtype) ? "a number" : "an integer that fits in int64");
  }
  if (isFloatingType(dtype)) {
    double v = 0;
    const auto res = std::from_chars(b, e, v);
    // from_chars reports out-of-range values; like strtod, they become ±inf or 0.
    if (res.ptr != e || b == e || (res.ec != std::errc() && res.ec != std::errc::result_out_of_range))
      bad("a number");
    if (res.ec == std::errc::result_out_of_range) v = std::strtod(std::string(b, e).c_str(), nullptr);
    reals.push_back(v);
    return;
  }
  int64_t v = 0;
  const auto res = std::from_chars(b, e, v);
  if (res.ptr != e || b == e || res.ec != std::errc()) bad("an integer that fits in int64");
  const bool fits = dtype == kLong ||
                    (dtype == kInt && v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max()) ||
                    (dtype == kByte && v >= 0 && v <= 255) || (dtype == kBool && (v == 0 || v == 1));
  if (!fits) {
    bad(dtype == kBool ? "0 or 1" : dtype == kByte ? "an integer in [0, 255]" : "an integer that fits in int32");
  }
  ints.push_back(v);
}

}  // namespace

namespace {

Tensor read_csv_file(const std::string& path, const CsvOptions& options) {
  const std::vector<uint8_t> bytes = io::read_file(path);
  const char* text = reinterpret_cast<const char*>(bytes.data());
  const size_t n = bytes.size();
  io::ByteReader file(bytes.data(), n, "CSV", path);
  const ScalarType dtype = options.dtype();
  const char delim = options.delimiter();
  std::vector<double> reals;
  std::vector<int64_t> ints;
  std::vector<Field> fields;
  int64_t columns = -1, rows = 0;
  bool skip_header = options.header();
  size_t line = 0;
  for (size_t pos = 0; pos < n;) {
    size_t eol = pos;
    while (eol < n && text[eol] != '\n') ++eol;
    size_t end = eol;
    if (end > pos && text[end - 1] == '\r') --end;
    ++line;
    const size_t line_begin = pos;
    pos = eol + 1;
    size_t first = line_begin;
    while (first < end && (text[first] == ' ' || text[first] == '\t')) ++first;
    if (first == end) continue;  // blank line
    if (skip_header) {
      skip_header = false;
      continue;
    }
    fields.clear();
    for (size_t s = line_begin;;) {
      size_t d = s;
      bool quoted = false;
      while (d < end && (text[d] != delim || quoted)) {
        if (text[d] == '"') quoted = !quoted;
        ++d;
      }
      Field f{s, d};
      while (f.begin < f.end && (text[f.begin] == ' ' || text[f.begin] == '\t')) ++f.begin;
      while (f.end > f.begin && (text[f.end - 1] == ' ' || text[f.end - 1] == '\t')) --f.end;
      if (f.end - f.begin >= 2 && text[f.begin] == '"' && text[f.end - 1] == '"') ++f.begin, --f.end;
      fields.push_back(f);
      if (d >= end) break;
      s = d + 1;
    }
    if (columns < 0) columns = static_cast<int64_t>(fields.size());
    if (static_cast<int64_t>(fields.size()) != columns)
      file.fail(line_begin, ::nabla::detail::str("expected ", columns, " fields in line ", line, " (as in the first row), got ",
                                        fields.size()));
    for (size_t c = 0; c < fields.size(); ++c) parse_field(text, fields[c], dtype, reals, ints, file, line, c + 1);
    ++rows;
  }
  Tensor out = empty({rows, std::max<int64_t>(columns, 0)}, dtype);
  if (isFloatingType(dtype)) {
    if (dtype == kDouble) {
      if (!reals.empty()) std::memcpy(out.data_ptr(), reals.data(), reals.size() * sizeof(double));
    } else {
      float* p = out.data_ptr<float>();
      for (size_t i = 0; i < reals.size(); ++i) p[i] = static_cast<float>(reals[i]);
    }
    return out;
  }
  NABLA_DISPATCH_ALL_TYPES(dtype, "read_csv", [&] {
    auto* p = static_cast<scalar_t*>(out.data_ptr());
    for (size_t i = 0; i < ints.size(); ++i) p[i] = static_cast<scalar_t>(ints[i]);
  });
  return out;
}

}  // namespace

Tensor read_csv(const std::string& path, const CsvOptions& options) {
  return io::guard_reader("CSV", path, [&] { return read_csv_file(path, options); });
}

}  // namespace nabla::data
