// Random numbers: the in-place fills (uniform_, normal_, bernoulli_, exponential_, random_)
// and the factories built on them (rand, randn, randint, randperm, normal, bernoulli).
//
// Note [PyTorch-compatible random streams]
// With the same seed and the same calls, nabla draws the same numbers as PyTorch 1.13 on the
// CPU, bit for bit. The generator is mt19937 seeded with the low 32 bits of the seed
// (std::mt19937 is that engine); random() is one 32-bit draw, random64() two draws, the
// first the high word. On top of it, PyTorch's CPU kernels (and so nabla) use:
//   uniform float   (random() & (2^24 - 1)) * 2^-24, then fma(x, to - from, from) in float
//   uniform double  (random64() & (2^53 - 1)) * 2^-53, then fma(x, to - from, from)
//   normal          contiguous float/double with >= 16 elements: the block fill of
//                   Note [Vectorised normal fill for float] (double: libm log/sin/cos on the
//                   same blocks). Otherwise, element by element, Box-Muller in double:
//                   u1, u2 uniform double, r = sqrt(-2 log(1 - u2)), theta = 2 pi u1; the
//                   result is r cos(theta), and r sin(theta) is cached in the generator and
//                   is the next element's sample (even in a later call); fma(z, std, mean),
//                   then cast to the dtype. manual_seed forgets the cached sample.
//   exponential     -1/lambda * log(1 - u), u uniform double, cast to the dtype
//   bernoulli(p)    scalar p or a float64 tensor p: (uniform double) < p; a float32 tensor
//                   p: (uniform float) < p
//   random_(f, t)   range = t - f; random64() when range >= 2^32 and the dtype is int64,
//                   float or double, else random(); f + draw % range
//   random_()       bool: random() & 1; int64: random64() % 2^63; double: random64() %
//                   (2^53 + 1); float: random() % (2^24 + 1); uint8/int32: random() % (max + 1)
//   randint         empty(size).random_(low, high) (int64 unless a dtype is given)
//   randperm        n < 2^32 / 20: Fisher-Yates from the front, swapping i with
//                   i + random() % (n - i); larger n: the "inside-out" variant with
//                   random64() % (i + 1)
//   multinomial     see multinomial.cpp
// Elements receive their draws in the order PyTorch's TensorIterator visits them: memory
// order of the output (dims sorted by stride), so a transposed tensor is filled along its
// memory, not along its logical rows. In-place fills compute the values in that order into a
// tensor laid out like self, then write them into self (random_common.h).
//
// What is not reproduced: PyTorch on a machine where it picks its AVX512 or non-vector
// kernels (ATEN_CPU_CAPABILITY) fills float normals with libm's log/sin/cos instead of the
// Cephes routines; nabla always follows the AVX2 kernels, which PyTorch uses on x86-64
// machines with AVX2. randperm with n >= 2^32 / 20 follows PyTorch's algorithm but is not
// checked against it (too large for a test).
#include <limits>
#include <mutex>

#include "autograd/op.h"
#include "kernels/cpu/elementwise.h"
#include "nabla/functions.h"
#include "nabla/warning.h"
#include "ops/random_common.h"

namespace nabla {

using namespace ops::random;
using autograd::Ctx;
using autograd::variable_list;

namespace {

using Gen = std::optional<Generator>;

// The C++ type name that PyTorch's bound checks print (caffe2's TypeMeta name).
const char* type_meta_name(ScalarType t) {
  switch (t) {
    case kByte: return "unsigned char";
    case kInt: return "int";
    case kLong: return "long int";
    case kBool: return "bool";
    case kFloat: return "float";
    case kShort: return "short int";
    case kChar: return "signed char";
    case kHalf: return "c10::Half";
    default: return "double";
  }
}

void check_floating(ScalarType dt, const char* kernel) {
  NABLA_CHECK(isFloatingType(dt), "\"", kernel, "\" not implemented for '", scalarTypeName(dt), "'");
}

// A tensor shaped like self whose data, read linearly, is in self's iteration order; fill
// writes its values.
template <typename F>
Tensor draw_like(const Tensor& self, F&& fill) {
  DimVector order = iteration_order(self.sizes(), {self.strides()});
  Tensor r = empty_in_order(self.sizes(), order, self.scalar_type());
  fill(r);
  return r;
}

// ---- uniform --------------------------------------------------------------------------------

void check_uniform_bounds(ScalarType dt, double from, double to) {
  check_floating(dt, "check_uniform_bounds");
  const double lo = dt == kFloat ? std::numeric_limits<float>::lowest() : std::numeric_limits<double>::lowest();
  const double hi = dt == kFloat ? std::numeric_limits<float>::max() : std::numeric_limits<double>::max();
  NABLA_CHECK(from >= lo && from <= hi, "from is out of bounds for ", type_meta_name(dt));
  NABLA_CHECK(to >= lo && to <= hi, "to is out of bounds for ", type_meta_name(dt));
  NABLA_CHECK(from <= to, "uniform_ expects to return a [from, to) range, but found from=", from, " > to=", to);
  NABLA_CHECK(to - from <= hi, "uniform_ expects to-from <= std::numeric_limits<", scalarTypeName(dt),
              ">::max(), but found to=", to, " and from=", from, " which result in to-from to exceed the limit");
}

void fill_uniform(Tensor& r, double from, double to, CPUGeneratorImpl* g) {
  std::lock_guard<std::mutex> lock(g->mutex());
  const int64_t n = r.numel();
  if (r.scalar_type() == kFloat) {
    float* p = static_cast<float*>(r.data_ptr());
    const float f = static_cast<float>(from), t = static_cast<float>(to);
    for (int64_t i = 0; i < n; ++i) p[i] = uniform_float(g, f, t);
  } else {
    double* p = static_cast<double*>(r.data_ptr());
    for (int64_t i = 0; i < n; ++i) p[i] = uniform_double(g, from, to);
  }
}

struct Uniform {
  static constexpr const char* name = "UniformBackward0";
  Tensor forward(Ctx&, const Tensor& self, double from, double to, const Gen& gen) {
    check_uniform_bounds(self.scalar_type(), from, to);
    return draw_like(self, [&](Tensor& r) { fill_uniform(r, from, to, generator_or_default(gen)); });
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

// ---- normal ---------------------------------------------------------------------------------

// `contiguous`: whether the tensor being filled is contiguous (PyTorch's block path needs it).
void fill_normal(Tensor& r, bool contiguous, double mean, double std, CPUGeneratorImpl* g) {
  std::lock_guard<std::mutex> lock(g->mutex());
  const int64_t n = r.numel();
  if (n >= 16 && contiguous) {
    if (r.scalar_type() == kFloat)
      normal_fill_float(static_cast<float*>(r.data_ptr()), n, static_cast<float>(mean), static_cast<float>(std), g);
    else
      normal_fill_double(static_cast<double*>(r.data_ptr()), n, mean, std, g);
    return;
  }
  NABLA_DISPATCH_FLOATING_TYPES(r.scalar_type(), "normal", [&] {
    scalar_t* p = static_cast<scalar_t*>(r.data_ptr());
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<scalar_t>(std::fma(standard_normal_double(g), std, mean));
  });
}

void check_normal(ScalarType dt, double std) {
  NABLA_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
  check_floating(dt, "normal_kernel_cpu");
}

struct Normal {
  static constexpr const char* name = "NormalBackward0";
  Tensor forward(Ctx&, const Tensor& self, double mean, double std, const Gen& gen) {
    check_normal(self.scalar_type(), std);
    return draw_like(self, [&](Tensor& r) { fill_normal(r, self.is_contiguous(), mean, std, generator_or_default(gen)); });
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

// ---- exponential ----------------------------------------------------------------------------

struct Exponential {
  static constexpr const char* name = "ExponentialBackward0";
  Tensor forward(Ctx&, const Tensor& self, double lambd, const Gen& gen) {
    NABLA_CHECK(lambd >= 0.0, "exponential_ expects lambda >= 0.0, but found lambda=", lambd);
    check_floating(self.scalar_type(), "exponential_cpu");
    return draw_like(self, [&](Tensor& r) {
      CPUGeneratorImpl* g = generator_or_default(gen);
      std::lock_guard<std::mutex> lock(g->mutex());
      NABLA_DISPATCH_FLOATING_TYPES(r.scalar_type(), "exponential", [&] {
        scalar_t* p = static_cast<scalar_t*>(r.data_ptr());
        for (int64_t i = 0; i < r.numel(); ++i) p[i] = static_cast<scalar_t>(exponential_double(g, lambd));
      });
    });
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

// ---- bernoulli ------------------------------------------------------------------------------

struct BernoulliScalar {
  static constexpr const char* name = "BernoulliBackward2";
  Tensor forward(Ctx&, const Tensor& self, double p, const Gen& gen) {
    NABLA_CHECK(p >= 0 && p <= 1, "bernoulli_ expects p to be in [0, 1], but got p=", p);
    return draw_like(self, [&](Tensor& r) {
      CPUGeneratorImpl* g = generator_or_default(gen);
      std::lock_guard<std::mutex> lock(g->mutex());
      NABLA_DISPATCH_ALL_TYPES(r.scalar_type(), "bernoulli", [&] {
        scalar_t* out = static_cast<scalar_t*>(r.data_ptr());
        for (int64_t i = 0; i < r.numel(); ++i) out[i] = static_cast<scalar_t>(uniform01_double(g) < p);
      });
    });
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

// Draws into r (laid out in `order`, shape of the output) with probabilities p.
void fill_bernoulli_tensor(Tensor& r, const Tensor& p, IntArrayRef order, CPUGeneratorImpl* g) {
  check_floating(p.scalar_type(), "bernoulli_tensor_cpu_p_");
  Tensor pv = values_in_order(p, r.sizes(), order, p.scalar_type());
  const int64_t n = r.numel();
  NABLA_DISPATCH_FLOATING_TYPES(p.scalar_type(), "bernoulli", [&] {
    const scalar_t* pp = static_cast<const scalar_t*>(pv.data_ptr());
    for (int64_t i = 0; i < n; ++i)
      NABLA_CHECK(pp[i] >= 0 && pp[i] <= 1,
                  "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
                  "improved?  If so, please report an enhancement request to PyTorch.)");
  });
  std::lock_guard<std::mutex> lock(g->mutex());
  NABLA_DISPATCH_ALL_TYPES(r.scalar_type(), "bernoulli", [&] {
    scalar_t* out = static_cast<scalar_t*>(r.data_ptr());
    if (p.scalar_type() == kDouble) {
      const double* pp = static_cast<const double*>(pv.data_ptr());
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<scalar_t>(uniform01_double(g) < pp[i]);
    } else {
      const float* pp = static_cast<const float*>(pv.data_ptr());
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<scalar_t>(uniform01_float(g) < pp[i]);
    }
  });
}

struct BernoulliTensor {
  static constexpr const char* name = "BernoulliBackward1";
  Tensor forward(Ctx&, const Tensor& self, const Tensor& p, const Gen& gen) {
    DimVector pstrides = broadcast_strides(p, self.sizes());
    DimVector order = iteration_order(self.sizes(), {self.strides(), pstrides});
    Tensor r = empty_in_order(self.sizes(), order, self.scalar_type());
    fill_bernoulli_tensor(r, p, order, generator_or_default(gen));
    return r;
  }
  // p's zero gradient is summed to p's shape by the engine.
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0]), zeros_like(g[0])}; }
};

// torch.bernoulli(p): a new contiguous tensor of p's dtype, drawn in row-major order.
struct Bernoulli {
  static constexpr const char* name = "BernoulliBackward0";
  Tensor forward(Ctx&, const Tensor& p, const Gen& gen) {
    Tensor r = core::empty(p.sizes(), p.scalar_type());
    DimVector order = iteration_order(r.sizes(), {r.strides(), broadcast_strides(p, r.sizes())});
    fill_bernoulli_tensor(r, p, order, generator_or_default(gen));
    return r;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

// ---- random_ --------------------------------------------------------------------------------

template <typename T>
T random_default(CPUGeneratorImpl* g) {
  if constexpr (std::is_same_v<T, bool>) {
    return static_cast<bool>(g->random() & 1);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return static_cast<int64_t>(g->random64() % (uint64_t{1} << 63));
  } else if constexpr (std::is_same_v<T, double>) {
    return static_cast<double>(g->random64() % ((uint64_t{1} << 53) + 1));
  } else if constexpr (std::is_same_v<T, float>) {
    return static_cast<float>(g->random() % ((uint64_t{1} << 24) + 1));
  } else {
    return static_cast<T>(g->random() % (static_cast<uint64_t>(std::numeric_limits<T>::max()) + 1));
  }
}

template <typename T>
T random_in_range(CPUGeneratorImpl* g, uint64_t range, int64_t base) {
  constexpr bool wide = std::is_same_v<T, int64_t> || std::is_same_v<T, double> || std::is_same_v<T, float>;
  const uint64_t v = (wide && range >= (uint64_t{1} << 32)) ? g->random64() : g->random();
  return static_cast<T>(static_cast<int64_t>(v % range + static_cast<uint64_t>(base)));
}

// PyTorch moves a bound that the floating dtype cannot hold to a representable one
// (update_from / update_to), so that the range stays inside [from, to).
int64_t float_bits_step(int64_t v, int digits) {
  uint64_t a = v < 0 ? uint64_t{0} - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  int n = 0;
  while (a >>= 1) ++n;
  return int64_t{1} << (n - digits + 1);
}
template <typename T>
int64_t update_from(int64_t from) {
  const T up = static_cast<T>(from + 1);
  if (up >= static_cast<T>(0x1p63)) return from;  // rounds up: no change
  const int64_t from_plus_1 = static_cast<int64_t>(up);
  if (from_plus_1 < from) from = from_plus_1 + float_bits_step(from + 1, std::numeric_limits<T>::digits);
  return from;
}
template <typename T>
int64_t update_to(int64_t to) {
  const T down = static_cast<T>(to - 1);
  if (down >= static_cast<T>(0x1p63)) {  // to - 1 rounds up to 2^63
    const int64_t step = float_bits_step(to - 1, std::numeric_limits<T>::digits);
    return static_cast<int64_t>((uint64_t{1} << 63) - static_cast<uint64_t>(step));
  }
  const int64_t to_minus_1 = static_cast<int64_t>(down);
  if (to_minus_1 >= to) to = to_minus_1 - float_bits_step(to - 1, std::numeric_limits<T>::digits);
  return to;
}

void warn_float_bound(int64_t v, const char* what, ScalarType dt) {
  const int digits = dt == kFloat ? 24 : 53;
  if (v < -(int64_t{1} << digits) || v > (int64_t{1} << digits))
    warn(detail::str(what, " is out of bounds [-(2^", digits, "), 2^", digits, "]. Due to precision limitations ",
                     type_meta_name(dt), " can support discrete uniform distribution only within this range. ",
                     "This warning will become an error in version 1.7 release, please fix the code in advance"));
}

void check_from_to_in_range(int64_t from, int64_t to_inc, ScalarType dt) {
  if (isFloatingType(dt)) {
    warn_float_bound(from, "from", dt);
    warn_float_bound(to_inc, "to - 1", dt);
    return;
  }
  int64_t lo = 0, hi = 1;  // bool
  if (dt == kByte) hi = 255;
  if (dt == kInt) lo = std::numeric_limits<int32_t>::min(), hi = std::numeric_limits<int32_t>::max();
  if (dt == kShort) lo = std::numeric_limits<int16_t>::min(), hi = std::numeric_limits<int16_t>::max();
  if (dt == kChar) lo = std::numeric_limits<int8_t>::min(), hi = std::numeric_limits<int8_t>::max();
  if (dt == kLong) lo = std::numeric_limits<int64_t>::min(), hi = std::numeric_limits<int64_t>::max();
  NABLA_CHECK(from >= lo && from <= hi, "from is out of bounds for ", type_meta_name(dt));
  NABLA_CHECK(to_inc >= lo && to_inc <= hi, "to - 1 is out of bounds for ", type_meta_name(dt));
}

// The range of random_(from, to) as [base, base + range), range 0 meaning all 2^64 values.
struct RandomRange {
  int64_t base;
  uint64_t range;
};

RandomRange random_range(ScalarType dt, int64_t from, std::optional<int64_t> to) {
  if (to) {
    NABLA_CHECK(from < *to, "random_ expects 'from' to be less than 'to', but got from=", from, " >= to=", *to);
    int64_t t = *to;
    if (isFloatingType(dt)) {
      from = dt == kFloat ? update_from<float>(from) : update_from<double>(from);
      t = dt == kFloat ? update_to<float>(t) : update_to<double>(t);
      NABLA_CHECK(from < t, "random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got from=",
                  from, " >= to=", t);
    }
    check_from_to_in_range(from, t - 1, dt);
    return {from, static_cast<uint64_t>(t) - static_cast<uint64_t>(from)};
  }
  if (from == std::numeric_limits<int64_t>::min()) {
    NABLA_CHECK(dt == kLong || isFloatingType(dt),
                "random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16");
    return {from, 0};
  }
  int64_t to_inc = 0;
  if (isFloatingType(dt)) {
    to_inc = int64_t{1} << (dt == kFloat ? 24 : 53);
    from = dt == kFloat ? update_from<float>(from) : update_from<double>(from);
    NABLA_CHECK(from < to_inc, "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' ",
                "casted to dtype, but got from=", from, " > to_inc=", to_inc);
  } else {
    to_inc = dt == kBool    ? 1
             : dt == kByte  ? 255
             : dt == kChar  ? std::numeric_limits<int8_t>::max()
             : dt == kShort ? std::numeric_limits<int16_t>::max()
             : dt == kInt   ? std::numeric_limits<int32_t>::max()
                            : std::numeric_limits<int64_t>::max();
  }
  check_from_to_in_range(from, to_inc, dt);
  return {from, static_cast<uint64_t>(to_inc) - static_cast<uint64_t>(from) + 1};
}

void fill_random_range(Tensor& r, RandomRange rr, CPUGeneratorImpl* g) {
  if (isNarrowType(r.scalar_type())) {  // the same draws as the compute type (Note [Narrow dtypes compute wide])
    Tensor w = core::empty(r.sizes(), computeType(r.scalar_type()));
    fill_random_range(w, rr, g);
    kernels::copy_(r, w);
    return;
  }
  std::lock_guard<std::mutex> lock(g->mutex());
  NABLA_DISPATCH_ALL_TYPES(r.scalar_type(), "random_", [&] {
    scalar_t* out = static_cast<scalar_t*>(r.data_ptr());
    for (int64_t i = 0; i < r.numel(); ++i)
      out[i] = rr.range == 0 ? static_cast<scalar_t>(static_cast<int64_t>(g->random64()))
                             : random_in_range<scalar_t>(g, rr.range, rr.base);
  });
}

struct RandomFromTo {
  static constexpr const char* name = "RandomBackward0";
  static constexpr bool dtype_blind = true;  // the range is the narrow dtype's
  Tensor forward(Ctx&, const Tensor& self, int64_t from, std::optional<int64_t> to, const Gen& gen) {
    RandomRange rr = random_range(self.scalar_type(), from, to);
    return draw_like(self, [&](Tensor& r) { fill_random_range(r, rr, generator_or_default(gen)); });
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

struct RandomTo : RandomFromTo {
  static constexpr const char* name = "RandomBackward1";
  Tensor forward(Ctx& ctx, const Tensor& self, int64_t to, const Gen& gen) {
    return RandomFromTo::forward(ctx, self, 0, to, gen);
  }
};

struct RandomAll {
  static constexpr const char* name = "RandomBackward2";
  static constexpr bool dtype_blind = true;
  Tensor forward(Ctx& ctx, const Tensor& self, const Gen& gen) {
    // int8/int16: [0, max] of the narrow dtype, drawn as PyTorch does for every integer type.
    if (isNarrowType(self.scalar_type()) && !isFloatingType(self.scalar_type()))
      return RandomFromTo{}.forward(ctx, self, 0, std::nullopt, gen);
    return draw_like(self, [&](Tensor& r) {
      CPUGeneratorImpl* g = generator_or_default(gen);
      std::lock_guard<std::mutex> lock(g->mutex());
      NABLA_DISPATCH_ALL_TYPES(r.scalar_type(), "random_", [&] {
        scalar_t* out = static_cast<scalar_t*>(r.data_ptr());
        for (int64_t i = 0; i < r.numel(); ++i) out[i] = random_default<scalar_t>(g);
      });
    });
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

// ---- normal(Tensor, Tensor) ---------------------------------------------------------------

// Standard normal samples of the given shape and dtype, then out * std + mean as PyTorch's
// normal(mean, std) computes them (NormalBackward1..3: the gradients are zero).
Tensor normal_scaled(IntArrayRef shape, ScalarType dt, const Tensor* mean, const Tensor* std, double mean_v,
                     double std_v, const Gen& gen) {
  Tensor out = core::empty(shape, dt);
  fill_normal(out, true, 0.0, std ? 1.0 : std_v, generator_or_default(gen));
  if (std) out.mul_(*std);
  if (mean) out.add_(*mean);
  else out.add_(mean_v);
  return out;
}

void check_std_tensor(const Tensor& std) {
  NABLA_CHECK(std.numel() == 0 || std.min().item<double>() >= 0.0, "normal expects all elements of std >= 0.0");
}

struct NormalTT {
  static constexpr const char* name = "NormalBackward3";
  Tensor forward(Ctx&, const Tensor& mean, const Tensor& std, const Gen& gen) {
    check_floating(mean.scalar_type(), "normal_kernel_cpu");
    check_std_tensor(std);
    return normal_scaled(core::broadcast_shape(mean.sizes(), std.sizes()), mean.scalar_type(), &mean, &std, 0, 1, gen);
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0]), zeros_like(g[0])}; }
};

struct NormalTS {
  static constexpr const char* name = "NormalBackward1";
  Tensor forward(Ctx&, const Tensor& mean, double std, const Gen& gen) {
    NABLA_CHECK(std >= 0.0, "normal expects std >= 0.0, but found std ", std);
    check_floating(mean.scalar_type(), "normal_kernel_cpu");
    return normal_scaled(mean.sizes(), mean.scalar_type(), &mean, nullptr, 0, std, gen);
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

struct NormalST {
  static constexpr const char* name = "NormalBackward2";
  Tensor forward(Ctx&, double mean, const Tensor& std, const Gen& gen) {
    check_floating(std.scalar_type(), "normal_kernel_cpu");
    check_std_tensor(std);
    return normal_scaled(std.sizes(), std.scalar_type(), nullptr, &std, mean, 1, gen);
  }
  variable_list backward(Ctx&, const variable_list& g) { return {zeros_like(g[0])}; }
};

Tensor finish(Tensor t, const TensorOptions& o) {
  if (o.requires_grad()) t.requires_grad_(true);
  return t;
}

template <typename T>
void shuffle_range(T* out, int64_t n, CPUGeneratorImpl* g) {
  if (n < static_cast<int64_t>(std::numeric_limits<uint32_t>::max() / 20)) {
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(i);
    for (int64_t i = 0; i + 1 < n; ++i) {
      const int64_t z = static_cast<int64_t>(g->random() % static_cast<uint64_t>(n - i));
      std::swap(out[i], out[i + z]);
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t z = static_cast<int64_t>(g->random64() % static_cast<uint64_t>(i + 1));
    out[i] = out[z];
    out[z] = static_cast<T>(i);
  }
}

void check_randperm_fits(int64_t n, ScalarType dt) {
  const int64_t top = n > 0 ? n - 1 : n;
  if (dt == kByte) NABLA_CHECK(top <= 255, "value cannot be converted to type uint8_t without overflow");
  if (dt == kInt)
    NABLA_CHECK(top <= std::numeric_limits<int32_t>::max(), "value cannot be converted to type int32_t without overflow");
  if (dt == kBool) NABLA_CHECK(top <= 1, "value cannot be converted to type bool without overflow");
  if (dt == kFloat) NABLA_CHECK(n <= (int64_t{1} << 24) + 1, "n cannot be greater than 2^24+1 for Float type.");
  if (dt == kDouble) NABLA_CHECK(n <= (int64_t{1} << 53) + 1, "n cannot be greater than 2^53+1 for Double type.");
}

}  // namespace

// ---- Tensor methods -------------------------------------------------------------------------

Tensor& Tensor::uniform_(double from, double to, std::optional<Generator> generator) const {
  return autograd::apply_inplace<Uniform>(self(), from, to, generator);
}
Tensor& Tensor::normal_(double mean, double std, std::optional<Generator> generator) const {
  return autograd::apply_inplace<Normal>(self(), mean, std, generator);
}
Tensor& Tensor::exponential_(double lambd, std::optional<Generator> generator) const {
  return autograd::apply_inplace<Exponential>(self(), lambd, generator);
}
Tensor& Tensor::bernoulli_(double p, std::optional<Generator> generator) const {
  return autograd::apply_inplace<BernoulliScalar>(self(), p, generator);
}
Tensor& Tensor::bernoulli_(const Tensor& p, std::optional<Generator> generator) const {
  return autograd::apply_inplace<BernoulliTensor>(self(), p, generator);
}
Tensor& Tensor::random_(int64_t from, std::optional<int64_t> to, std::optional<Generator> generator) const {
  return autograd::apply_inplace<RandomFromTo>(self(), from, to, generator);
}
Tensor& Tensor::random_(int64_t to, std::optional<Generator> generator) const {
  return autograd::apply_inplace<RandomTo>(self(), to, generator);
}
Tensor& Tensor::random_(std::optional<Generator> generator) const {
  return autograd::apply_inplace<RandomAll>(self(), generator);
}
Tensor Tensor::bernoulli(std::optional<Generator> generator) const {
  return autograd::apply<Bernoulli>(*this, generator);
}
Tensor Tensor::bernoulli(double p, std::optional<Generator> generator) const {
  Tensor r = empty_like_preserving(*this, scalar_type());
  r.bernoulli_(p, std::move(generator));
  return r;
}

// ---- factories ------------------------------------------------------------------------------

Tensor rand(IntArrayRef size, Generator& gen, TensorOptions options) {
  Tensor t = core::empty(size, options.dtype());
  check_uniform_bounds(t.scalar_type(), 0, 1);
  fill_uniform(t, 0, 1, gen.get());
  return finish(t, options);
}
Tensor rand(IntArrayRef size, TensorOptions options) { return rand(size, default_generator(), options); }

Tensor randn(IntArrayRef size, Generator& gen, TensorOptions options) {
  Tensor t = core::empty(size, options.dtype());
  check_normal(t.scalar_type(), 1);
  fill_normal(t, true, 0, 1, gen.get());
  return finish(t, options);
}
Tensor randn(IntArrayRef size, TensorOptions options) { return randn(size, default_generator(), options); }

Tensor rand_like(const Tensor& t, TensorOptions options) {
  return rand(t.sizes(), options.has_dtype() ? options : options.dtype(t.scalar_type()));
}
Tensor randn_like(const Tensor& t, TensorOptions options) {
  return randn(t.sizes(), options.has_dtype() ? options : options.dtype(t.scalar_type()));
}

Tensor randint(int64_t low, int64_t high, IntArrayRef size, Generator& gen, TensorOptions options) {
  Tensor t = core::empty(size, options.dtype_opt().value_or(kLong));
  RandomRange rr = random_range(t.scalar_type(), low, high);
  fill_random_range(t, rr, gen.get());
  return finish(t, options);
}
Tensor randint(int64_t low, int64_t high, IntArrayRef size, TensorOptions options) {
  return randint(low, high, size, default_generator(), options);
}
Tensor randint(int64_t high, IntArrayRef size, Generator& gen, TensorOptions options) {
  return randint(0, high, size, gen, options);
}
Tensor randint(int64_t high, IntArrayRef size, TensorOptions options) {
  return randint(0, high, size, default_generator(), options);
}

Tensor randperm(int64_t n, Generator& gen, TensorOptions options) {
  const ScalarType dt = options.dtype_opt().value_or(kLong);
  Tensor t = core::empty({n}, dt);
  check_randperm_fits(n, dt);
  CPUGeneratorImpl* g = gen.get();
  std::lock_guard<std::mutex> lock(g->mutex());
  NABLA_DISPATCH_ALL_TYPES(dt, "randperm", [&] { shuffle_range(static_cast<scalar_t*>(t.data_ptr()), n, g); });
  return finish(t, options);
}
Tensor randperm(int64_t n, TensorOptions options) { return randperm(n, default_generator(), options); }

Tensor normal(double mean, double std, IntArrayRef size, Generator& gen, TensorOptions options) {
  Tensor t = core::empty(size, options.dtype());
  check_normal(t.scalar_type(), std);
  fill_normal(t, true, mean, std, gen.get());
  return finish(t, options);
}
Tensor normal(double mean, double std, IntArrayRef size, TensorOptions options) {
  return normal(mean, std, size, default_generator(), options);
}
Tensor normal(const Tensor& mean, const Tensor& std, std::optional<Generator> generator) {
  return autograd::apply<NormalTT>(mean, std, generator);
}
Tensor normal(const Tensor& mean, double std, std::optional<Generator> generator) {
  return autograd::apply<NormalTS>(mean, std, generator);
}
Tensor normal(double mean, const Tensor& std, std::optional<Generator> generator) {
  return autograd::apply<NormalST>(mean, std, generator);
}

Tensor bernoulli(const Tensor& p, std::optional<Generator> generator) { return p.bernoulli(std::move(generator)); }
Tensor bernoulli(const Tensor& t, double p, std::optional<Generator> generator) {
  return t.bernoulli(p, std::move(generator));
}

}  // namespace nabla
