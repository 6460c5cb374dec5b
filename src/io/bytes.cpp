#include "io/bytes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <limits>

namespace nabla::io {

void fail_at(std::string_view kind, const std::string& path, uint64_t offset, const std::string& what) {
  throw Error(::nabla::detail::str("invalid ", kind, " file '", path, "' at byte offset ", offset, ": ", what));
}

void ByteReader::need(size_t n, const char* what) const {
  if (n > size_ - pos_)
    fail(pos_, ::nabla::detail::str("expected ", what, " (", n, " bytes), but the data ends after ", base_ + size_,
                           " bytes"));
}

void ByteReader::seek(size_t pos, const char* what) {
  if (pos > size_)
    fail(pos_, ::nabla::detail::str("expected ", what, " at byte offset ", base_ + pos, ", but the data ends after ",
                           base_ + size_, " bytes"));
  pos_ = pos;
}

std::vector<uint8_t> read_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(::nabla::detail::str("cannot open file '", path, "': ", std::strerror(errno)));
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.insert(out.end(), buf, buf + n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) throw Error(::nabla::detail::str("cannot read file '", path, "': ", std::strerror(err)));
  return out;
}

bool is_gzip(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

namespace {

// Runs inflate over [data, data+size) with the given window bits, appending to out. Returns the
// number of input bytes consumed when the stream ended; throws if it did not end.
size_t inflate_into(const uint8_t* data, size_t size, int window_bits, std::vector<uint8_t>& out,
                    size_t limit, std::string_view kind, const std::string& path, uint64_t offset) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) throw Error("zlib: inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(data);
  size_t consumed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (zs.avail_in == 0) {
      const size_t chunk = std::min<size_t>(size - consumed, std::numeric_limits<uInt>::max());
      zs.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    // Grow by at least 64 KiB and at most doubling; only the part inflate writes is resized.
    const size_t old = out.size();
    const size_t room = std::min<size_t>(std::max<size_t>({out.capacity() - old, old, size_t{1} << 16}),
                                         std::numeric_limits<uInt>::max());
    out.resize(old + room);
    zs.next_out = out.data() + old;
    zs.avail_out = static_cast<uInt>(room);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old + (room - zs.avail_out));
    const uint64_t at = offset + (consumed - zs.avail_in);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && consumed == size) {
      inflateEnd(&zs);
      fail_at(kind, path, at, "expected more compressed data, but the deflate stream is truncated");
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      const std::string msg = zs.msg ? zs.msg : "corrupt deflate stream";
      inflateEnd(&zs);
      fail_at(kind, path, at, "expected valid compressed data (" + msg + ")");
    }
    if (out.size() > limit) {
      inflateEnd(&zs);
      fail_at(kind, path, at, ::nabla::detail::str("expected ", limit, " decompressed bytes, but the stream holds more"));
    }
  }
  const size_t used = consumed - zs.avail_in;
  inflateEnd(&zs);
  return used;
}

}  // namespace

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& bytes, const std::string& path) {
  std::vector<uint8_t> out;
  // ISIZE (the last 4 bytes) is the size modulo 2^32 of the last member: a good first guess.
  if (bytes.size() >= 18) {
    const size_t n = bytes.size();
    const uint32_t isize = uint32_t{bytes[n - 4]} | (uint32_t{bytes[n - 3]} << 8) |
                           (uint32_t{bytes[n - 2]} << 16) | (uint32_t{bytes[n - 1]} << 24);
    // Deflate cannot compress by more than about 1032:1; a larger ISIZE is not to be trusted.
    if (isize / 1032 <= n) out.reserve(isize);
  }
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 2 || bytes[pos] != 0x1f || bytes[pos + 1] != 0x8b) {
      if (pos == 0) fail_at("gzip", path, 0, "expected the gzip magic number 1f 8b");
      fail_at("gzip", path, pos, "expected another gzip member or the end of the file");
    }
    pos += inflate_into(bytes.data() + pos, bytes.size() - pos, 16 + MAX_WBITS, out,
                        std::numeric_limits<size_t>::max(), "gzip", path, pos);
  }
  return out;
}

std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, size_t expected_size, std::string_view kind,
                                 const std::string& path, uint64_t offset) {
  std::vector<uint8_t> out;
  // The declared size is not trusted beyond what deflate's ~1032:1 ratio allows.
  out.reserve(std::min<size_t>(expected_size, 1032 * size + 1024));
  inflate_into(data, size, -MAX_WBITS, out, expected_size, kind, path, offset);
  if (out.size() != expected_size)
    fail_at(kind, path, offset,
            ::nabla::detail::str("expected ", expected_size, " decompressed bytes, but the stream holds ", out.size()));
  return out;
}

std::vector<uint8_t> deflate_raw(const uint8_t* data, size_t size) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error("zlib: deflateInit2 failed");
  std::vector<uint8_t> out(deflateBound(&zs, static_cast<uLong>(size)));
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw Error("zlib: deflate failed");
  return out;
}

uint32_t crc32(const uint8_t* data, size_t size) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  while (size > 0) {
    const uInt chunk = static_cast<uInt>(std::min<size_t>(size, std::numeric_limits<uInt>::max()));
    crc = ::crc32(crc, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

void byteswap(void* data, size_t count, size_t elem_size) {
  auto* p = static_cast<uint8_t*>(data);
  for (size_t i = 0; i < count; ++i, p += elem_size) std::reverse(p, p + elem_size);
}

// Note [Atomic file writes]
// A checkpoint being overwritten must survive a crash or a full disk in the middle of the
// save. The new content goes to a temporary file next to the target (same directory, hence
// same file system, so rename is atomic), is flushed with fsync, and only then renamed over the
// target; the directory is fsync'ed so that the rename itself is durable. Until the rename the
// old file is untouched; after it the new one is complete.
void write_file_atomic(const std::string& path, const std::vector<Chunk>& chunks) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) throw Error(::nabla::detail::str("cannot write file '", path, "': ", std::strerror(errno)));
  auto abandon = [&](const char* step) {
    const int err = errno;
    close(fd);
    unlink(tmp.c_str());
    throw Error(::nabla::detail::str("cannot write file '", path, "': ", step, " failed: ", std::strerror(err)));
  };
  // mkstemp creates the file readable by its owner only; give it the mode a new file gets.
  struct stat st{};
  mode_t mode;
  if (stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  } else {
    const mode_t mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask;
  }
  if (fchmod(fd, mode) != 0) abandon("chmod");
  for (const Chunk& c : chunks) {
    const auto* p = static_cast<const uint8_t*>(c.data);
    size_t left = c.size;
    while (left > 0) {
      const ssize_t n = ::write(fd, p, std::min<size_t>(left, size_t{1} << 30));
      if (n < 0) {
        if (errno == EINTR) continue;
        abandon("write");
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  if (fsync(fd) != 0) abandon("fsync");
  if (close(fd) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    throw Error(::nabla::detail::str("cannot write file '", path, "': close failed: ", std::strerror(err)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    throw Error(::nabla::detail::str("cannot write file '", path, "': rename failed: ", std::strerror(err)));
  }
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

}  // namespace nabla::io
