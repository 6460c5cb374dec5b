// torch.multinomial, drawing as PyTorch 1.13's CPU kernels do (Note [PyTorch-compatible
// random streams], random.cpp).
//
// Note [Multinomial sampling]
// With replacement, each row's probabilities are summed into a cumulative distribution in
// the input's dtype and divided by the total; the last entry is set to 1. Each sample draws a
// uniform double u and takes the first slot whose cumulative value is not below u (binary
// search). Rows are sampled one after the other, all samples of a row together.
// Without replacement (the "Gumbel-max" trick): q = exponential(1) samples laid out like the
// input (drawn in its memory order, cast to its dtype), then p / q, and the indices of the
// n largest values of each row: argmax for one sample, else PyTorch's topk, which orders
// with std::partial_sort when 64 n <= categories and with std::nth_element followed by
// std::sort of the first n - 1 otherwise; the same standard-library calls with the same
// comparison give the same order, including among ties.
#include <algorithm>
#include <cmath>
#include <mutex>
#include <utility>
#include <vector>

#include "nabla/functions.h"
#include "ops/random_common.h"

namespace nabla {

using namespace ops::random;

namespace {

template <typename T>
void with_replacement(const Tensor& self, int64_t n_sample, int64_t* out, CPUGeneratorImpl* g) {
  const int64_t rows = self.dim() > 1 ? self.size(0) : 1, cats = self.size(-1);
  const int64_t rs = self.dim() > 1 ? self.stride(0) : 0, cs = self.stride(-1);
  const T* p = static_cast<const T*>(self.data_ptr());
  std::vector<T> cum(static_cast<size_t>(cats));
  std::lock_guard<std::mutex> lock(g->mutex());
  for (int64_t i = 0; i < rows; ++i) {
    T sum = 0;
    for (int64_t j = 0; j < cats; ++j) {
      const T v = p[i * rs + j * cs];
      NABLA_CHECK(v >= 0, "invalid multinomial distribution (encountering probability entry < 0)");
      NABLA_CHECK(std::isfinite(v), "invalid multinomial distribution (encountering probability entry = infinity or NaN)");
      sum += v;
      cum[static_cast<size_t>(j)] = sum;
    }
    NABLA_CHECK(sum > 0, "invalid multinomial distribution (sum of probabilities <= 0)");
    for (T& c : cum) c /= sum;
    cum.back() = 1;
    for (int64_t s = 0; s < n_sample; ++s) {
      const double u = uniform01_double(g);
      int64_t left = 0, right = cats;
      while (right > left) {
        const int64_t mid = left + (right - left) / 2;
        if (cum[static_cast<size_t>(mid)] < u) left = mid + 1;
        else right = mid;
      }
      out[i * n_sample + s] = left;
    }
  }
}

// "Larger first, NaN largest" as PyTorch's topk compares.
bool topk_before(const std::pair<double, int64_t>& x, const std::pair<double, int64_t>& y) {
  return (std::isnan(x.first) && !std::isnan(y.first)) || x.first > y.first;
}

template <typename T>
void without_replacement(const Tensor& self, int64_t n_sample, int64_t* out, CPUGeneratorImpl* g) {
  const int64_t rows = self.dim() > 1 ? self.size(0) : 1, cats = self.size(-1);
  const T* p = static_cast<const T*>(self.data_ptr());
  const int64_t rs = self.dim() > 1 ? self.stride(0) : 0, cs = self.stride(-1);
  for (int64_t i = 0; i < rows; ++i) {
    bool all_zero = true;
    for (int64_t j = 0; j < cats; ++j) {
      const T v = p[i * rs + j * cs];
      NABLA_CHECK(v >= 0 && v < INFINITY, "probability tensor contains either `inf`, `nan` or element < 0");
      all_zero = all_zero && v == 0;
    }
    NABLA_CHECK(!all_zero, "invalid multinomial distribution (sum of probabilities <= 0)");
  }
  Tensor q = empty_like_preserving(self, self.scalar_type());
  {
    // q is dense in its own order: its data, read linearly, is that order.
    std::lock_guard<std::mutex> lock(g->mutex());
    T* qd = static_cast<T*>(q.data_ptr());
    for (int64_t k = 0; k < q.numel(); ++k) qd[k] = static_cast<T>(exponential_double(g, 1.0));
  }
  const T* qd = static_cast<const T*>(q.data_ptr());
  const int64_t qrs = q.dim() > 1 ? q.stride(0) : 0, qcs = q.stride(-1);
  std::vector<std::pair<double, int64_t>> row(static_cast<size_t>(cats));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cats; ++j)
      row[static_cast<size_t>(j)] = {static_cast<double>(p[i * rs + j * cs] / qd[i * qrs + j * qcs]), j};
    int64_t* o = out + i * n_sample;
    if (n_sample == 1) {
      size_t best = 0;
      for (size_t j = 1; j < row.size(); ++j)
        if ((std::isnan(row[j].first) && !std::isnan(row[best].first)) || row[j].first > row[best].first) best = j;
      o[0] = static_cast<int64_t>(best);
      continue;
    }
    const auto k = static_cast<std::ptrdiff_t>(n_sample);
    if (n_sample * 64 <= cats) {
      std::partial_sort(row.begin(), row.begin() + k, row.end(), topk_before);
    } else {
      std::nth_element(row.begin(), row.begin() + k - 1, row.end(), topk_before);
      std::sort(row.begin(), row.begin() + k - 1, topk_before);
    }
    for (int64_t s = 0; s < n_sample; ++s) o[s] = row[static_cast<size_t>(s)].second;
  }
}

}  // namespace

Tensor multinomial(const Tensor& self, int64_t num_samples, bool replacement, std::optional<Generator> generator) {
  NABLA_CHECK(self.dim() > 0 && self.dim() <= 2, "prob_dist must be 1 or 2 dim");
  NABLA_CHECK(self.is_floating_point(), "multinomial only supports floating-point dtypes for input, got: ",
              scalarTypeName(self.scalar_type()));
  NABLA_CHECK(num_samples > 0, "cannot sample n_sample <= 0 samples");
  const int64_t cats = self.size(-1);
  NABLA_CHECK(replacement || num_samples <= cats,
              "cannot sample n_sample > prob_dist.size(-1) samples without replacement");
  NABLA_CHECK(cats <= (int64_t{1} << 24), "number of categories cannot exceed 2^24");
  Tensor out = self.dim() == 1 ? core::empty({num_samples}, kLong) : core::empty({self.size(0), num_samples}, kLong);
  if (out.numel() == 0) return out;
  CPUGeneratorImpl* g = generator_or_default(generator);
  int64_t* o = static_cast<int64_t*>(out.data_ptr());
  NABLA_DISPATCH_FLOATING_TYPES(self.scalar_type(), "multinomial", [&] {
    if (replacement) with_replacement<scalar_t>(self, num_samples, o, g);
    else without_replacement<scalar_t>(self, num_samples, o, g);
  });
  return out;
}

Tensor Tensor::multinomial(int64_t num_samples, bool replacement, std::optional<Generator> generator) const {
  return nabla::multinomial(*this, num_samples, replacement, std::move(generator));
}

}  // namespace nabla
