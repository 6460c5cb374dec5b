#include "nabla/data/datasets.h"

#include <cmath>
#include <numeric>

namespace nabla::data {

namespace datasets {

TensorDataset::TensorDataset(Tensor data, Tensor target) : data(std::move(data)), target(std::move(target)) {
  NABLA_CHECK(this->data.dim() > 0 && this->target.dim() > 0 && this->data.size(0) == this->target.size(0),
              "Size mismatch between tensors");
}

Example<> TensorDataset::get(size_t index) {
  return {data[static_cast<int64_t>(index)], target[static_cast<int64_t>(index)]};
}

}  // namespace datasets

namespace detail {

std::vector<int64_t> split_lengths(size_t dataset_size, const std::vector<double>& lengths) {
  const double sum = std::accumulate(lengths.begin(), lengths.end(), 0.0);
  // Python: math.isclose(sum(lengths), 1) and sum(lengths) <= 1 means fractions.
  if (std::fabs(sum - 1.0) <= 1e-9 * std::max(std::fabs(sum), 1.0) && sum <= 1.0) {
    std::vector<int64_t> out;
    for (size_t i = 0; i < lengths.size(); ++i) {
      const double f = lengths[i];
      NABLA_CHECK(f >= 0 && f <= 1, "Fraction at index ", i, " is not between 0 and 1");
      out.push_back(static_cast<int64_t>(std::floor(static_cast<double>(dataset_size) * f)));
    }
    const int64_t remainder = static_cast<int64_t>(dataset_size) - std::accumulate(out.begin(), out.end(), int64_t{0});
    for (int64_t i = 0; i < remainder; ++i) ++out[static_cast<size_t>(i) % out.size()];
    return out;
  }
  std::vector<int64_t> out;
  for (double l : lengths) {
    NABLA_CHECK(l >= 0 && std::floor(l) == l, "random_split: lengths must be non-negative integers or fractions that sum to 1, got ", l);
    out.push_back(static_cast<int64_t>(l));
  }
  return out;
}

std::vector<std::vector<size_t>> random_split_indices(size_t dataset_size, const std::vector<int64_t>& lengths,
                                                      Generator& generator) {
  int64_t total = 0;
  for (int64_t l : lengths) {
    NABLA_CHECK(l >= 0, "random_split: lengths must be non-negative, got ", l);
    total += l;
  }
  NABLA_CHECK(total == static_cast<int64_t>(dataset_size),
              "Sum of input lengths does not equal the length of the input dataset!");
  const Tensor perm = randperm(total, generator);
  const int64_t* p = perm.data_ptr<int64_t>();
  std::vector<std::vector<size_t>> out;
  int64_t offset = 0;
  for (int64_t l : lengths) {
    std::vector<size_t> idx(static_cast<size_t>(l));
    for (int64_t i = 0; i < l; ++i) idx[static_cast<size_t>(i)] = static_cast<size_t>(p[offset + i]);
    offset += l;
    out.push_back(std::move(idx));
  }
  return out;
}

}  // namespace detail
}  // namespace nabla::data
