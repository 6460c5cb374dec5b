// NumPy's .npz: a zip archive of .npy members, stored (numpy.savez) or deflated
// (numpy.savez_compressed). numpy writes members with zip64 local headers (force_zip64), so
// sizes and offsets are taken from the central directory, whose zip64 extra fields are read too.
#include <set>

#include "io/bytes.h"
#include "io/npy_format.h"
#include "nabla/data/npy.h"

namespace nabla::io {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;

struct Member {
  std::string name;
  uint16_t method;
  uint16_t flags;
  uint32_t crc;
  uint64_t compressed_size;
  uint64_t size;
  uint64_t local_offset;
};

struct Directory {
  uint64_t entries;
  uint64_t offset;
  uint64_t size;
  size_t end_at;  // where the end of central directory record begins
};

Directory find_directory(ByteReader& r) {
  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 65535.
  const size_t n = r.size();
  if (n < 22) r.fail(0, "expected a zip archive (at least the 22-byte end of central directory record)");
  size_t at = n - 22;
  const size_t stop = n >= 22 + 65535 ? n - 22 - 65535 : 0;
  while (true) {
    r.seek(at, "the end of central directory record");
    if (r.u32le("a signature") == kEndSig) break;
    if (at == stop) r.fail(n - 22, "expected the zip end of central directory signature 50 4b 05 06");
    --at;
  }
  r.seek(at + 10, "the entry count");
  Directory d{};
  d.entries = r.u16le("the number of entries");
  d.size = r.u32le("the central directory size");
  d.offset = r.u32le("the central directory offset");
  if (d.entries == 0xFFFF || d.size == 0xFFFFFFFF || d.offset == 0xFFFFFFFF) {
    if (at < 20) r.fail(at, "expected a zip64 end of central directory locator before this record");
    r.seek(at - 20, "the zip64 locator");
    if (r.u32le("the zip64 locator signature") != kZip64LocatorSig)
      r.fail(at - 20, "expected the zip64 end of central directory locator signature 50 4b 06 07");
    r.u32le("the disk number");
    const uint64_t z = r.u64le("the zip64 end of central directory offset");
    if (z > n) r.fail(at - 16, "expected the zip64 end of central directory offset to lie inside the file");
    r.seek(static_cast<size_t>(z), "the zip64 end of central directory record");
    if (r.u32le("the zip64 end of central directory signature") != kZip64EndSig)
      r.fail(static_cast<size_t>(z), "expected the zip64 end of central directory signature 50 4b 06 06");
    r.bytes(20, "the zip64 record's sizes, versions and disk numbers");
    d.entries = r.u64le("the number of entries");
    d.size = r.u64le("the central directory size");
    d.offset = r.u64le("the central directory offset");
  }
  if (d.offset > n || d.size > n - d.offset)
    r.fail(at, ::nabla::detail::str("expected the central directory (", d.size, " bytes at offset ", d.offset,
                           ") to lie inside the file"));
  // Each entry takes at least 46 bytes; an archive whose record counts none holds nothing else.
  if (d.entries > d.size / 46)
    r.fail(at, ::nabla::detail::str("expected at most ", d.size / 46, " entries in a central directory of ", d.size,
                                    " bytes, but the end record counts ", d.entries));
  if (d.entries == 0 && (d.size != 0 || at != 0))
    r.fail(at, ::nabla::detail::str("expected an archive whose end record counts 0 entries to be empty, but ", at,
                                    " bytes precede the record"));
  d.end_at = at;
  return d;
}

Member read_member(ByteReader& r, const std::string& path) {
  const size_t at = r.pos();
  if (r.u32le("a central directory header signature") != kCentralSig)
    r.fail(at, "expected a central directory header signature 50 4b 01 02");
  Member m{};
  r.u16le("the version made by");
  r.u16le("the version needed");
  m.flags = r.u16le("the flags");
  m.method = r.u16le("the compression method");
  r.u32le("the modification time");
  m.crc = r.u32le("the CRC-32");
  m.compressed_size = r.u32le("the compressed size");
  m.size = r.u32le("the uncompressed size");
  const uint16_t name_len = r.u16le("the name length");
  const uint16_t extra_len = r.u16le("the extra field length");
  const uint16_t comment_len = r.u16le("the comment length");
  r.bytes(8, "the disk number and attributes");
  m.local_offset = r.u32le("the local header offset");
  const auto* name = reinterpret_cast<const char*>(r.bytes(name_len, "the member name"));
  m.name.assign(name, name_len);
  const uint8_t* extra_bytes = r.bytes(extra_len, "the extra field");
  const size_t extra_at = r.pos() - extra_len;
  ByteReader extra(extra_bytes, extra_len, "npz", path, extra_at);
  while (extra.remaining() >= 4) {
    const uint16_t id = extra.u16le("an extra field id");
    const uint16_t len = extra.u16le("an extra field length");
    if (len > extra.remaining()) r.fail(extra_at + extra.pos(), "expected an extra field inside the header");
    const size_t end = extra.pos() + len;
    if (id == 0x0001) {  // zip64: the 64-bit values of the fields saturated above, in order
      auto take = [&](uint64_t& field) {
        if (field != 0xFFFFFFFF) return;
        if (end - extra.pos() < 8) r.fail(extra_at + extra.pos(), "expected an 8-byte zip64 value");
        field = extra.u64le("a zip64 value");
      };
      take(m.size);
      take(m.compressed_size);
      take(m.local_offset);
    }
    extra.seek(end, "the next extra field");
  }
  r.bytes(comment_len, "the member comment");
  return m;
}

}  // namespace

}  // namespace nabla::io

namespace nabla::data {

namespace {

std::vector<std::pair<std::string, Tensor>> read_npz_file(const std::string& path) {
  const std::vector<uint8_t> bytes = io::read_file(path);
  io::ByteReader r(bytes.data(), bytes.size(), "npz", path);
  const io::Directory dir = io::find_directory(r);
  r.seek(static_cast<size_t>(dir.offset), "the central directory");
  std::vector<io::Member> members;
  for (uint64_t i = 0; i < dir.entries; ++i) members.push_back(io::read_member(r, path));
  if (r.pos() != dir.offset + dir.size)
    r.fail(dir.end_at, ::nabla::detail::str("expected the central directory's ", dir.entries, " entries to fill its ",
                                            dir.size, " bytes, but they end at offset ", r.pos(),
                                            " instead of ", dir.offset + dir.size));

  std::vector<std::pair<std::string, Tensor>> out;
  std::set<std::string> seen;
  for (const io::Member& m : members) {
    const size_t at = static_cast<size_t>(std::min<uint64_t>(m.local_offset, bytes.size()));
    if (m.local_offset > bytes.size()) r.fail(at, "expected the local header of '" + m.name + "' inside the file");
    r.seek(at, "a local header");
    if (r.u32le("a local header signature") != io::kLocalSig)
      r.fail(at, "expected the local header signature 50 4b 03 04 of '" + m.name + "'");
    r.bytes(22, "the local header fields");
    const uint16_t name_len = r.u16le("the local name length");
    const uint16_t extra_len = r.u16le("the local extra field length");
    r.bytes(size_t{name_len} + extra_len, "the local name and extra field");
    const size_t data_at = r.pos();
    if (m.flags & 1) r.fail(at, "expected an unencrypted member, but '" + m.name + "' is encrypted");
    if (m.method != 0 && m.method != 8)
      r.fail(at, ::nabla::detail::str("expected compression method 0 (stored) or 8 (deflate) for '", m.name, "', got ",
                             m.method));
    if (m.compressed_size > r.remaining())
      r.fail(data_at, ::nabla::detail::str("expected ", m.compressed_size, " bytes of data for '", m.name,
                                  "', but the file ends after ", bytes.size(), " bytes"));
    const uint8_t* data = r.bytes(static_cast<size_t>(m.compressed_size), "the member data");
    std::vector<uint8_t> inflated;
    if (m.method == 8) {
      inflated = io::inflate_raw(data, static_cast<size_t>(m.compressed_size), static_cast<size_t>(m.size), "npz",
                                 path, data_at);
      data = inflated.data();
    } else if (m.size != m.compressed_size) {
      r.fail(at, ::nabla::detail::str("expected equal sizes for the stored member '", m.name, "', got ", m.compressed_size,
                             " and ", m.size));
    }
    const size_t size = static_cast<size_t>(m.size);
    if (io::crc32(data, size) != m.crc)
      r.fail(data_at, "expected the data of '" + m.name + "' to match its CRC-32 checksum");
    std::string name = m.name;
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0)
      r.fail(at, "expected members named <array>.npy, got '" + m.name + "'");
    name.resize(name.size() - 4);
    if (!seen.insert(name).second) r.fail(at, "expected one member per array name, got '" + m.name + "' twice");
    // Errors inside a deflated member give offsets into the decompressed .npy and say so.
    const std::string kind = m.method == 8 ? "npz member '" + m.name + "' (decompressed) in the" : "npz";
    out.emplace_back(name, io::parse_npy(data, size, kind.c_str(), path, m.method == 8 ? 0 : data_at));
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> read_npz(const std::string& path) {
  return io::guard_reader("npz", path, [&] { return read_npz_file(path); });
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
               bool compressed) {
  std::vector<uint8_t> file, central;
  std::set<std::string> seen;
  for (const auto& [name, tensor] : tensors) {
    NABLA_CHECK(seen.insert(name).second, "write_npz: the name '", name, "' appears twice");
    const Tensor t = tensor.detach().contiguous();
    std::vector<uint8_t> npy = io::npy_header(t);
    const auto* raw = static_cast<const uint8_t*>(t.data_ptr());
    npy.insert(npy.end(), raw, raw + t.nbytes());
    const uint32_t crc = io::crc32(npy.data(), npy.size());
    std::vector<uint8_t> packed;
    if (compressed) packed = io::deflate_raw(npy.data(), npy.size());
    const std::vector<uint8_t>& body = compressed ? packed : npy;
    const std::string member = name + ".npy";
    NABLA_CHECK(npy.size() < 0xFFFFFFFFull && file.size() < 0xFFFFFFFFull && member.size() < 0xFFFF,
                "write_npz: '", path, "' would need zip64 (members or archive over 4 GiB), which is not supported");
    const uint16_t method = compressed ? 8 : 0;
    auto common = [&](std::vector<uint8_t>& out) {
      io::put_le(out, 20, 2);      // version needed: 2.0
      io::put_le(out, 0, 2);       // flags
      io::put_le(out, method, 2);
      io::put_le(out, 0, 2);       // time 00:00
      io::put_le(out, 0x21, 2);    // date 1980-01-01
      io::put_le(out, crc, 4);
      io::put_le(out, body.size(), 4);
      io::put_le(out, npy.size(), 4);
      io::put_le(out, member.size(), 2);
      io::put_le(out, 0, 2);       // extra length
    };
    const uint64_t local_offset = file.size();
    io::put_le(central, io::kCentralSig, 4);
    io::put_le(central, 20, 2);    // version made by
    common(central);
    io::put_le(central, 0, 2);     // comment length
    io::put_le(central, 0, 2);     // disk
    io::put_le(central, 0, 2);     // internal attributes
    io::put_le(central, 0x81800000u, 4);  // external attributes: regular file, 0600
    io::put_le(central, local_offset, 4);
    central.insert(central.end(), member.begin(), member.end());
    io::put_le(file, io::kLocalSig, 4);
    common(file);
    file.insert(file.end(), member.begin(), member.end());
    file.insert(file.end(), body.begin(), body.end());
  }
  NABLA_CHECK(tensors.size() < 0xFFFF && file.size() < 0xFFFFFFFFull, "write_npz: '", path,
              "' would need zip64 (too many members or over 4 GiB), which is not supported");
  const uint64_t central_offset = file.size();
  file.insert(file.end(), central.begin(), central.end());
  io::put_le(file, io::kEndSig, 4);
  io::put_le(file, 0, 4);  // disk numbers
  io::put_le(file, tensors.size(), 2);
  io::put_le(file, tensors.size(), 2);
  io::put_le(file, central.size(), 4);
  io::put_le(file, central_offset, 4);
  io::put_le(file, 0, 2);  // comment length
  io::write_file_atomic(path, {{file.data(), file.size()}});
}

}  // namespace nabla::data
