// IDX (http://yann.lecun.com/exdb/mnist/): two zero bytes, a type code, the number of
// dimensions, each dimension as a big-endian uint32, then the big-endian data.
#include <cstring>

#include "io/bytes.h"
#include "nabla/data/idx.h"
#include "nabla/functions.h"

namespace nabla::data {

namespace {

template <typename From, typename To>
void convert_be(const uint8_t* src, To* dst, size_t n) {
  uint8_t buf[sizeof(From)];
  for (size_t i = 0; i < n; ++i, src += sizeof(From)) {
    for (size_t b = 0; b < sizeof(From); ++b) buf[b] = src[sizeof(From) - 1 - b];
    From v;
    std::memcpy(&v, buf, sizeof(From));
    dst[i] = static_cast<To>(v);
  }
}

// How many bytes an IDX file holds in all, judging by the first ones: its header declares it
// (SIZE_MAX while the header is incomplete or its numbers are no IDX file's).
size_t idx_size(const std::vector<uint8_t>& b) {
  if (b.size() < 4) return 4;
  size_t item = 0;
  switch (b[2]) {
    case 0x08: case 0x09: item = 1; break;
    case 0x0B: item = 2; break;
    case 0x0C: case 0x0D: item = 4; break;
    case 0x0E: item = 8; break;
    default: return SIZE_MAX;
  }
  const size_t header = 4 + 4 * size_t{b[3]};
  if (b.size() < header) return header;
  uint64_t total = item;
  for (size_t d = 0; d < b[3]; ++d) {
    const uint64_t n = (uint64_t{b[4 + 4 * d]} << 24) | (uint64_t{b[5 + 4 * d]} << 16) |
                       (uint64_t{b[6 + 4 * d]} << 8) | uint64_t{b[7 + 4 * d]};
    if (__builtin_mul_overflow(total, n, &total)) return SIZE_MAX;
  }
  return total > SIZE_MAX - header - 1 ? SIZE_MAX : static_cast<size_t>(total) + header;
}

Tensor read_idx_file(const std::string& path) {
  std::vector<uint8_t> bytes = io::read_file(path);
  const bool gz = io::is_gzip(bytes);
  // A gzip'd file is inflated only as far as its header says, plus one byte that shows excess.
  if (gz) bytes = io::gunzip(bytes, path, idx_size);
  io::ByteReader r(bytes.data(), bytes.size(), gz ? "IDX (decompressed gzip)" : "IDX", path);
  const uint8_t zero0 = r.u8("the magic number's first byte (0)");
  const uint8_t zero1 = r.u8("the magic number's second byte (0)");
  if (zero0 != 0 || zero1 != 0) r.fail(0, "expected the IDX magic number to start with two zero bytes");
  const uint8_t type = r.u8("the type code");
  const uint8_t ndim = r.u8("the number of dimensions");
  ScalarType dtype;
  size_t item;
  switch (type) {
    case 0x08: dtype = kByte, item = 1; break;
    case 0x09: dtype = kInt, item = 1; break;
    case 0x0B: dtype = kInt, item = 2; break;
    case 0x0C: dtype = kInt, item = 4; break;
    case 0x0D: dtype = kFloat, item = 4; break;
    case 0x0E: dtype = kDouble, item = 8; break;
    default:
      r.fail(2, ::nabla::detail::str("expected a type code 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E, got 0x", std::hex,
                            int(type)));
  }
  std::vector<int64_t> dims;
  uint64_t numel = 1;
  for (uint8_t d = 0; d < ndim; ++d) {
    const uint32_t n = r.u32be(::nabla::detail::str("dimension ", int(d), " of ", int(ndim)).c_str());
    dims.push_back(n);
    if (__builtin_mul_overflow(numel, uint64_t{n}, &numel)) r.fail(4, "expected dimensions whose product fits in 64 bits");
  }
  uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, item, &nbytes) || nbytes > r.remaining())
    r.fail(r.pos(), ::nabla::detail::str("expected ", numel, " elements of ", item, " bytes of data, but the data ends after ",
                                bytes.size(), " bytes"));
  const uint8_t* src = r.bytes(static_cast<size_t>(nbytes), "the data");
  if (r.remaining() != 0 && gz)
    r.fail(r.pos(), ::nabla::detail::str("expected the end of the data after ", r.pos(),
                                         " bytes, but the decompressed stream holds more"));
  if (r.remaining() != 0)
    r.fail(r.pos(), ::nabla::detail::str("expected the end of the data after ", r.pos(), " bytes, but ", r.remaining(),
                                " more bytes follow"));
  Tensor t = empty(dims, dtype);
  const size_t n = static_cast<size_t>(numel);
  switch (type) {
    case 0x08: if (n) std::memcpy(t.data_ptr(), src, n); break;
    case 0x09: convert_be<int8_t>(src, t.data_ptr<int32_t>(), n); break;
    case 0x0B: convert_be<int16_t>(src, t.data_ptr<int32_t>(), n); break;
    case 0x0C: convert_be<int32_t>(src, t.data_ptr<int32_t>(), n); break;
    case 0x0D: convert_be<float>(src, t.data_ptr<float>(), n); break;
    default: convert_be<double>(src, t.data_ptr<double>(), n); break;
  }
  return t;
}

}  // namespace

Tensor read_idx(const std::string& path) {
  return io::guard_reader("IDX", path, [&] { return read_idx_file(path); });
}

}  // namespace nabla::data
