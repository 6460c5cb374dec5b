#include "nabla/generator.h"

#include <array>
#include <cstring>
#include <sstream>
#include <string>

#include "nabla/error.h"

namespace nabla {

void CPUGeneratorImpl::set_current_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  // std::mt19937 keeps the seed modulo 2^32, as PyTorch's mt19937 does.
  engine_.seed(static_cast<std::mt19937::result_type>(seed));
  next_double_normal_sample.reset();
  next_float_normal_sample.reset();
}

namespace {
// The state is text: "nabla-cpu-generator <seed> <has_double> <double bits> <has_float>
// <float bits> <engine>", the engine as the standard library streams it (its 624 words and
// position); the cached samples as their bit patterns, so that they come back exactly.
constexpr const char* kStateTag = "nabla-cpu-generator";

uint64_t double_bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
}
}  // namespace

std::vector<uint8_t> CPUGeneratorImpl::get_state() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream os;
  uint32_t fbits = 0;
  if (next_float_normal_sample) std::memcpy(&fbits, &*next_float_normal_sample, sizeof fbits);
  os << kStateTag << ' ' << seed_ << ' ' << next_double_normal_sample.has_value() << ' '
     << double_bits(next_double_normal_sample.value_or(0.0)) << ' ' << next_float_normal_sample.has_value()
     << ' ' << fbits << ' ' << engine_;
  std::string s = os.str();
  return std::vector<uint8_t>(s.begin(), s.end());
}

void CPUGeneratorImpl::set_state(const std::vector<uint8_t>& state) {
  std::istringstream is(std::string(state.begin(), state.end()));
  std::string tag;
  uint64_t seed = 0, dbits = 0;
  uint32_t fbits = 0;
  bool has_double = false, has_float = false;
  constexpr size_t n = std::mt19937::state_size;
  std::array<unsigned long long, n> words{};
  unsigned long long position = 0;
  is >> tag >> seed >> has_double >> dbits >> has_float >> fbits;
  for (auto& w : words) is >> w;
  is >> position;
  const bool parsed = !is.fail() && tag == kStateTag;
  if (parsed) is >> std::ws;
  NABLA_CHECK(parsed && is.eof(), "set_state: the state is not one that get_state of a CPU generator produced");
  // Note [Valid Mersenne Twister states]: the engine holds 624 32-bit words and the position
  // of the next word to temper (624: regenerate first). Regeneration reads only the top bit of
  // word 0 and all of words 1..623; if those are all zero the engine yields zeros forever
  // (the standard's seeding avoids this state by setting word 0 to 2^31).
  bool words_fit = position <= n;
  for (auto w : words) words_fit = words_fit && w <= 0xFFFFFFFFull;
  NABLA_CHECK(words_fit, "set_state: the Mersenne Twister state is invalid: its words must be 32-bit values and "
              "its position at most ", n);
  bool significant = (words[0] & 0x80000000ull) != 0;
  for (size_t i = 1; i < n && !significant; ++i) significant = words[i] != 0;
  NABLA_CHECK(significant, "set_state: the Mersenne Twister state is invalid: its significant bits are all zero, "
              "so it would generate only zeros");
  std::ostringstream canonical;
  for (auto w : words) canonical << w << ' ';
  canonical << position;
  std::istringstream es(canonical.str());
  std::mt19937 engine;
  es >> engine;
  NABLA_CHECK(!es.fail(), "set_state: the state is not one that get_state of a CPU generator produced");
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  engine_ = engine;
  next_double_normal_sample.reset();
  next_float_normal_sample.reset();
  if (has_double) {
    double d;
    std::memcpy(&d, &dbits, sizeof d);
    next_double_normal_sample = d;
  }
  if (has_float) {
    float f;
    std::memcpy(&f, &fbits, sizeof f);
    next_float_normal_sample = f;
  }
}

Generator& default_generator() {
  static Generator g = make_generator<CPUGeneratorImpl>();
  return g;
}

void manual_seed(uint64_t seed) { default_generator().set_current_seed(seed); }

}  // namespace nabla
