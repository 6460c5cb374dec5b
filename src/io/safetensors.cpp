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
    case kHalf: return "F16";
    case kShort: return "I16";
    case kChar: return "I8";
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

// One field of a header entry as the parser met it.
struct RawField {
  enum Kind { kAbsent, kString, kArray, kOther } kind = kAbsent;
  std::string text;              // kString
  std::vector<uint64_t> items;   // kArray: its non-negative integers
  bool items_ok = true;          // kArray: every item was a non-negative integer
};

struct RawEntry {
  std::string name;
  RawField dtype, shape, offsets;
};

// Note [Streaming the safetensors header]
// The header is read from the parser's events straight into entries, in the file's order: a
// JSON document (ordered_json searches its keys linearly on every insertion; even std::map
// nodes for 200,000 entries cost more than the parse) is never built. Keys other than dtype,
// shape and data_offsets are skipped, whatever they hold.
class HeaderParser : public nlohmann::json_sax<nlohmann::json> {
 public:
  // An entry takes at least ~50 bytes of header: room for the names without rehashing.
  explicit HeaderParser(size_t header_size) { names_.reserve(header_size / 50); }
  std::vector<RawEntry> entries;
  std::map<std::string, std::string> metadata;
  std::string error;  // what is wrong, at byte error_at of the header (0 but for syntax errors)
  size_t error_at = 0;

  bool null() override { return scalar(nullptr, nullptr); }
  bool boolean(bool) override { return scalar(nullptr, nullptr); }
  bool number_integer(number_integer_t) override { return scalar(nullptr, nullptr); }
  bool number_unsigned(number_unsigned_t v) override {
    const uint64_t u = v;
    return scalar(nullptr, &u);
  }
  bool number_float(number_float_t, const string_t&) override { return scalar(nullptr, nullptr); }
  bool string(string_t& v) override { return scalar(&v, nullptr); }
  bool binary(binary_t&) override { return scalar(nullptr, nullptr); }
  bool start_object(std::size_t) override { return open(true); }
  bool start_array(std::size_t) override { return open(false); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (skip_from_ >= 0) return true;
    if (depth_ == 1) {
      if (!names_.insert(k).second)
        return fail("expected each key once, but '" + io::excerpt(k) + "' appears twice in the JSON header");
      top_key_ = std::move(k);
    } else if (depth_ == 2) {
      key_ = std::move(k);
    }
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    error = "expected valid JSON: " + io::json_error_text(e) + " in the JSON header";
    error_at = position > 0 ? position - 1 : 0;
    return false;
  }

 private:
  bool fail(std::string what) {
    error = std::move(what);
    return false;
  }
  bool not_an_entry() {
    if (top_key_ == "__metadata__") return fail("expected \"__metadata__\" to be an object of strings");
    return fail("expected an object with dtype, shape and data_offsets for tensor '" + io::excerpt(top_key_) +
                "' in the JSON header");
  }
  bool not_a_string() {
    return fail("expected \"__metadata__\" to be an object of strings, but '" + io::excerpt(key_) + "' is not");
  }
  RawField* field() {
    RawEntry& e = entries.back();
    if (key_ == "dtype") return &e.dtype;
    if (key_ == "shape") return &e.shape;
    if (key_ == "data_offsets") return &e.offsets;
    return nullptr;
  }
  bool scalar(const std::string* s, const uint64_t* u) {
    if (skip_from_ >= 0) return true;
    if (depth_ == 0) return fail("expected the JSON header to be an object");
    if (depth_ == 1) return not_an_entry();
    if (depth_ == 2 && in_metadata_) {
      if (!s) return not_a_string();
      metadata[key_] = *s;
    } else if (depth_ == 2) {
      if (RawField* f = field()) {
        f->kind = s ? RawField::kString : RawField::kOther;
        if (s) f->text = *s;
      }
    } else if (u) {
      array_->items.push_back(*u);
    } else {
      array_->items_ok = false;
    }
    return true;
  }
  bool open(bool object) {
    if (skip_from_ < 0) {
      if (depth_ == 0 && !object) return fail("expected the JSON header to be an object");
      if (depth_ == 1) {
        if (!object) return not_an_entry();
        in_metadata_ = top_key_ == "__metadata__";
        if (!in_metadata_) entries.push_back(RawEntry{top_key_, {}, {}, {}});
      } else if (depth_ == 2 && in_metadata_) {
        return not_a_string();
      } else if (depth_ == 2) {
        RawField* f = field();
        if (f) *f = RawField{object ? RawField::kOther : RawField::kArray, {}, {}, true};
        if (f && !object) array_ = f;
        else skip_from_ = depth_;
      } else if (depth_ == 3) {
        array_->items_ok = false;
        skip_from_ = depth_;
      }
    }
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    if (skip_from_ == depth_) skip_from_ = -1;
    if (depth_ == 1) in_metadata_ = false;
    if (depth_ == 2) array_ = nullptr;
    return true;
  }

  int depth_ = 0;       // containers open
  int skip_from_ = -1;  // the depth at which a skipped container opened, or -1
  bool in_metadata_ = false;
  std::string top_key_, key_;
  RawField* array_ = nullptr;  // the shape or data_offsets being filled
  std::unordered_set<std::string> names_;
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
  if (const size_t at = io::too_deep_at(text); at != std::string::npos)
    io::fail_at(kKind, path, 8 + at,
                ::nabla::detail::str("expected JSON nested at most ", io::kMaxJsonDepth, " levels deep in the JSON header"));
  HeaderParser parsed(text.size());
  if (!nlohmann::json::sax_parse(text, &parsed)) {
    if (parsed.error.empty()) parsed.error = "expected valid JSON in the JSON header";
    io::fail_at(kKind, path, 8 + parsed.error_at, parsed.error);
  }

  Header h;
  h.data_start = 8 + n;
  h.metadata = std::move(parsed.metadata);
  const uint64_t data_size = file_size - h.data_start;
  h.entries.reserve(parsed.entries.size());
  for (RawEntry& raw : parsed.entries) {
    const std::string& name = raw.name;
    auto bad = [&](const std::string& what) {
      io::fail_at(kKind, path, 8, "expected " + what + " for tensor '" + io::excerpt(name) + "' in the JSON header");
    };
    Entry e{name, kFloat, {}, 0, 0};
    if (raw.dtype.kind != RawField::kString) bad("a \"dtype\" string");
    const std::string& d = raw.dtype.text;
    if (d == "F32") e.dtype = kFloat;
    else if (d == "F64") e.dtype = kDouble;
    else if (d == "I64") e.dtype = kLong;
    else if (d == "I32") e.dtype = kInt;
    else if (d == "U8") e.dtype = kByte;
    else if (d == "BOOL") e.dtype = kBool;
    else if (d == "F16") e.dtype = kHalf;
    else if (d == "I16") e.dtype = kShort;
    else if (d == "I8") e.dtype = kChar;
    else bad("a dtype of F32, F64, F16, I64, I32, I16, I8, U8 or BOOL (got '" + io::excerpt(d) + "')");
    if (raw.shape.kind != RawField::kArray) bad("a \"shape\" array");
    uint64_t numel = 1;
    if (!raw.shape.items_ok) bad("a shape of non-negative integers");
    for (const uint64_t v : raw.shape.items) {
      if (v > uint64_t(INT64_MAX)) bad("a shape of non-negative integers");
      if (__builtin_mul_overflow(numel, v, &numel)) bad("a shape whose element count fits in 64 bits");
      e.shape.push_back(static_cast<int64_t>(v));
    }
    if (raw.offsets.kind != RawField::kArray || !raw.offsets.items_ok || raw.offsets.items.size() != 2)
      bad("\"data_offsets\" as two non-negative integers [begin, end]");
    e.begin = raw.offsets.items[0];
    e.end = raw.offsets.items[1];
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
  std::vector<Entry> sorted = std::move(h.entries);
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
