// The safetensors format: <u64 little-endian N><N bytes of JSON header><data>. The header maps
// each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets relative to the
// start of the data), with an optional "__metadata__" object of strings. As the reference
// implementation checks, the tensors must tile the data exactly: sorted by offset, each begins
// where the previous ends, the last ends at the end of the file, and each byte range holds
// exactly shape's element count times the dtype's size.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "io/bytes.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "nabla/functions.h"
#include "nabla/serialize.h"

namespace nabla {

using io::ParsedJson;
using io::parse_json;

namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

constexpr uint64_t kMaxHeader = 100'000'000;  // the reference implementation's limit
constexpr const char* kKind = "safetensors";

const char* dtype_name(ScalarType t) {
  switch (t) {
    case kFloat: return "F32";
    case kDouble: return "F64";
    case kLong: return "I64";
    case kInt: return "I32";
    case kByte: return "U8";
    case kBool: return "BOOL";
  }
  return "";
}

struct Entry {
  std::string name;
  ScalarType dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

// An open file descriptor that closes itself.
struct Fd {
  explicit Fd(const std::string& path) : fd(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd < 0) throw Error(::nabla::detail::str("cannot open file '", path, "': ", std::strerror(errno)));
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { close(fd); }
  int fd;
};

void read_exact(int fd, void* dst, size_t n, uint64_t offset, const std::string& path, const char* what) {
  auto* p = static_cast<uint8_t*>(dst);
  while (n > 0) {
    const ssize_t got = pread(fd, p, std::min<size_t>(n, size_t{1} << 30), static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw Error(::nabla::detail::str("cannot read file '", path, "': ", std::strerror(errno)));
    if (got == 0) io::fail_at(kKind, path, offset, ::nabla::detail::str("expected ", what, ", but the file ends here"));
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
}

struct Header {
  std::vector<Entry> entries;  // sorted by data offset
  std::map<std::string, std::string> metadata;
  uint64_t data_start;
};

Header read_header(int fd, const std::string& path) {
  struct stat st{};
  if (fstat(fd, &st) != 0) throw Error(::nabla::detail::str("cannot read file '", path, "': ", std::strerror(errno)));
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (file_size < 8)
    io::fail_at(kKind, path, 0, ::nabla::detail::str("expected an 8-byte header length, but the file has only ", file_size,
                                            " bytes"));
  uint8_t len_bytes[8];
  read_exact(fd, len_bytes, 8, 0, path, "the header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  if (n > kMaxHeader)
    io::fail_at(kKind, path, 0, ::nabla::detail::str("expected a header length of at most ", kMaxHeader, " bytes, got ", n));
  if (8 + n > file_size)
    io::fail_at(kKind, path, 8, ::nabla::detail::str("expected a JSON header of ", n, " bytes, but the file ends after ",
                                            file_size, " bytes"));
  std::string text(static_cast<size_t>(n), '\0');
  read_exact(fd, text.data(), text.size(), 8, path, "the JSON header");
  if (text.empty() || text[0] != '{') io::fail_at(kKind, path, 8, "expected the JSON header to start with '{'");
  ParsedJson parsed = parse_json(text, /*want_top_keys=*/true);
  if (!parsed.error.empty()) io::fail_at(kKind, path, 8 + parsed.error_at, parsed.error + " in the JSON header");
  const nlohmann::json& header = parsed.value;
  if (!header.is_object()) io::fail_at(kKind, path, 8, "expected the JSON header to be an object");

  Header h;
  h.data_start = 8 + n;
  const uint64_t data_size = file_size - h.data_start;
  h.entries.reserve(parsed.top_keys.size());
  for (const std::string& name : parsed.top_keys) {
    const nlohmann::json& value = header.find(name).value();
    auto bad = [&](const std::string& what) {
      io::fail_at(kKind, path, 8, "expected " + what + " for tensor '" + io::excerpt(name) + "' in the JSON header");
    };
    if (name == "__metadata__") {
      if (!value.is_object()) io::fail_at(kKind, path, 8, "expected \"__metadata__\" to be an object of strings");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string())
          io::fail_at(kKind, path, 8,
                      "expected \"__metadata__\" to be an object of strings, but '" + io::excerpt(k) + "' is not");
        h.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    if (!value.is_object()) bad("an object with dtype, shape and data_offsets");
    Entry e{name, kFloat, {}, 0, 0};
    const auto dt = value.find("dtype");
    if (dt == value.end() || !dt->is_string()) bad("a \"dtype\" string");
    const std::string d = dt->get<std::string>();
    if (d == "F32") e.dtype = kFloat;
    else if (d == "F64") e.dtype = kDouble;
    else if (d == "I64") e.dtype = kLong;
    else if (d == "I32") e.dtype = kInt;
    else if (d == "U8") e.dtype = kByte;
    else if (d == "BOOL") e.dtype = kBool;
    else bad("a dtype of F32, F64, I64, I32, U8 or BOOL (got '" + io::excerpt(d) + "')");
    const auto sh = value.find("shape");
    if (sh == value.end() || !sh->is_array()) bad("a \"shape\" array");
    uint64_t numel = 1;
    for (const auto& dim : *sh) {
      if (!dim.is_number_unsigned() || dim.get<uint64_t>() > uint64_t(INT64_MAX))
        bad("a shape of non-negative integers");
      const uint64_t v = dim.get<uint64_t>();
      if (__builtin_mul_overflow(numel, v, &numel)) bad("a shape whose element count fits in 64 bits");
      e.shape.push_back(static_cast<int64_t>(v));
    }
    const auto off = value.find("data_offsets");
    if (off == value.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      bad("\"data_offsets\" as two non-negative integers [begin, end]");
    e.begin = (*off)[0].get<uint64_t>();
    e.end = (*off)[1].get<uint64_t>();
    if (e.end < e.begin) bad(::nabla::detail::str("data_offsets with begin <= end (got [", e.begin, ", ", e.end, "])"));
    if (e.end > data_size)
      bad(::nabla::detail::str("data_offsets inside the data (got [", e.begin, ", ", e.end, "], but the data holds ",
                      data_size, " bytes)"));
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(numel, elementSize(e.dtype), &nbytes) || nbytes != e.end - e.begin)
      bad(::nabla::detail::str("data_offsets spanning ", numel, " elements of ", elementSize(e.dtype),
                      " bytes as its shape says (got [", e.begin, ", ", e.end, "])"));
    h.entries.push_back(std::move(e));
  }
  std::vector<Entry> sorted = h.entries;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Entry& a, const Entry& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  uint64_t expected = 0;
  for (const Entry& e : sorted) {
    if (e.begin < expected)
      io::fail_at(kKind, path, h.data_start + e.begin,
                  ::nabla::detail::str("expected tensor '", e.name, "' to begin at data offset ", expected,
                              " after the previous tensor, but its data_offsets [", e.begin, ", ", e.end,
                              "] overlap it"));
    if (e.begin > expected)
      io::fail_at(kKind, path, h.data_start + expected,
                  ::nabla::detail::str("expected tensor '", e.name, "' to begin at data offset ", expected,
                              ", but its data_offsets [", e.begin, ", ", e.end, "] leave a gap"));
    expected = e.end;
  }
  if (expected != data_size)
    io::fail_at(kKind, path, h.data_start + expected,
                ::nabla::detail::str("expected the data to end after ", expected, " bytes, as the header says, but ",
                            data_size - expected, " more bytes follow"));
  h.entries = std::move(sorted);
  return h;
}

}  // namespace

void save(const NamedTensors& tensors, const std::string& path, const std::map<std::string, std::string>& metadata) {
  // The header is written entry by entry (as ordered_json would dump it, in this order): an
  // ordered_json object would search its keys on every insertion.
  std::string text = "{";
  if (!metadata.empty()) text += "\"__metadata__\":" + nlohmann::json(metadata).dump();
  std::vector<Tensor> contiguous;
  contiguous.reserve(tensors.size());
  std::unordered_set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    NABLA_CHECK(tensor.defined(), "save: tensor '", name, "' is undefined ('", path, "')");
    NABLA_CHECK(name != "__metadata__", "save: '__metadata__' is reserved and cannot name a tensor ('", path, "')");
    NABLA_CHECK(names.insert(name).second, "save: the tensor name '", name, "' appears twice ('", path, "')");
    contiguous.push_back(tensor.detach().contiguous());
    const Tensor& t = contiguous.back();
    if (text.size() > 1) text += ',';
    text += nlohmann::json(name).dump();
    text += ::nabla::detail::str(":{\"dtype\":\"", dtype_name(t.scalar_type()), "\",\"shape\":[");
    for (int64_t i = 0; i < t.dim(); ++i) {
      if (i > 0) text += ',';
      text += std::to_string(t.size(i));
    }
    text += ::nabla::detail::str("],\"data_offsets\":[", offset, ",", offset + t.nbytes(), "]}");
    offset += t.nbytes();
  }
  text += '}';
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));
  std::vector<io::Chunk> chunks{{len, 8}, {text.data(), text.size()}};
  for (const Tensor& t : contiguous) chunks.push_back({t.data_ptr(), t.nbytes()});
  io::write_file_atomic(path, chunks);
}

namespace io {

SafetensorsContent read_safetensors(const std::string& path, bool with_tensors) {
  return guard_reader(kKind, path, [&] {
    Fd f(path);
    Header h = read_header(f.fd, path);
    SafetensorsContent out;
    out.metadata = std::move(h.metadata);
    if (!with_tensors) return out;
    out.tensors.reserve(h.entries.size());
    for (const Entry& e : h.entries) {
      Tensor t = empty(e.shape, e.dtype);
      if (t.nbytes() > 0) read_exact(f.fd, t.data_ptr(), t.nbytes(), h.data_start + e.begin, path, "tensor data");
      if (e.dtype == kBool) {
        auto* p = static_cast<uint8_t*>(t.data_ptr());
        for (size_t i = 0; i < t.nbytes(); ++i) p[i] = p[i] != 0;
      }
      out.tensors.emplace_back(e.name, std::move(t));
    }
    return out;
  });
}

}  // namespace io

NamedTensors load(const std::string& path) { return io::read_safetensors(path, true).tensors; }

std::map<std::string, std::string> load_metadata(const std::string& path) {
  return io::read_safetensors(path, false).metadata;
}

}  // namespace nabla
