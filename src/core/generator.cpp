#include "nabla/generator.h"

#include <cstring>
#include <sstream>

#include "nabla/error.h"

namespace nabla {

void CPUGeneratorImpl::set_current_seed(uint64_t seed) {
  seed_ = seed;
  engine_.seed(static_cast<std::mt19937::result_type>(seed));
  next_double_normal_sample.reset();
  next_float_normal_sample.reset();
}

std::vector<uint8_t> CPUGeneratorImpl::get_state() const {
  std::ostringstream os;
  os << seed_ << ' ' << engine_ << ' ' << next_double_normal_sample.has_value() << ' '
     << next_double_normal_sample.value_or(0.0) << ' ' << next_float_normal_sample.has_value() << ' '
     << next_float_normal_sample.value_or(0.0f);
  std::string s = os.str();
  return std::vector<uint8_t>(s.begin(), s.end());
}

void CPUGeneratorImpl::set_state(const std::vector<uint8_t>& state) {
  std::istringstream is(std::string(state.begin(), state.end()));
  uint64_t seed;
  std::mt19937 engine;
  bool hd, hf;
  double d;
  float f;
  is >> seed >> engine >> hd >> d >> hf >> f;
  NABLA_CHECK(!is.fail(), "set_state: the state is not one get_state produced");
  seed_ = seed;
  engine_ = engine;
  next_double_normal_sample = hd ? std::optional<double>(d) : std::nullopt;
  next_float_normal_sample = hf ? std::optional<float>(f) : std::nullopt;
}

Generator& default_generator() {
  static Generator g = make_generator<CPUGeneratorImpl>();
  return g;
}

void manual_seed(uint64_t seed) { default_generator().set_current_seed(seed); }

}  // namespace nabla
