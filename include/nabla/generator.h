#pragma once
/// Generator: the CPU random source (Mersenne Twister mt19937, as PyTorch's CPU generator).
///   nabla::manual_seed(0);  auto x = nabla::randn({3});
///   auto g = nabla::make_generator<nabla::CPUGeneratorImpl>(42);  nabla::rand({2}, g);
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

namespace nabla {

class CPUGeneratorImpl {
 public:
  explicit CPUGeneratorImpl(uint64_t seed = 67280421310721ULL) { set_current_seed(seed); }
  void set_current_seed(uint64_t seed);
  uint64_t current_seed() const { return seed_; }
  /// 32 random bits.
  uint32_t random() { return static_cast<uint32_t>(engine_()); }
  /// 64 random bits (two 32-bit draws, high word first).
  uint64_t random64() {
    uint64_t hi = engine_();
    uint64_t lo = engine_();
    return (hi << 32) | lo;
  }
  /// Box-Muller keeps a second sample; PyTorch's generator does too.
  std::optional<double> next_double_normal_sample;
  std::optional<float> next_float_normal_sample;
  /// A byte string that set_state restores exactly.
  std::vector<uint8_t> get_state() const;
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

template <typename Impl = CPUGeneratorImpl, typename... Args>
Generator make_generator(Args&&... args) {
  return Generator(std::make_shared<Impl>(std::forward<Args>(args)...));
}

/// The default generator that factories use when none is given.
Generator& default_generator();
/// Seeds the default generator (torch.manual_seed).
void manual_seed(uint64_t seed);

}  // namespace nabla
