#pragma once
/// Generator: the CPU random source. It is PyTorch's CPU generator (a Mersenne Twister
/// mt19937 seeded with the seed) and nabla's random functions draw from it exactly as
/// PyTorch's CPU kernels do, so the same seed gives the same numbers bit for bit
/// (Note [PyTorch-compatible random streams] in src/ops/random.cpp).
///   nabla::manual_seed(0);  auto x = nabla::randn({3});       // == torch.manual_seed(0); torch.randn(3)
///   auto g = nabla::make_generator<nabla::CPUGeneratorImpl>(42);  nabla::rand({2}, g);
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

namespace nabla {

/// The state of one random stream. Thread safety: the random functions hold mutex() while
/// they draw; whoever calls random()/random64() directly must hold it too. The whole-state
/// operations (set_current_seed, get_state, set_state) take the mutex themselves.
class CPUGeneratorImpl {
 public:
  /// PyTorch's default seed (only its low 32 bits reach mt19937, as in PyTorch).
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;
  explicit CPUGeneratorImpl(uint64_t seed = kDefaultSeed) { set_current_seed(seed); }
  CPUGeneratorImpl(const CPUGeneratorImpl&) = delete;
  CPUGeneratorImpl& operator=(const CPUGeneratorImpl&) = delete;

  /// Reseeds the engine and forgets the cached normal sample (torch.manual_seed).
  void set_current_seed(uint64_t seed);
  uint64_t current_seed() const { return seed_; }
  /// 32 random bits: one mt19937 draw.
  uint32_t random() { return static_cast<uint32_t>(engine_()); }
  /// 64 random bits: two draws, the first one the high word.
  uint64_t random64() {
    uint64_t hi = engine_();
    uint64_t lo = engine_();
    return (hi << 32) | lo;
  }
  /// Box-Muller makes two samples; the second waits here for the next scalar normal draw.
  std::optional<double> next_double_normal_sample;
  std::optional<float> next_float_normal_sample;
  /// The complete state (seed, engine, cached normal samples) as bytes set_state restores.
  std::vector<uint8_t> get_state();
  /// Restores a state from get_state; a malformed state raises and leaves this unchanged.
  void set_state(const std::vector<uint8_t>& state);
  std::mutex& mutex() { return mutex_; }

 private:
  uint64_t seed_ = 0;
  std::mt19937 engine_;
  std::mutex mutex_;
};

/// A shared handle to a generator, like libtorch's at::Generator.
class Generator {
 public:
  Generator() = default;
  explicit Generator(std::shared_ptr<CPUGeneratorImpl> impl) : impl_(std::move(impl)) {}
  CPUGeneratorImpl* get() const { return impl_.get(); }
  CPUGeneratorImpl* operator->() const { return impl_.get(); }
  bool defined() const { return static_cast<bool>(impl_); }
  void set_current_seed(uint64_t s) { impl_->set_current_seed(s); }
  uint64_t current_seed() const { return impl_->current_seed(); }
  std::vector<uint8_t> get_state() const { return impl_->get_state(); }
  void set_state(const std::vector<uint8_t>& s) { impl_->set_state(s); }
  std::mutex& mutex() const { return impl_->mutex(); }

 private:
  std::shared_ptr<CPUGeneratorImpl> impl_;
};

/// A new generator: make_generator<CPUGeneratorImpl>(seed).
template <typename Impl = CPUGeneratorImpl, typename... Args>
Generator make_generator(Args&&... args) {
  return Generator(std::make_shared<Impl>(std::forward<Args>(args)...));
}

/// The default generator that random functions use when none is given.
Generator& default_generator();
/// Seeds the default generator (torch.manual_seed).
void manual_seed(uint64_t seed);

}  // namespace nabla
