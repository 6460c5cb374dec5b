#include "nabla/storage.h"

#include "nabla/error.h"

#include <cstdint>
#include <cstdlib>
#include <algorithm>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include <sys/sysinfo.h>

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

// Note [Block cache]
// Large blocks come from mmap, and every first touch of a fresh page faults: a new 4 MiB
// result costs more to fault in than to compute. Training loops allocate the same sizes over
// and over, so freed blocks above kSmallMax bytes are kept, by exact size (page-rounded from
// kCacheMin on), up to kCacheMax bytes in all, and handed out again without touching the
// system allocator: a training step in steady state calls it for no tensor storage.
constexpr size_t kCacheMin = 64 * 1024;
constexpr size_t kCacheMax = size_t(1) << 30;
constexpr size_t kPage = 4096;

struct BlockCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  size_t cached = 0;

  void* take(size_t total) {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = free_blocks.find(total);
    if (it == free_blocks.end() || it->second.empty()) return nullptr;
    void* b = it->second.back();
    it->second.pop_back();
    cached -= total;
    return b;
  }
  bool give(void* block, size_t total) {
    std::lock_guard<std::mutex> lock(mutex);
    if (cached + total > kCacheMax) return false;
    free_blocks[total].push_back(block);
    cached += total;
    return true;
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& [size, blocks] : free_blocks)
      for (void* b : blocks) std::free(b);
    free_blocks.clear();
    cached = 0;
  }
  ~BlockCache() { clear(); }
};

BlockCache& block_cache() {
  static BlockCache* cache = new BlockCache();  // outlives every static tensor
  return *cache;
}

// Small blocks (a few elements: scalars, biases, autograd's 1-element chains) are the per-op
// overhead of tiny tensors; freed ones are kept per thread by 64-byte size class and reused
// without going through aligned_alloc. Under AddressSanitizer nothing is cached, so that
// use-after-free stays detectable.
constexpr size_t kSmallMax = 1024;
constexpr size_t kSmallPerClass = 64;
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif

// Set when this thread's lists are gone (tensors released later, e.g. by static destructors,
// then go straight to free).
thread_local bool t_small_gone = false;

struct SmallBlocks {
  std::vector<void*> lists[kSmallMax / kAlign];
  ~SmallBlocks() {
    t_small_gone = true;
    for (auto& l : lists)
      for (void* b : l) std::free(b);
  }
  std::vector<void*>& of(size_t total) { return lists[total / kAlign - 1]; }
};

SmallBlocks& small_blocks() {
  thread_local SmallBlocks blocks;
  return blocks;
}

size_t block_size(size_t nbytes) {
  size_t total = (kHeader + nbytes + kAlign - 1) / kAlign * kAlign;
  if (total >= kCacheMin) total = (total + kPage - 1) / kPage * kPage;
  return total;
}
}  // namespace

// More than the machine's memory and swap together can never be served; such a request is
// refused before the system is asked (as Linux's default overcommit heuristic would refuse it;
// the sanitizers' allocators abort on it instead of failing).
static size_t servable_bytes() {
  static const size_t limit = [] {
    struct sysinfo info {};
    if (sysinfo(&info) != 0) return SIZE_MAX >> 1;
    const unsigned __int128 total =
        (static_cast<unsigned __int128>(info.totalram) + info.totalswap) * std::max<unsigned>(info.mem_unit, 1);
    return static_cast<size_t>(std::min<unsigned __int128>(total, SIZE_MAX >> 1));
  }();
  return limit;
}

intrusive_ptr<StorageImpl> StorageImpl::allocate(size_t nbytes) {
  NABLA_CHECK(nbytes <= servable_bytes(), "DefaultCPUAllocator: not enough memory: you tried to allocate ", nbytes,
              " bytes.");
  const size_t total = block_size(nbytes);
  void* block = nullptr;
  if (kCaching && total <= kSmallMax && !t_small_gone) {
    auto& l = small_blocks().of(total);
    if (!l.empty()) {
      block = l.back();
      l.pop_back();
    }
  } else if (kCaching && total > kSmallMax) {
    block = block_cache().take(total);
  }
  if (!block) block = std::aligned_alloc(kAlign, total);
  NABLA_CHECK(block != nullptr, "DefaultCPUAllocator: not enough memory: you tried to allocate ", nbytes, " bytes.");
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
    const size_t total = block_size(nbytes_);
    this->~StorageImpl();
    void* block = this;
    if (kCaching && total <= kSmallMax && !t_small_gone) {
      auto& l = small_blocks().of(total);
      if (l.size() < kSmallPerClass) {
        l.push_back(block);
        return;
      }
    } else if (kCaching && total > kSmallMax && block_cache().give(block, total)) {
      return;
    }
    std::free(block);
  } else {
    if (deleter_) deleter_(data_);
    delete this;
  }
}

namespace memory {
int64_t allocated_bytes() { return g_allocated.load(std::memory_order_relaxed); }
int64_t peak_allocated_bytes() { return g_peak.load(std::memory_order_relaxed); }
void reset_peak() { g_peak.store(g_allocated.load(std::memory_order_relaxed)); }
void empty_cache() { block_cache().clear(); }
}  // namespace memory

}  // namespace nabla
