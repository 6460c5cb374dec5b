// Zip archives (see zip.h). Sizes and offsets come from the central directory, whose zip64
// extra fields are read too; a local header is only checked for its signature and skipped.
#include "io/zip.h"

#include <unordered_set>

namespace nabla::io {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;


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

ZipMember read_member(ByteReader& r, std::string_view kind, const std::string& path) {
  const size_t at = r.pos();
  if (r.u32le("a central directory header signature") != kCentralSig)
    r.fail(at, "expected a central directory header signature 50 4b 01 02");
  ZipMember m{};
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
  ByteReader extra(extra_bytes, extra_len, kind, path, extra_at);
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

ZipReader::ZipReader(const std::vector<uint8_t>& bytes, std::string_view kind, const std::string& path)
    : bytes_(bytes), kind_(kind), path_(path) {
  ByteReader r(bytes.data(), bytes.size(), kind, path);
  const Directory dir = find_directory(r);
  r.seek(static_cast<size_t>(dir.offset), "the central directory");
  members_.reserve(static_cast<size_t>(dir.entries));
  for (uint64_t i = 0; i < dir.entries; ++i) members_.push_back(read_member(r, kind, path));
  if (r.pos() != dir.offset + dir.size)
    r.fail(dir.end_at, ::nabla::detail::str("expected the central directory's ", dir.entries, " entries to fill its ",
                                            dir.size, " bytes, but they end at offset ", r.pos(), " instead of ",
                                            dir.offset + dir.size));
}

const ZipMember* ZipReader::find(std::string_view name) const {
  for (const ZipMember& m : members_)
    if (m.name == name) return &m;
  return nullptr;
}

void ZipReader::fail(uint64_t at, const std::string& what) const { fail_at(kind_, path_, at, what); }

ZipReader::Data ZipReader::read(const ZipMember& m) const {
  ByteReader r(bytes_.data(), bytes_.size(), kind_, path_);
  const size_t at = static_cast<size_t>(std::min<uint64_t>(m.local_offset, bytes_.size()));
  if (m.local_offset > bytes_.size()) r.fail(at, "expected the local header of '" + m.name + "' inside the file");
  r.seek(at, "a local header");
  if (r.u32le("a local header signature") != kLocalSig)
    r.fail(at, "expected the local header signature 50 4b 03 04 of '" + m.name + "'");
  r.bytes(22, "the local header fields");
  const uint16_t name_len = r.u16le("the local name length");
  const uint16_t extra_len = r.u16le("the local extra field length");
  r.bytes(size_t{name_len} + extra_len, "the local name and extra field");
  Data out;
  out.file_offset = r.pos();
  if (m.flags & 1) r.fail(at, "expected an unencrypted member, but '" + m.name + "' is encrypted");
  if (m.method != 0 && m.method != 8)
    r.fail(at, ::nabla::detail::str("expected compression method 0 (stored) or 8 (deflate) for '", m.name, "', got ",
                                    m.method));
  if (m.compressed_size > r.remaining())
    r.fail(out.file_offset, ::nabla::detail::str("expected ", m.compressed_size, " bytes of data for '", m.name,
                                                 "', but the file ends after ", bytes_.size(), " bytes"));
  out.data = r.bytes(static_cast<size_t>(m.compressed_size), "the member data");
  if (m.method == 8) {
    out.owned = inflate_raw(out.data, static_cast<size_t>(m.compressed_size), static_cast<size_t>(m.size), kind_,
                            path_, out.file_offset);
    out.data = out.owned.data();
    out.inflated = true;
  } else if (m.size != m.compressed_size) {
    r.fail(at, ::nabla::detail::str("expected equal sizes for the stored member '", m.name, "', got ",
                                    m.compressed_size, " and ", m.size));
  }
  out.size = static_cast<size_t>(m.size);
  if (crc32(out.data, out.size) != m.crc)
    r.fail(out.file_offset, "expected the data of '" + m.name + "' to match its CRC-32 checksum");
  return out;
}

std::vector<uint8_t>& ZipWriter::buffer() {
  owned_.emplace_back();
  return owned_.back();
}

void ZipWriter::add(const std::string& name, const void* data, size_t size, bool compress, size_t align) {
  NABLA_CHECK(name.size() < 0xFFFF, what_, ": the member name '", excerpt(name), "' is too long for a zip archive");
  const uint32_t crc = crc32(static_cast<const uint8_t*>(data), size);
  const void* body = data;
  size_t body_size = size;
  if (compress) {
    std::vector<uint8_t>& packed = buffer();
    packed = deflate_raw(static_cast<const uint8_t*>(data), size);
    body = packed.data();
    body_size = packed.size();
  }
  NABLA_CHECK(size < 0xFFFFFFFFull && body_size < 0xFFFFFFFFull && offset_ < 0xFFFFFFFFull && count_ < 0xFFFE,
              what_, ": '", path_, "' would need zip64 (members or archive over 4 GiB, or 65535 members), which is "
              "not supported");
  const uint16_t method = compress ? 8 : 0;
  // The local header is 30 bytes and the name; padding in an extra field (id 'FB', as torch's
  // writer uses) moves the data to the next multiple of `align`.
  size_t pad = 0;
  if (align > 1) {
    const uint64_t data_at = offset_ + 30 + name.size();
    pad = static_cast<size_t>((align - (data_at + 4) % align) % align) + 4;
  }
  auto common = [&](std::vector<uint8_t>& out, size_t extra) {
    put_le(out, 20, 2);    // version needed: 2.0
    put_le(out, 0, 2);     // flags
    put_le(out, method, 2);
    put_le(out, 0, 2);     // time 00:00
    put_le(out, 0x21, 2);  // date 1980-01-01
    put_le(out, crc, 4);
    put_le(out, body_size, 4);
    put_le(out, size, 4);
    put_le(out, name.size(), 2);
    put_le(out, extra, 2);
  };
  put_le(central_, kCentralSig, 4);
  put_le(central_, 20, 2);  // version made by
  common(central_, 0);
  put_le(central_, 0, 2);            // comment length
  put_le(central_, 0, 2);            // disk
  put_le(central_, 0, 2);            // internal attributes
  put_le(central_, 0x81800000u, 4);  // external attributes: regular file, 0600
  put_le(central_, offset_, 4);
  central_.insert(central_.end(), name.begin(), name.end());

  std::vector<uint8_t>& local = buffer();
  put_le(local, kLocalSig, 4);
  common(local, pad);
  local.insert(local.end(), name.begin(), name.end());
  if (pad) {
    put_le(local, 0x4246, 2);  // "FB"
    put_le(local, pad - 4, 2);
    local.resize(local.size() + pad - 4, 'Z');
  }
  chunks_.push_back({local.data(), local.size()});
  if (body_size) chunks_.push_back({body, body_size});
  offset_ += local.size() + body_size;
  ++count_;
}

void ZipWriter::finish() {
  NABLA_CHECK(offset_ < 0xFFFFFFFFull, what_, ": '", path_,
              "' would need zip64 (archive over 4 GiB), which is not supported");
  std::vector<uint8_t>& tail = buffer();
  tail = central_;
  put_le(tail, kEndSig, 4);
  put_le(tail, 0, 4);  // disk numbers
  put_le(tail, count_, 2);
  put_le(tail, count_, 2);
  put_le(tail, central_.size(), 4);
  put_le(tail, offset_, 4);
  put_le(tail, 0, 2);  // comment length
  chunks_.push_back({tail.data(), tail.size()});
}

}  // namespace nabla::io
