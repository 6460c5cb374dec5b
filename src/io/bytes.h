#pragma once
// Byte-level helpers shared by the file readers and writers (src/io, src/data): whole-file
// reads, gzip/deflate, bounds-checked little/big-endian decoding whose errors name the file,
// the byte offset and what was expected, and atomic writes (Note [Atomic file writes]).
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/error.h"

namespace nabla::io {

/// "invalid <kind> file '<path>' at byte offset <offset>: <what>"
[[noreturn]] void fail_at(std::string_view kind, const std::string& path, uint64_t offset, const std::string& what);

/// At most `max` characters of `text`; a longer text is cut and says how long it was, so that no
/// error message repeats a whole hostile input.
std::string excerpt(std::string_view text, size_t max = 120);

/// Rethrows the exception being handled as a nabla::Error naming the file: an Error that names
/// it already passes unchanged, any other (an allocation failure, a standard library
/// exception) is wrapped. Call it only inside a catch block.
[[noreturn]] void rethrow_for_file(std::string_view kind, const std::string& path);
/// Runs a reader so that only a nabla::Error naming the file can leave it.
///   return io::guard_reader("npy", path, [&] { return parse(...); });
template <typename F>
decltype(auto) guard_reader(std::string_view kind, const std::string& path, F&& body) {
  try {
    return body();
  } catch (...) {
    rethrow_for_file(kind, path);
  }
}

/// The whole file; an Error naming the file if it cannot be opened or read.
std::vector<uint8_t> read_file(const std::string& path);

/// True when the bytes start with the gzip magic number (1f 8b).
bool is_gzip(const std::vector<uint8_t>& bytes);
/// The decompressed content of a gzip file (several members are concatenated, as gunzip does).
/// Errors name the file and the compressed byte offset where the stream breaks. With `needed`,
/// decompression stops once the output holds needed(output so far) + 1 bytes: `needed` says how
/// many bytes the content should have in all, judging by what it has seen (a header), or
/// SIZE_MAX while it cannot tell; the extra byte lets the caller report that more follows.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& bytes, const std::string& path,
                            const std::function<size_t(const std::vector<uint8_t>&)>& needed = {});
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
/// How write_file_atomic makes its temporary: an unnamed O_TMPFILE inode where the file system
/// supports it (the default), or always a named file (what other file systems get; for tests).
enum class TemporaryKind { kUnnamedWhereSupported, kNamed };
/// Writes the chunks to `path` atomically (Note [Atomic file writes]): a temporary file in the
/// target's directory is written, flushed to disk (fsync) and renamed over the target, which is
/// `path` with its symbolic links followed; on any failure the temporary is removed, the target
/// is left as it was, and an Error naming the file is thrown. Temporaries that killed writers
/// of the same target left on this machine are removed first.
void write_file_atomic(const std::string& path, const std::vector<Chunk>& chunks,
                       TemporaryKind kind = TemporaryKind::kUnnamedWhereSupported);
/// "<target>.tmp.<host>-": how the names of this machine's temporaries for `target` begin; a
/// writer's pid, a dot and six random characters follow.
std::string temporary_prefix(const std::string& target);
/// Removes the temporaries of `target` (temporary_prefix) whose writer's pid is no running process.
void remove_stale_temporaries(const std::string& target);

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
