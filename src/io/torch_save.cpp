// torch.save's files, read and written: the zip archive of torch >= 1.6 (<name>/data.pkl,
// <name>/data/<key>, <name>/version, optionally <name>/byteorder) and the legacy format of
// _use_new_zipfile_serialization=False (pickles of the magic number, the protocol version and
// the system info, then the object, then the storage keys, then each storage as an int64
// element count and its bytes). The object itself is read by the unpickler (pickle.h).
//
// Every storage kind loads as its own dtype except bfloat16, which nabla lacks: its storages are
// widened to float32 as they are read (every value exactly), so tensors sharing a storage still
// share one.
#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <map>
#include <set>

#include "io/bytes.h"
#include "io/pickle.h"
#include "io/zip.h"
#include "nabla/serialize.h"
#include "nabla/tensor_impl.h"

namespace nabla {

namespace {

constexpr const char* kTorchSaveKind = "torch.save";
// pickle.dump(0x1950a86a20f9469cfc6c, protocol=2): PROTO 2, LONG1 of 10 bytes, STOP.
constexpr uint8_t kLegacyMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                    0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};

ScalarType nabla_dtype(io::StorageKind k) {
  switch (k) {
    case io::StorageKind::Float:
    case io::StorageKind::BFloat16: return kFloat;
    case io::StorageKind::Half: return kHalf;
    case io::StorageKind::Double: return kDouble;
    case io::StorageKind::Long: return kLong;
    case io::StorageKind::Int: return kInt;
    case io::StorageKind::Short: return kShort;
    case io::StorageKind::Char: return kChar;
    case io::StorageKind::Byte: return kByte;
    case io::StorageKind::Bool: return kBool;
  }
  return kFloat;
}

// Copies `numel` elements of kind `k` (file byte order: `swap` if big-endian) into `out`.
void convert_into(StorageImpl& out, const uint8_t* src, int64_t numel, io::StorageKind k, bool swap,
                  const std::function<void(const std::string&)>& fail) {
  const size_t esize = io::storage_element_size(k);
  const size_t n = static_cast<size_t>(numel);
  auto* dst = static_cast<uint8_t*>(out.data());
  // Element sizes are 1, 2, 4 or 8 bytes (io::storage_element_size); the bound tells the compiler.
  const size_t width = std::min<size_t>(esize, 8);
  auto load = [&](size_t i, uint8_t* b) {
    const uint8_t* e = src + i * esize;
    for (size_t j = 0; j < width; ++j) b[j] = e[swap ? width - 1 - j : j];
  };
  uint8_t b[8] = {};
  switch (k) {
    case io::StorageKind::BFloat16:
      for (size_t i = 0; i < n; ++i) {
        load(i, b);
        const uint16_t v = static_cast<uint16_t>(b[0] | (b[1] << 8));
        const float f = std::bit_cast<float>(uint32_t{v} << 16);
        std::memcpy(dst + 4 * i, &f, 4);
      }
      return;
    case io::StorageKind::Bool:
      for (size_t i = 0; i < n; ++i)
        if (src[i] > 1) fail(detail::str("expected the bytes of a bool storage to be 0 or 1, got ", int{src[i]}));
      if (n) std::memcpy(dst, src, n);
      return;
    default:
      if (n) std::memcpy(dst, src, n * esize);
      if (swap) io::byteswap(dst, n, esize);
      return;
  }
}

// A storage the object refers to: made when the first persistent id names its key.
struct StorageEntry {
  io::StorageKind kind;
  int64_t numel;
  intrusive_ptr<StorageImpl> storage;
  bool filled = false;
};

io::LoadedStorage make_storage(std::map<std::string, StorageEntry>& entries, const io::StorageId& id,
                               const std::function<void(const std::string&)>& fail) {
  auto it = entries.find(id.key);
  if (it == entries.end()) {
    size_t nbytes = 0;
    if (__builtin_mul_overflow(static_cast<size_t>(id.numel), elementSize(nabla_dtype(id.kind)), &nbytes))
      fail(detail::str("the storage '", io::excerpt(id.key), "' of ", id.numel, " elements is too large"));
    it = entries.emplace(id.key, StorageEntry{id.kind, id.numel, {}, false}).first;
    it->second.storage = StorageImpl::allocate(nbytes);
    if (nbytes) std::memset(it->second.storage->data(), 0, nbytes);
  }
  const StorageEntry& e = it->second;
  if (e.kind != id.kind || e.numel != id.numel)
    fail(detail::str("the storage '", io::excerpt(id.key), "' is referred to with different types or sizes"));
  io::LoadedStorage out{e.storage, nabla_dtype(e.kind), e.numel, 0};
  if (id.has_view) {
    if (id.view_offset < 0 || id.view_size < 0 || id.view_offset > e.numel || id.view_size > e.numel - id.view_offset)
      fail(detail::str("the view of storage '", io::excerpt(id.key), "' at ", id.view_offset, " of ", id.view_size,
                       " elements lies outside its ", e.numel, " elements"));
    out.offset = id.view_offset;
    out.numel = id.view_size;
  }
  return out;
}

IValue load_zip(const std::vector<uint8_t>& bytes, const std::string& path) {
  const io::ZipReader zip(bytes, kTorchSaveKind, path);
  const auto& members = zip.members();
  if (members.empty()) zip.fail(0, "expected an archive holding <name>/data.pkl, but it is empty");
  const std::string& first = members[0].name;
  const size_t slash = first.find('/');
  if (slash == std::string::npos || slash == 0)
    zip.fail(members[0].local_offset, "expected the members in one folder (<name>/data.pkl), got '" +
                                          io::excerpt(first) + "'");
  const std::string prefix = first.substr(0, slash + 1);
  std::set<std::string> names;
  for (const io::ZipMember& m : members) {
    if (m.name.compare(0, prefix.size(), prefix) != 0)
      zip.fail(m.local_offset, "expected every member in the folder '" + io::excerpt(prefix) + "', got '" +
                                   io::excerpt(m.name) + "'");
    if (!names.insert(m.name).second) zip.fail(m.local_offset, "the member '" + io::excerpt(m.name) + "' appears twice");
  }
  if (zip.find(prefix + "constants.pkl"))
    zip.fail(0, "this is a TorchScript archive (torch.jit.save); nabla reads torch.save files: save the model's "
                "state_dict() with torch.save");
  const io::ZipMember* pkl = zip.find(prefix + "data.pkl");
  if (!pkl) zip.fail(0, "expected a member '" + io::excerpt(prefix) + "data.pkl'");
  const io::ZipMember* version = zip.find(prefix + "version");
  if (!version) version = zip.find(prefix + ".data/version");
  if (!version) zip.fail(0, "expected a member '" + io::excerpt(prefix) + "version'");
  {
    const io::ZipReader::Data v = zip.read(*version);
    std::string text(reinterpret_cast<const char*>(v.data), v.size);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty() || text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(text) < 1 || std::stoi(text) > 10)
      zip.fail(v.file_offset, "expected a format version from 1 to 10, got '" + io::excerpt(text) + "'");
  }
  bool swap = false;
  if (const io::ZipMember* order = zip.find(prefix + "byteorder")) {
    const io::ZipReader::Data v = zip.read(*order);
    const std::string text(reinterpret_cast<const char*>(v.data), v.size);
    if (text != "little" && text != "big")
      zip.fail(v.file_offset, "expected the byte order 'little' or 'big', got '" + io::excerpt(text) + "'");
    swap = text == "big";
  }
  std::map<std::string, StorageEntry> entries;
  const io::ZipReader::Data d = zip.read(*pkl);
  uint64_t at = d.file_offset;
  auto fail = [&](const std::string& what) { zip.fail(at, what); };
  io::PersistentLoad load = [&](const io::StorageId& id) {
    if (id.has_view) fail("storage views (legacy persistent ids) are not expected in a zip archive");
    io::LoadedStorage s = make_storage(entries, id, fail);
    StorageEntry& e = entries.at(id.key);
    if (!e.filled) {
      const std::string name = prefix + "data/" + id.key;
      const io::ZipMember* m = zip.find(name);
      if (!m) fail("the storage '" + io::excerpt(id.key) + "' has no member '" + io::excerpt(name) + "'");
      const io::ZipReader::Data data = zip.read(*m);
      const uint64_t expected = static_cast<uint64_t>(e.numel) * io::storage_element_size(e.kind);
      if (data.size != expected)
        zip.fail(data.file_offset, detail::str("expected ", expected, " bytes for the storage '", io::excerpt(id.key),
                                               "' of ", e.numel, " elements, but its member has ", data.size));
      at = data.file_offset;
      convert_into(*e.storage, data.data, e.numel, e.kind, swap, fail);
      e.filled = true;
    }
    return s;
  };
  if (d.inflated) at = 0;
  return io::unpickle(d.data, d.size, d.inflated ? "torch.save member data.pkl (decompressed) in the" : kTorchSaveKind, path,
                      d.inflated ? 0 : d.file_offset, load);
}

IValue load_legacy(const std::vector<uint8_t>& bytes, const std::string& path) {
  io::ByteReader r(bytes.data(), bytes.size(), kTorchSaveKind, path);
  r.bytes(sizeof kLegacyMagic, "the magic number");
  std::map<std::string, StorageEntry> entries;
  io::PersistentLoad none = [&](const io::StorageId&) -> io::LoadedStorage {
    r.fail(r.pos(), "expected no storages in this pickle");
  };
  auto next = [&](const io::PersistentLoad& load) {
    size_t used = 0;
    IValue v = io::unpickle(bytes.data() + r.pos(), r.remaining(), kTorchSaveKind, path, r.pos(), load, &used);
    r.seek(r.pos() + used, "the next pickle");
    return v;
  };
  const size_t version_at = r.pos();
  const IValue version = next(none);
  if (!version.isInt() || version.toInt() != 1001)
    r.fail(version_at, "expected the legacy protocol version 1001");
  const size_t info_at = r.pos();
  const IValue info = next(none);
  bool swap = false;
  if (!info.isGenericDict()) r.fail(info_at, "expected the system info dict");
  const GenericDict info_dict = info.toGenericDict();
  if (info_dict.contains("little_endian")) {
    const IValue& le = info_dict.at("little_endian");
    if (!le.isBool()) r.fail(info_at, "expected little_endian to be a bool");
    swap = !le.toBool();
  }
  const size_t object_at = r.pos();
  io::PersistentLoad load = [&](const io::StorageId& id) {
    return make_storage(entries, id, [&](const std::string& what) { r.fail(object_at, what); });
  };
  IValue result = next(load);
  const size_t keys_at = r.pos();
  const IValue keys = next(none);
  if (!keys.isList()) r.fail(keys_at, "expected the list of storage keys");
  for (const IValue& k : keys.toListRef()) {
    if (!k.isString()) r.fail(keys_at, "expected the storage keys to be strings");
    auto it = entries.find(k.toStringRef());
    if (it == entries.end())
      r.fail(keys_at, "the storage key '" + io::excerpt(k.toStringRef()) + "' is not used by the object");
    StorageEntry& e = it->second;
    if (e.filled) r.fail(keys_at, "the storage key '" + io::excerpt(k.toStringRef()) + "' is listed twice");
    const size_t count_at = r.pos();
    uint64_t count = r.u64le("a storage's element count");
    if (swap) count = __builtin_bswap64(count);
    if (count != static_cast<uint64_t>(e.numel))
      r.fail(count_at, detail::str("expected ", e.numel, " elements for the storage '", io::excerpt(k.toStringRef()),
                                   "', the file says ", count));
    const size_t nbytes = static_cast<size_t>(e.numel) * io::storage_element_size(e.kind);
    const uint8_t* data = r.bytes(nbytes, "a storage's data");
    convert_into(*e.storage, data, e.numel, e.kind, swap, [&](const std::string& what) { r.fail(count_at, what); });
    e.filled = true;
  }
  for (const auto& [key, e] : entries)
    if (!e.filled) r.fail(keys_at, "the storage '" + io::excerpt(key) + "' has no data (its key is not listed)");
  return result;
}

IValue load_bytes(const std::vector<uint8_t>& bytes, const std::string& path) {
  if (bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4)
    return load_zip(bytes, path);
  if (bytes.size() >= sizeof kLegacyMagic && std::memcmp(bytes.data(), kLegacyMagic, sizeof kLegacyMagic) == 0)
    return load_legacy(bytes, path);
  if (bytes.size() >= 262 && std::memcmp(bytes.data() + 257, "ustar", 5) == 0)
    io::fail_at(kTorchSaveKind, path, 0, "the tar format of torch < 0.4 is not supported");
  io::fail_at(kTorchSaveKind, path, 0,
              "expected a zip archive (torch >= 1.6) or the legacy format, which begins with pickle's magic "
              "number 0x1950a86a20f9469cfc6c");
}

std::string archive_name(const std::string& path) {
  // torch.save names the folder after the file, without directories and extension.
  std::string base = path.substr(path.find_last_of('/') + 1);
  base = base.substr(0, base.find('.'));
  for (char c : base)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return "archive";
  return base.empty() ? "archive" : base;
}

// The archive's chunks: pickled data, the storages, the version.
struct Archive {
  io::ZipWriter zip;
  std::vector<uint8_t> pkl;
  std::vector<io::SavedStorage> storages;
};

void build_archive(Archive& a, const IValue& value, const std::string& folder, const char* what) {
  a.pkl = io::pickle(value, a.storages, what);
  a.zip.add(folder + "/data.pkl", a.pkl.data(), a.pkl.size(), false, 64);
  static const char kLittle[] = "little";
  a.zip.add(folder + "/byteorder", kLittle, 6, false, 64);
  for (size_t i = 0; i < a.storages.size(); ++i)
    a.zip.add(folder + "/data/" + std::to_string(i), a.storages[i].storage->data(), a.storages[i].nbytes, false, 64);
  static const char kVersion[] = "3\n";
  a.zip.add(folder + "/version", kVersion, 2, false, 64);
  a.zip.finish();
}

}  // namespace

IValue torch_load(const std::string& path) {
  return io::guard_reader(kTorchSaveKind, path, [&] { return load_bytes(io::read_file(path), path); });
}

void torch_save(const IValue& value, const std::string& path) {
  Archive a{io::ZipWriter("torch_save", path), {}, {}};
  build_archive(a, value, archive_name(path), "torch_save");
  io::write_file_atomic(path, a.zip.chunks());
}

IValue pickle_load(const std::vector<char>& data) {
  static const std::string kName = "<pickle_load data>";
  return io::guard_reader(kTorchSaveKind, kName, [&] {
    const std::vector<uint8_t> bytes(data.begin(), data.end());
    return load_bytes(bytes, kName);
  });
}

std::vector<char> pickle_save(const IValue& value) {
  Archive a{io::ZipWriter("pickle_save", "<memory>"), {}, {}};
  build_archive(a, value, "archive", "pickle_save");
  std::vector<char> out;
  for (const io::Chunk& c : a.zip.chunks()) {
    const auto* p = static_cast<const char*>(c.data);
    out.insert(out.end(), p, p + c.size);
  }
  return out;
}

OrderedDict<std::string, Tensor> to_state_dict(const IValue& value) {
  NABLA_CHECK(value.isGenericDict(), "to_state_dict: expected a dict of str to Tensor (a state_dict), but got ",
              value.tagKind());
  OrderedDict<std::string, Tensor> out;
  for (const DictEntry& e : value.toGenericDict()) {
    NABLA_CHECK(e.key().isString(), "to_state_dict: expected str keys, but got ", e.key().tagKind(), " ", e.key());
    const std::string& k = e.key().toStringRef();
    NABLA_CHECK(e.value().isTensor(), "to_state_dict: expected a Tensor under '", io::excerpt(k), "', but got ",
                e.value().tagKind(),
                " (a checkpoint holds its state_dict under a key: to_state_dict(ckpt.toGenericDict().at(\"model\")))");
    out.insert(k, e.value().toTensor());
  }
  return out;
}

}  // namespace nabla
