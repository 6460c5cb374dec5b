#include "io/bytes.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <functional>
#include <limits>

namespace nabla::io {

void fail_at(std::string_view kind, const std::string& path, uint64_t offset, const std::string& what) {
  throw Error(::nabla::detail::str("invalid ", kind, " file '", path, "' at byte offset ", offset, ": ", what));
}

std::string excerpt(std::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  return ::nabla::detail::str(text.substr(0, max), "... (", text.size(), " characters)");
}

void rethrow_for_file(std::string_view kind, const std::string& path) {
  try {
    throw;
  } catch (const Error& e) {
    if (std::string_view(e.what()).find("'" + path + "'") != std::string_view::npos) throw;
    throw Error(::nabla::detail::str("cannot read ", kind, " file '", path, "': ", excerpt(e.what(), 400)));
  } catch (const std::bad_alloc&) {
    throw Error(::nabla::detail::str("cannot read ", kind, " file '", path, "': out of memory"));
  } catch (const std::exception& e) {
    throw Error(::nabla::detail::str("invalid ", kind, " file '", path, "': ", excerpt(e.what(), 400)));
  } catch (...) {
    throw Error(::nabla::detail::str("invalid ", kind, " file '", path, "': unexpected error"));
  }
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

struct Inflated {
  size_t consumed;  // input bytes used
  bool stopped;     // the output reached the cap before the stream ended
};

// Runs inflate over [data, data+size) with the given window bits, appending to out, until the
// stream ends or out holds cap(out) bytes (the cap may grow as out does); throws if the stream
// breaks or is truncated.
Inflated inflate_into(const uint8_t* data, size_t size, int window_bits, std::vector<uint8_t>& out,
                      const std::function<size_t(const std::vector<uint8_t>&)>& cap, std::string_view kind,
                      const std::string& path, uint64_t offset) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) throw Error("zlib: inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(data);
  size_t consumed = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    const size_t limit = cap(out);
    if (out.size() >= limit) {
      inflateEnd(&zs);
      return {consumed - zs.avail_in, true};
    }
    if (zs.avail_in == 0) {
      const size_t chunk = std::min<size_t>(size - consumed, std::numeric_limits<uInt>::max());
      zs.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    // Grow by at least 64 KiB and at most doubling, never past the cap; only the part inflate
    // writes is resized.
    const size_t old = out.size();
    const size_t room = std::min<size_t>({std::max<size_t>({out.capacity() - old, old, size_t{1} << 16}),
                                          limit - old, std::numeric_limits<uInt>::max()});
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
  }
  const size_t used = consumed - zs.avail_in;
  inflateEnd(&zs);
  return {used, false};
}

// Deflate cannot compress by more than about 1032:1: the most output `size` input bytes give.
size_t deflate_bound(size_t size) { return size > SIZE_MAX / 1032 - 1024 ? SIZE_MAX : 1032 * size + 1024; }

}  // namespace

std::vector<uint8_t> gunzip(const std::vector<uint8_t>& bytes, const std::string& path,
                            const std::function<size_t(const std::vector<uint8_t>&)>& needed) {
  std::vector<uint8_t> out;
  // ISIZE (the last 4 bytes) is the size modulo 2^32 of the last member: a good first guess,
  // where no size is known from the content and deflate's ratio allows it.
  if (!needed && bytes.size() >= 18) {
    const size_t n = bytes.size();
    const uint32_t isize = uint32_t{bytes[n - 4]} | (uint32_t{bytes[n - 3]} << 8) |
                           (uint32_t{bytes[n - 2]} << 16) | (uint32_t{bytes[n - 1]} << 24);
    if (isize <= deflate_bound(n)) out.reserve(isize);
  }
  // One byte beyond what the caller needs shows it that more follows.
  auto cap = [&](const std::vector<uint8_t>& so_far) -> size_t {
    if (!needed) return SIZE_MAX;
    const size_t want = needed(so_far);
    if (want >= SIZE_MAX - 1) return SIZE_MAX;
    if (out.capacity() < want + 1 && want + 1 <= deflate_bound(bytes.size())) out.reserve(want + 1);
    return want + 1;
  };
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 2 || bytes[pos] != 0x1f || bytes[pos + 1] != 0x8b) {
      if (pos == 0) fail_at("gzip", path, 0, "expected the gzip magic number 1f 8b");
      fail_at("gzip", path, pos, "expected another gzip member or the end of the file");
    }
    const Inflated r = inflate_into(bytes.data() + pos, bytes.size() - pos, 16 + MAX_WBITS, out, cap, "gzip", path, pos);
    if (r.stopped) break;
    pos += r.consumed;
  }
  return out;
}

std::vector<uint8_t> inflate_raw(const uint8_t* data, size_t size, size_t expected_size, std::string_view kind,
                                 const std::string& path, uint64_t offset) {
  std::vector<uint8_t> out;
  // The declared size is not trusted beyond what deflate's ratio allows.
  out.reserve(std::min<size_t>(expected_size, deflate_bound(size)));
  const size_t cap = expected_size == SIZE_MAX ? SIZE_MAX : expected_size + 1;
  const Inflated r = inflate_into(data, size, -MAX_WBITS, out, [cap](const std::vector<uint8_t>&) { return cap; },
                                  kind, path, offset);
  if (r.stopped || out.size() > expected_size)
    fail_at(kind, path, offset + r.consumed,
            ::nabla::detail::str("expected ", expected_size, " decompressed bytes, but the stream holds more"));
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
// - The target is the path with its symbolic links resolved, as torch.save (which opens the
//   path) writes a link's target: the link stays, the file it names is replaced.
// - Where the file system supports it, the temporary is an unnamed O_TMPFILE inode that gets a
//   name (linkat) only once it is complete, just before the rename: a writer killed while
//   writing leaves nothing behind. Elsewhere it is a named file from mkstemp.
// - Named temporaries are "<target>.tmp.<host>-<pid>.<random>": <host> is a hash of the host
//   name and the pid namespace, <pid> the writer's process id. Every save first removes the
//   temporaries of its target whose <host> is ours and whose <pid> is no running process, i.e.
//   what killed writers on this machine left. Temporaries of other machines or containers
//   (another <host>), of running processes, and names of any other form are never touched.

namespace {

std::string cannot_write(const std::string& path, const std::string& what) {
  return ::nabla::detail::str("cannot write file '", path, "': ", what);
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// `path` with its symbolic links followed to the file they name (which need not exist yet).
std::string resolve_links(const std::string& path) {
  std::string p = path;
  for (int hops = 0;; ++hops) {
    struct stat st{};
    if (lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
    if (hops == 40) throw Error(cannot_write(path, std::strerror(ELOOP)));
    std::string target(static_cast<size_t>(st.st_size > 0 ? st.st_size : PATH_MAX), '\0');
    const ssize_t n = readlink(p.c_str(), target.data(), target.size());
    if (n < 0) throw Error(cannot_write(path, std::string("readlink failed: ") + std::strerror(errno)));
    target.resize(static_cast<size_t>(n));
    p = (target.empty() || target[0] == '/' || p.find('/') == std::string::npos)
            ? target
            : directory_of(p) + "/" + target;
  }
}

// The <host> part of temporary names: FNV-1a of the host name and the pid namespace.
std::string host_tag() {
  std::string id(256, '\0');
  if (gethostname(id.data(), id.size() - 1) != 0) id.clear();
  id.resize(std::strlen(id.c_str()));
  char ns[64] = {};
  const ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
  if (n > 0) id.append("/").append(ns, static_cast<size_t>(n));
  uint32_t h = 2166136261u;
  for (unsigned char c : id) h = (h ^ c) * 16777619u;
  char out[9];
  std::snprintf(out, sizeof out, "%08x", h);
  return out;
}

bool process_is_gone(long pid) { return pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// Six random name characters, as mkstemp uses.
std::string random_suffix() {
  static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  uint8_t raw[6];
  if (getentropy(raw, sizeof raw) != 0) {
    const uint64_t t = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (size_t i = 0; i < sizeof raw; ++i) raw[i] = static_cast<uint8_t>(t >> (8 * i));
  }
  std::string s;
  for (uint8_t b : raw) s += chars[b % (sizeof chars - 1)];
  return s;
}

// Writes every chunk; 0, or the errno of the failed write.
int write_chunks(int fd, const std::vector<Chunk>& chunks) {
  for (const Chunk& c : chunks) {
    const auto* p = static_cast<const uint8_t*>(c.data);
    size_t left = c.size;
    while (left > 0) {
      const ssize_t n = ::write(fd, p, std::min<size_t>(left, size_t{1} << 30));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  return 0;
}

// The mode a new file gets, or the mode of the file being replaced.
mode_t mode_for(const std::string& target) {
  struct stat st{};
  if (stat(target.c_str(), &st) == 0) return st.st_mode & 07777;
  const mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

}  // namespace

std::string temporary_prefix(const std::string& target) {
  std::string prefix = target;
  prefix.append(".tmp.").append(host_tag()).append("-");
  return prefix;
}

void remove_stale_temporaries(const std::string& target) {
  const std::string dir = directory_of(target);
  const std::string prefix = temporary_prefix(target);
  const std::string name_prefix = prefix.substr(prefix.rfind('/') + 1);
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (const dirent* e = readdir(d)) {
    const std::string_view name(e->d_name);
    if (name.substr(0, name_prefix.size()) != name_prefix) continue;
    // <pid>.<six characters>
    const std::string_view rest = name.substr(name_prefix.size());
    const size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string_view::npos || rest.size() - dot - 1 != 6 || dot > 9) continue;
    long pid = 0;
    bool digits = true;
    for (char c : rest.substr(0, dot)) {
      digits = digits && c >= '0' && c <= '9';
      pid = pid * 10 + (c - '0');
    }
    if (digits && pid != static_cast<long>(getpid()) && process_is_gone(pid))
      unlinkat(dirfd(d), e->d_name, 0);
  }
  closedir(d);
}

void write_file_atomic(const std::string& path, const std::vector<Chunk>& chunks, TemporaryKind kind) {
  const std::string target = resolve_links(path);
  const std::string dir = directory_of(target);
  remove_stale_temporaries(target);
  const mode_t mode = mode_for(target);
  const std::string prefix = temporary_prefix(target) + std::to_string(getpid()) + ".";
  std::string tmp;  // the temporary's name once it has one
  int fd = -1;
  if (kind == TemporaryKind::kUnnamedWhereSupported)
    fd = open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);  // fails where unsupported
  const bool unnamed = fd >= 0;
  if (!unnamed) {
    tmp = prefix + "XXXXXX";
    fd = mkstemp(tmp.data());
    if (fd < 0) throw Error(cannot_write(path, std::strerror(errno)));
  }
  auto abandon = [&](const char* step, int err) {
    if (fd >= 0) close(fd);
    if (!tmp.empty()) unlink(tmp.c_str());
    throw Error(cannot_write(path, ::nabla::detail::str(step, " failed: ", std::strerror(err))));
  };
  // mkstemp creates the file readable by its owner only; give it the mode a new file gets.
  if (fchmod(fd, mode) != 0) abandon("chmod", errno);
  if (const int err = write_chunks(fd, chunks)) abandon("write", err);
  if (fsync(fd) != 0) abandon("fsync", errno);
  if (unnamed) {
    // Give the complete file a name: linkat through /proc (AT_EMPTY_PATH needs a capability).
    const std::string self = "/proc/self/fd/" + std::to_string(fd);
    int rc = -1;
    for (int attempt = 0; attempt < 100 && rc != 0; ++attempt) {
      tmp = prefix + random_suffix();
      rc = linkat(AT_FDCWD, self.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW);
      if (rc != 0 && errno != EEXIST) break;
    }
    if (rc != 0) {
      const int err = errno;
      tmp.clear();
      if (err == ENOENT) {  // no /proc: write a named temporary instead
        close(fd);
        write_file_atomic(path, chunks, TemporaryKind::kNamed);
        return;
      }
      abandon("link", err);
    }
  }
  const int fd_now = fd;
  fd = -1;
  if (close(fd_now) != 0) abandon("close", errno);
  if (std::rename(tmp.c_str(), target.c_str()) != 0) abandon("rename", errno);
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
}

}  // namespace nabla::io
