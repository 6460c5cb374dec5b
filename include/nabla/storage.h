#pragma once
/// Storage: the refcounted, 64-byte aligned buffer that a tensor and all its views share,
/// with the version counter that every in-place write bumps (autograd checks it).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "nabla/intrusive_ptr.h"

namespace nabla {

class StorageImpl : public RefCounted {
 public:
  /// A new buffer of nbytes (uninitialised), header and data in one 64-byte aligned block.
  static intrusive_ptr<StorageImpl> allocate(size_t nbytes);
  /// Wraps memory the caller owns; `deleter` (may be empty) runs when the last user goes.
  static intrusive_ptr<StorageImpl> from_blob(void* data, size_t nbytes,
                                              std::function<void(void*)> deleter = {});

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void release_self() override;
  template <typename T> friend class intrusive_ptr;
  StorageImpl() = default;
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  std::atomic<uint32_t> version_{0};
  bool in_block_ = false;
  std::function<void(void*)> deleter_;
};

namespace memory {
/// Bytes of tensor data nabla has allocated and not yet freed (from_blob memory excluded).
int64_t allocated_bytes();
/// The largest value allocated_bytes() has had since the last reset_peak().
int64_t peak_allocated_bytes();
void reset_peak();
/// Returns the cached free blocks to the system (see Note [Block cache] in storage.cpp).
void empty_cache();
}  // namespace memory

}  // namespace nabla
