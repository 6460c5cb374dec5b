// NumPy's .npy format (numpy/lib/format.py): magic "\x93NUMPY", version, header length, a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
// spaces to a multiple of 64 bytes, then the raw array.
#include <cctype>
#include <cstring>
#include <optional>

#include "io/bytes.h"
#include "io/npy_format.h"
#include "nabla/data/npy.h"
#include "nabla/functions.h"

namespace nabla::io {

namespace {

constexpr uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

struct NpyDescr {
  ScalarType dtype;
  bool big_endian;
};

// The header dict: a small parser for the subset of Python literals numpy writes.
class DictParser {
 public:
  DictParser(std::string_view text, const ByteReader& file, size_t at) : s_(text), file_(file), at_(at) {}

  void parse(std::string& descr, std::optional<bool>& fortran, std::optional<std::vector<int64_t>>& shape) {
    bool have_descr = false;
    expect('{', "'{' starting the header dict");
    while (true) {
      skip_ws();
      if (peek() == '}') break;
      const size_t key_at = i_;
      const std::string key = string_literal("a quoted key of the header dict");
      skip_ws();
      expect(':', "':' after a key of the header dict");
      skip_ws();
      if (key == "descr") {
        descr = string_literal("a quoted dtype descr such as '<f4'");
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
      } else if (key == "shape") {
        shape = tuple();
      } else {
        fail(key_at, "expected only the keys 'descr', 'fortran_order' and 'shape' in the header dict, got '" +
                         key + "'");
      }
      skip_ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      skip_ws();
      if (peek() != '}') fail(i_, "expected ',' or '}' in the header dict");
    }
    ++i_;
    if (!have_descr || !fortran || !shape)
      fail(0, "expected the header dict to hold 'descr', 'fortran_order' and 'shape'");
    // numpy evaluates the whole header as a Python literal: only whitespace may follow.
    skip_ws();
    if (i_ != s_.size()) fail(i_, "expected only spaces and a newline after the header dict's closing '}'");
  }

 private:
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  [[noreturn]] void fail(size_t i, const std::string& what) const { file_.fail(at_ + i, what); }
  void expect(char c, const char* what) {
    skip_ws();
    if (peek() != c) fail(i_, std::string("expected ") + what);
    ++i_;
  }
  std::string string_literal(const char* what) {
    const char q = peek();
    if (q != '\'' && q != '"') fail(i_, std::string("expected ") + what);
    const size_t start = ++i_;
    while (i_ < s_.size() && s_[i_] != q) ++i_;
    if (i_ >= s_.size()) fail(start - 1, std::string("expected ") + what + " to be closed by " + q);
    return std::string(s_.substr(start, i_++ - start));
  }
  bool boolean() {
    if (s_.substr(i_, 4) == "True") {
      i_ += 4;
      return true;
    }
    if (s_.substr(i_, 5) == "False") {
      i_ += 5;
      return false;
    }
    fail(i_, "expected True or False for 'fortran_order'");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> dims;
    expect('(', "'(' starting the shape tuple");
    const size_t open = i_ - 1;
    bool trailing_comma = false;
    while (true) {
      skip_ws();
      if (peek() == ')') break;
      trailing_comma = false;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail(i_, "expected a non-negative integer in the shape");
      int64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (v > (INT64_MAX - 9) / 10) fail(i_, "expected a dimension that fits in int64");
        v = v * 10 + (s_[i_++] - '0');
      }
      if (peek() == 'L') ++i_;  // Python 2 long literals
      dims.push_back(v);
      skip_ws();
      if (peek() == ',') {
        ++i_;
        trailing_comma = true;
        continue;
      }
      if (peek() != ')') fail(i_, "expected ',' or ')' in the shape tuple");
    }
    ++i_;
    // In Python "(2)" is the number 2; a tuple of one element is "(2,)".
    if (dims.size() == 1 && !trailing_comma)
      fail(open, ::nabla::detail::str("expected the shape to be a tuple such as (", dims[0], ",), got the number (",
                                      dims[0], ")"));
    return dims;
  }

  std::string_view s_;
  const ByteReader& file_;
  size_t at_;
  size_t i_ = 0;
};

NpyDescr parse_descr(const std::string& descr, const ByteReader& file, size_t at) {
  const char* expected = "expected a dtype descr of '<f4', '<f8', '<f2', '<i8', '<i4', '<i2', '|i1', '|u1' or '|b1'";
  if (descr.size() != 3) file.fail(at, std::string(expected) + ", got '" + descr + "'");
  const char order = descr[0];
  const std::string code = descr.substr(1);
  ScalarType dtype;
  if (code == "f4") dtype = kFloat;
  else if (code == "f8") dtype = kDouble;
  else if (code == "i8") dtype = kLong;
  else if (code == "i4") dtype = kInt;
  else if (code == "f2") dtype = kHalf;
  else if (code == "i2") dtype = kShort;
  else if (code == "i1") dtype = kChar;
  else if (code == "u1") dtype = kByte;
  else if (code == "b1") dtype = kBool;
  else file.fail(at, std::string(expected) + ", got '" + descr + "'");
  if (order != '<' && order != '>' && order != '|' && order != '=')
    file.fail(at, std::string(expected) + ", got '" + descr + "'");
  return {dtype, order == '>' && elementSize(dtype) > 1};
}

}  // namespace

Tensor parse_npy(const uint8_t* data, size_t size, const char* kind, const std::string& path, uint64_t base) {
  ByteReader r(data, size, kind, path, base);
  const uint8_t* magic = r.bytes(6, "the magic string \\x93NUMPY");
  if (std::memcmp(magic, kMagic, 6) != 0) r.fail(0, "expected the magic string \\x93NUMPY");
  const uint8_t major = r.u8("the format's major version");
  const uint8_t minor = r.u8("the format's minor version");
  // numpy reads the versions (1, 0), (2, 0) and (3, 0) only.
  if (major < 1 || major > 3 || minor != 0)
    r.fail(6, ::nabla::detail::str("expected format version 1.0, 2.0 or 3.0, got ", int(major), ".", int(minor)));
  const size_t header_len = major == 1 ? r.u16le("the header length") : r.u32le("the header length");
  const size_t header_at = r.pos();
  const auto* text = reinterpret_cast<const char*>(r.bytes(header_len, "the header dict"));
  std::string descr;
  std::optional<bool> fortran;
  std::optional<std::vector<int64_t>> shape;
  DictParser(std::string_view(text, header_len), r, header_at).parse(descr, fortran, shape);
  const NpyDescr d = parse_descr(descr, r, header_at);

  const size_t item = elementSize(d.dtype);
  uint64_t numel = 1;
  for (int64_t dim : *shape)
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dim), &numel))
      r.fail(header_at, "expected a shape whose element count fits in 64 bits");
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, item, &nbytes) || nbytes > r.remaining())
    r.fail(r.pos(), ::nabla::detail::str("expected ", numel, " elements of ", item, " bytes (", numel * item,
                                " bytes) of array data, but the data ends after ", base + size, " bytes"));
  const uint8_t* raw = r.bytes(static_cast<size_t>(nbytes), "the array data");

  std::vector<int64_t> dims = *shape;
  if (*fortran) std::reverse(dims.begin(), dims.end());
  Tensor t = empty(dims, d.dtype);
  if (nbytes > 0) std::memcpy(t.data_ptr(), raw, static_cast<size_t>(nbytes));
  if (d.big_endian) byteswap(t.data_ptr(), static_cast<size_t>(numel), item);
  if (d.dtype == kBool) {
    auto* p = static_cast<uint8_t*>(t.data_ptr());
    for (uint64_t i = 0; i < numel; ++i) p[i] = p[i] != 0;
  }
  if (*fortran && dims.size() > 1) {
    std::vector<int64_t> perm(dims.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(perm.size() - 1 - i);
    t = t.permute(perm).contiguous();
  }
  return t;
}

std::vector<uint8_t> npy_header(const Tensor& t) {
  const char* descr = nullptr;
  switch (t.scalar_type()) {
    case kFloat: descr = "<f4"; break;
    case kDouble: descr = "<f8"; break;
    case kLong: descr = "<i8"; break;
    case kInt: descr = "<i4"; break;
    case kByte: descr = "|u1"; break;
    case kBool: descr = "|b1"; break;
    case kHalf: descr = "<f2"; break;
    case kShort: descr = "<i2"; break;
    case kChar: descr = "|i1"; break;
  }
  std::string dict = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (";
  for (int64_t i = 0; i < t.dim(); ++i) {
    dict += std::to_string(t.size(i));
    if (i + 1 < t.dim() || t.dim() == 1) dict += ",";
    if (i + 1 < t.dim()) dict += " ";
  }
  dict += "), }";
  // numpy pads the header with spaces and a newline so the data starts 64-byte aligned.
  size_t prefix = 10;
  size_t total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  if (total - prefix > 65535) {
    prefix = 12;
    total = (prefix + dict.size() + 1 + 63) / 64 * 64;
  }
  const size_t header_len = total - prefix;
  dict.append(header_len - dict.size() - 1, ' ');
  dict += '\n';
  std::vector<uint8_t> out(kMagic, kMagic + 6);
  out.push_back(prefix == 10 ? 1 : 2);
  out.push_back(0);
  put_le(out, header_len, prefix == 10 ? 2 : 4);
  out.insert(out.end(), dict.begin(), dict.end());
  return out;
}

}  // namespace nabla::io

namespace nabla::data {

Tensor read_npy(const std::string& path) {
  return io::guard_reader("npy", path, [&] {
    const std::vector<uint8_t> bytes = io::read_file(path);
    return io::parse_npy(bytes.data(), bytes.size(), "npy", path, 0);
  });
}

void write_npy(const std::string& path, const Tensor& tensor) {
  const Tensor t = tensor.detach().contiguous();
  const std::vector<uint8_t> header = io::npy_header(t);
  io::write_file_atomic(path, {{header.data(), header.size()}, {t.data_ptr(), t.nbytes()}});
}

}  // namespace nabla::data
