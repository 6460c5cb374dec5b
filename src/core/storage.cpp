#include "nabla/storage.h"

#include <cstdlib>
#include <new>

namespace nabla {

namespace {
std::atomic<int64_t> g_allocated{0};
std::atomic<int64_t> g_peak{0};
constexpr size_t kAlign = 64;
// The header occupies the first kHeader bytes of a block; data starts 64-byte aligned after it.
constexpr size_t kHeader = (sizeof(StorageImpl) + kAlign - 1) / kAlign * kAlign;

void note_alloc(int64_t n) {
  int64_t now = g_allocated.fetch_add(n, std::memory_order_relaxed) + n;
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}
}  // namespace

intrusive_ptr<StorageImpl> StorageImpl::allocate(size_t nbytes) {
  size_t total = (kHeader + nbytes + kAlign - 1) / kAlign * kAlign;
  void* block = std::aligned_alloc(kAlign, total);
  if (!block) throw std::bad_alloc();
  auto* s = new (block) StorageImpl();
  s->data_ = static_cast<char*>(block) + kHeader;
  s->nbytes_ = nbytes;
  s->in_block_ = true;
  note_alloc(static_cast<int64_t>(nbytes));
  return intrusive_ptr<StorageImpl>(s);
}

intrusive_ptr<StorageImpl> StorageImpl::from_blob(void* data, size_t nbytes,
                                                  std::function<void(void*)> deleter) {
  auto* s = new StorageImpl();
  s->data_ = data;
  s->nbytes_ = nbytes;
  s->deleter_ = std::move(deleter);
  return intrusive_ptr<StorageImpl>(s);
}

void StorageImpl::release_self() {
  if (in_block_) {
    g_allocated.fetch_sub(static_cast<int64_t>(nbytes_), std::memory_order_relaxed);
    this->~StorageImpl();
    std::free(this);
  } else {
    if (deleter_) deleter_(data_);
    delete this;
  }
}

namespace memory {
int64_t allocated_bytes() { return g_allocated.load(std::memory_order_relaxed); }
int64_t peak_allocated_bytes() { return g_peak.load(std::memory_order_relaxed); }
void reset_peak() { g_peak.store(g_allocated.load(std::memory_order_relaxed)); }
}  // namespace memory

}  // namespace nabla
