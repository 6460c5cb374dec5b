#pragma once
// Python's pickle as torch.save uses it (protocol 2; the opcodes of protocols 3-5 are read
// too), restricted to what torch.load(weights_only=True) accepts (Note [What the unpickler
// constructs]). Nothing is executed: a GLOBAL outside the allow-list is an error naming it.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/intrusive_ptr.h"
#include "nabla/ivalue.h"
#include "nabla/storage.h"

namespace nabla::io {

/// The element types of torch's typed storages (torch.FloatStorage, ...): nabla's dtypes
/// and those it reads by widening (float16 and bfloat16 to float32, int8 and int16 to int32).
enum class StorageKind : uint8_t { Float, Double, Half, BFloat16, Long, Int, Short, Char, Byte, Bool };
/// "FloatStorage" -> Float; false for names that are not typed storages nabla reads.
bool storage_kind_from_name(std::string_view name, StorageKind& kind);
/// Bytes per element in the file.
size_t storage_element_size(StorageKind kind);

/// A storage the unpickler's persistent ids refer to, loaded (and widened) by the container.
struct LoadedStorage {
  intrusive_ptr<StorageImpl> storage;
  ScalarType dtype = kFloat;
  int64_t numel = 0;   // elements of dtype
  int64_t offset = 0;  // where a legacy storage view starts, in elements
};

/// The persistent id ('storage', <storage type>, key, location, numel[, view metadata]) as
/// the unpickler found it.
struct StorageId {
  StorageKind kind;
  std::string key;
  std::string location;
  int64_t numel;
  bool has_view = false;  // legacy: (view_key, offset, view_size)
  std::string view_key;
  int64_t view_offset = 0;
  int64_t view_size = 0;
};
using PersistentLoad = std::function<LoadedStorage(const StorageId&)>;

/// Bounds: nesting depth of the loaded value, dimensions of a tensor.
inline constexpr int kMaxPickleDepth = 200;
inline constexpr size_t kMaxTensorDims = 64;

/// Reads one pickle starting at data[0]; `*consumed` (if given) is set to the bytes it took,
/// up to and including STOP. Errors: "invalid <kind> file '<path>' at byte offset N: ...",
/// offsets counted from `base`.
IValue unpickle(const uint8_t* data, size_t size, std::string_view kind, const std::string& path, uint64_t base,
                const PersistentLoad& load, size_t* consumed = nullptr);

/// A tensor's storage as the pickler writes it: torch.save's key for it and its dtype.
struct SavedStorage {
  intrusive_ptr<StorageImpl> storage;
  ScalarType dtype;
  size_t nbytes;  // what is written: whole elements of dtype
};
/// Pickles `value` (protocol 2, only opcodes torch 1.13's weights_only unpickler reads, plus
/// BINFLOAT for doubles); each distinct storage of its tensors is appended to `storages` and
/// referred to by its index as the key. `what` names the caller in errors.
std::vector<uint8_t> pickle(const IValue& value, std::vector<SavedStorage>& storages, const char* what);

}  // namespace nabla::io
