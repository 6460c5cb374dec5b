#pragma once
// Zip archives, the one reader and writer of them (src/io): NumPy's .npz and torch.save's
// archives. Reading trusts nothing: the central directory decides names, sizes and offsets (as
// numpy's zip64 local headers and torch's aligned ones differ from it), every member must lie
// inside the file, stored or deflated, unencrypted, and match its CRC-32; errors name the file
// and the byte offset. Writing makes stored (or deflated) members, optionally aligning each
// member's data in the file (torch.save aligns to 64 bytes so that readers can map it).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/bytes.h"

namespace nabla::io {

struct ZipMember {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflate
  uint16_t flags = 0;
  uint32_t crc = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_offset = 0;
};

/// The members of a zip archive held in memory (`bytes` must outlive it).
class ZipReader {
 public:
  /// Parses the central directory; `kind` names the format in errors ("npz", "torch.save").
  ZipReader(const std::vector<uint8_t>& bytes, std::string_view kind, const std::string& path);
  const std::vector<ZipMember>& members() const { return members_; }
  /// The member called `name`, or nullptr.
  const ZipMember* find(std::string_view name) const;

  /// A member's bytes: pointing into the archive when stored, into `owned` when deflated.
  struct Data {
    const uint8_t* data = nullptr;
    size_t size = 0;
    uint64_t file_offset = 0;  // where the member's data starts in the file
    bool inflated = false;
    std::vector<uint8_t> owned;
  };
  /// The member's data, decompressed and checked against its CRC-32.
  Data read(const ZipMember& member) const;
  /// An error at byte offset `at` of the archive.
  [[noreturn]] void fail(uint64_t at, const std::string& what) const;

 private:
  const std::vector<uint8_t>& bytes_;
  std::string_view kind_;
  const std::string& path_;
  std::vector<ZipMember> members_;
};

/// Builds an archive as chunks for write_file_atomic: headers are owned by the writer, member
/// data is referenced (it must stay alive until the chunks are written).
class ZipWriter {
 public:
  /// `what` names the writer in errors ("write_npz", "torch_save").
  ZipWriter(std::string what, std::string path) : what_(std::move(what)), path_(std::move(path)) {}
  /// Adds a member; with `compress` its data is deflated (and then owned by the writer);
  /// `align` > 1 pads the local header so that the data starts at a multiple of it.
  void add(const std::string& name, const void* data, size_t size, bool compress = false, size_t align = 1);
  /// The central directory and end record; then chunks() is the whole archive.
  void finish();
  const std::vector<Chunk>& chunks() const { return chunks_; }

 private:
  std::vector<uint8_t>& buffer();
  std::string what_, path_;
  // Headers and compressed data; chunks point into them (moving a vector keeps its buffer).
  std::vector<std::vector<uint8_t>> owned_;
  std::vector<Chunk> chunks_;
  std::vector<uint8_t> central_;
  uint64_t offset_ = 0;
  uint64_t count_ = 0;
};

}  // namespace nabla::io
