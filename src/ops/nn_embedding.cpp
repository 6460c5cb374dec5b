// embedding (EmbeddingBackward0, whose gradient is the dense scatter-add
// EmbeddingDenseBackward0) and embedding_renorm_.
#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/parallel.h"
#include "nabla/functions.h"
#include "nabla/nn/functional/embedding.h"

namespace nabla {

using autograd::Ctx;
using autograd::variable_list;

namespace {

void check_index_dtype(const Tensor& indices, const char* arg, const char* fn) {
  const ScalarType t = indices.scalar_type();
  NABLA_CHECK(t == kLong || t == kInt, "Expected tensor for argument ", arg,
              " to have one of the following scalar types: Long, Int; but got ", legacyTypeName(t),
              " instead (while checking arguments for ", fn, ")");
}

// The indices as int64, contiguous, checked to lie in [0, rows).
std::vector<int64_t> index_values(const Tensor& indices, int64_t rows) {
  Tensor idx = indices.to(kLong).contiguous();
  const int64_t* p = idx.data_ptr<int64_t>();
  std::vector<int64_t> out(p, p + idx.numel());
  for (int64_t v : out) NABLA_CHECK(v >= 0 && v < rows, "index out of range in self");
  return out;
}

// out[i, :] = weight[idx[i], :]
Tensor gather_rows(const Tensor& weight, const Tensor& indices) {
  const int64_t rows = weight.size(0), d = weight.size(1);
  const std::vector<int64_t> idx = index_values(indices, rows);
  Tensor w = weight.contiguous();
  DimVector shape(indices.sizes());
  shape.push_back(d);
  Tensor out = core::empty(shape, w.scalar_type());
  const size_t row_bytes = static_cast<size_t>(d) * w.element_size();
  const char* src = static_cast<const char*>(w.data_ptr());
  char* dst = static_cast<char*>(out.data_ptr());
  const int64_t n = static_cast<int64_t>(idx.size());
  kernels::parallel_for(0, n, std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(d, 1)),
                        [&](int64_t b, int64_t e) {
                          for (int64_t i = b; i < e; ++i)
                            if (row_bytes) std::memcpy(dst + i * row_bytes, src + idx[i] * row_bytes, row_bytes);
                        });
  return out;
}

// Per position of indices: 0 where the index is padding_idx, else 1 / count(index) when
// scale_grad_by_freq, else 1.
std::vector<double> position_factors(const std::vector<int64_t>& idx, int64_t padding_idx, bool scale_grad_by_freq) {
  std::unordered_map<int64_t, int64_t> counts;
  if (scale_grad_by_freq)
    for (int64_t v : idx) ++counts[v];
  std::vector<double> f(idx.size());
  for (size_t i = 0; i < idx.size(); ++i)
    f[i] = idx[i] == padding_idx ? 0.0 : scale_grad_by_freq ? 1.0 / static_cast<double>(counts[idx[i]]) : 1.0;
  return f;
}

template <typename T>
void scatter_add_rows(T* gw, const T* g, const std::vector<int64_t>& idx, const std::vector<double>& factor,
                      int64_t d) {
  for (size_t i = 0; i < idx.size(); ++i) {
    if (factor[i] == 0.0) continue;
    T* row = gw + idx[i] * d;
    const T* src = g + static_cast<int64_t>(i) * d;
    if (factor[i] == 1.0) {
      for (int64_t j = 0; j < d; ++j) row[j] += src[j];
    } else {
      const T s = static_cast<T>(factor[i]);
      for (int64_t j = 0; j < d; ++j) row[j] += src[j] * s;
    }
  }
}

struct EmbeddingDenseBackward;

struct Embedding {
  static constexpr const char* name = "EmbeddingBackward0";
  int64_t num_weights = 0, padding_idx = -1;
  bool scale_grad_by_freq = false;

  Tensor forward(Ctx& ctx, const Tensor& weight, const Tensor& indices, int64_t padding_idx_, bool scale) {
    num_weights = weight.size(0);
    padding_idx = padding_idx_;
    scale_grad_by_freq = scale;
    Tensor out = gather_rows(weight, indices);
    ctx.save(indices);
    return out;
  }
  variable_list backward(Ctx& ctx, const variable_list& g);
};

// The weight gradient of embedding: grad rows summed into the rows their indices name.
struct EmbeddingDenseBackward {
  static constexpr const char* name = "EmbeddingDenseBackward0";
  int64_t padding_idx = -1;
  bool scale_grad_by_freq = false;

  Tensor forward(Ctx& ctx, const Tensor& grad, const Tensor& indices, int64_t num_weights, int64_t padding_idx_,
                 bool scale) {
    padding_idx = padding_idx_;
    scale_grad_by_freq = scale;
    const int64_t d = grad.size(-1);
    const std::vector<int64_t> idx = index_values(indices, num_weights);
    const std::vector<double> factor = position_factors(idx, padding_idx, scale_grad_by_freq);
    Tensor g = grad.contiguous();
    Tensor gw = zeros({num_weights, d}, TensorOptions(g.scalar_type()));
    NABLA_DISPATCH_FLOATING_TYPES(g.scalar_type(), "embedding_backward", [&] {
      scatter_add_rows<scalar_t>(gw.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), idx, factor, d);
    });
    ctx.save(indices);
    return gw;
  }
  // Linear in grad: its gradient gathers the rows back, weighted per position.
  variable_list backward(Ctx& ctx, const variable_list& g) {
    if (!g[0].defined()) return {Tensor(), Tensor()};
    Tensor indices = ctx.saved(0);
    Tensor rows = autograd::apply<Embedding>(g[0], indices, int64_t{-1}, false);
    if (padding_idx < 0 && !scale_grad_by_freq) return {rows, Tensor()};
    const std::vector<double> f =
        position_factors(index_values(indices, g[0].size(0)), padding_idx, scale_grad_by_freq);
    Tensor factor = core::empty({static_cast<int64_t>(f.size())}, kDouble);
    std::copy(f.begin(), f.end(), factor.data_ptr<double>());
    DimVector shape(indices.sizes());
    shape.push_back(1);
    return {rows * factor.to(rows.scalar_type()).view(shape), Tensor()};
  }
};

variable_list Embedding::backward(Ctx& ctx, const variable_list& g) {
  if (!g[0].defined()) return {Tensor(), Tensor()};
  Tensor indices = ctx.saved(0);
  return {autograd::apply<EmbeddingDenseBackward>(g[0], indices, num_weights, padding_idx, scale_grad_by_freq),
          Tensor()};
}

}  // namespace

Tensor embedding(const Tensor& weight, const Tensor& indices, int64_t padding_idx, bool scale_grad_by_freq,
                 bool sparse) {
  NABLA_CHECK(weight.dim() == 2, "'weight' must be 2-D");
  check_index_dtype(indices, "#1 'indices'", "embedding");
  NABLA_CHECK(!sparse, "embedding: sparse gradients (sparse=true) are not supported; use sparse=false");
  return autograd::apply<Embedding>(weight, indices, padding_idx, scale_grad_by_freq);
}

Tensor& embedding_renorm_(Tensor& self, const Tensor& indices, double max_norm, double norm_type) {
  NABLA_CHECK(self.dim() == 2, "Expected 2-dimensional tensor, but got ", self.dim(),
              "-dimensional tensor for argument #1 'self' (while checking arguments for embedding_renorm_)");
  check_index_dtype(indices, "#2 'indices'", "embedding_renorm_");
  NoGradGuard no_grad;
  std::vector<int64_t> idx = index_values(indices, self.size(0));
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  for (int64_t i : idx) {
    Tensor row = self.select(0, i);
    const double norm = row.norm(norm_type).item<double>();
    if (norm > max_norm) row.mul_(max_norm / (norm + 1e-7));
  }
  return self;
}

namespace nn::functional {

Tensor embedding(const Tensor& input, const Tensor& weight, const EmbeddingFuncOptions& options) {
  int64_t padding_idx = -1;
  if (options.padding_idx()) {
    padding_idx = *options.padding_idx();
    const int64_t rows = weight.size(0);
    NABLA_CHECK(padding_idx < rows && padding_idx >= -rows, "Padding_idx must be within num_embeddings");
    if (padding_idx < 0) padding_idx += rows;
  }
  Tensor in = input;
  if (options.max_norm()) {
    in = input.contiguous();
    Tensor w = weight;
    embedding_renorm_(w, in, *options.max_norm(), options.norm_type());
  }
  return nabla::embedding(weight, in, padding_idx, options.scale_grad_by_freq(), options.sparse());
}

}  // namespace nn::functional
}  // namespace nabla
