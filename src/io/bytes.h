#pragma once
// Byte-level helpers shared by the file readers and writers (src/io, src/data): whole-file
// reads, gzip/deflate, bounds-checked little/big-endian decoding whose errors name the file,
// the byte offset and what was expected, and atomic writes (Note [Atomic file writes]).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/error.h"

namespace nabla::io {

/// "invalid <kind> file '<path>' at byte offset <offset>: <what>"
[[noreturn]] void fail_at(std::string_view kind, const std::string& path, uint64_t offset, const std::string& what);

/// The whole file; an Error naming the file if it cannot be opened or read.
std::vector<uint8_t> read_file(const std::string& path);

/// True when the bytes start with the gzip magic number (1f 8b).
bool is_gzip(const std::vector<uint8_t>& bytes);
/// The decompressed content of a gzip file (several members are concatenated, as gunzip does).
/// Errors name the file and the compressed byte offset where the stream breaks.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& bytes, const std::string& path);
/// Inflates a raw deflate stream (zip method 8) that must produce exactly `expected_size` bytes;
/// `offset` is where the stream starts in the file, for errors.
std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, size_t expected_size, std::string_view kind,
                                 const std::string& path, uint64_t offset);
/// A raw deflate stream of the bytes (zlib's default level).
std::vector<uint8_t> deflate_raw(const uint8_t* data, size_t size);
/// CRC-32 as zip and gzip use it.
uint32_t crc32(const uint8_t* data, size_t size);

/// One contiguous piece of a file being written.
struct Chunk {
  const void* data;
  size_t size;
};
/// Writes the chunks to `path` atomically: a temporary file in the same directory is written,
/// flushed to disk (fsync) and renamed over `path`; on any failure the temporary is removed,
/// `path` is left as it was, and an Error naming the file is thrown.
void write_file_atomic(const std::string& path, const std::vector<Chunk>& chunks);

/// Bounds-checked reading of a byte buffer. Every read names what it expects, so a short
/// buffer gives "...at byte offset N: expected <what> (k bytes), but the file ends after M bytes".
class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string_view kind, const std::string& path, uint64_t base = 0)
      : data_(data), size_(size), kind_(kind), path_(path), base_(base) {}

  size_t pos() const { return pos_; }
  size_t size() const { return size_; }
  size_t remaining() const { return size_ - pos_; }
  /// File offset of the current position.
  uint64_t offset() const { return base_ + pos_; }
  void seek(size_t pos, const char* what);
  /// Throws unless n more bytes are available.
  void need(size_t n, const char* what) const;
  const uint8_t* bytes(size_t n, const char* what) {
    need(n, what);
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint8_t u8(const char* what) { return *bytes(1, what); }
  uint16_t u16le(const char* what) { return static_cast<uint16_t>(uint_le(2, what)); }
  uint32_t u32le(const char* what) { return static_cast<uint32_t>(uint_le(4, what)); }
  uint64_t u64le(const char* what) { return uint_le(8, what); }
  uint32_t u32be(const char* what) {
    const uint8_t* p = bytes(4, what);
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
  }
  /// An error at byte offset `at` (relative to this buffer) of this file.
  [[noreturn]] void fail(size_t at, const std::string& what) const { fail_at(kind_, path_, base_ + at, what); }

 private:
  uint64_t uint_le(int n, const char* what) {
    const uint8_t* p = bytes(static_cast<size_t>(n), what);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string_view kind_;
  const std::string& path_;
  uint64_t base_;
};

/// Reverses the byte order of each `elem_size`-byte element in place.
void byteswap(void* data, size_t count, size_t elem_size);

/// Appends little-endian integers to a byte buffer.
inline void put_le(std::vector<uint8_t>& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

}  // namespace nabla::io
