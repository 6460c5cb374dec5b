#pragma once
// Reductions over a set of dims without copying the input: the kept dims and the reduced
// dims are each merged where their strides allow and walked in place. Three schedules:
//   rows    — each output walks its reduced elements (reduced dims innermost, e.g. sum(-1));
//   columns — the innermost kept dim is contiguous and the reduced dims are outer (sum(0) of
//             a [N, M] matrix): a block of adjacent outputs accumulates one input row at a
//             time, so memory is read in order;
//   split   — a single output over many elements: threads reduce chunks, then combine.
//
// A reducer R over elements of type T provides
//   using acc_t;                                    accumulator
//   acc_t init(int64_t o) const;                    fresh accumulator for output o
//   void step(acc_t&, T x, int64_t i) const;        x is reduced element number i (row-major
//                                                   order of the reduced dims)
//   void combine(acc_t& a, const acc_t& b) const;   b covers elements after a's
//   void store(int64_t o, const acc_t&) const;      writes output o (contiguous out_shape)
// and optionally, for speed (order-insensitive reducers such as sums):
//   void run(acc_t&, const T* p, int64_t n) const;            n contiguous elements
//   void lanes(acc_t* acc, const T* row, int64_t n) const;    acc[j] takes row[j], j < n
#include <vector>

#include "core/internal.h"
#include "kernels/cpu/parallel.h"

namespace nabla::kernels {

struct ReduceGeom {
  DimVector out_shape;  // the result's shape (with or without the kept size-1 dims)
  int64_t num_out = 1;  // number of outputs
  int64_t num_red = 1;  // elements reduced into each output
  // Merged kept and reduced dims, innermost first; strides in elements.
  DimVector kept_sizes, kept_strides, red_sizes, red_strides;
  const char* data = nullptr;
  int64_t elem = 1;  // element size in bytes
};

/// dims: wrapped, distinct dims to reduce (a 0-dim tensor reduces its single element).
ReduceGeom reduce_geom(const Tensor& t, IntArrayRef dims, bool keepdim);
/// Every dim of t: 0..dim-1.
DimVector all_dims(const Tensor& t);

namespace detail {

// Offset (in elements) of linear index `i` over dims given innermost first.
inline int64_t offset_of(int64_t i, const DimVector& sizes, const DimVector& strides, size_t first = 0) {
  int64_t off = 0;
  for (size_t d = first; d < sizes.size() && i; ++d) {
    off += (i % sizes[d]) * strides[d];
    i /= sizes[d];
  }
  return off;
}

// Steps acc over reduced elements [rb, re) of the slice starting at p.
template <typename T, typename R>
void reduce_range(const ReduceGeom& g, const R& red, const T* p, typename R::acc_t& acc, int64_t rb, int64_t re) {
  if (g.red_sizes.empty()) {
    if (rb < re) red.step(acc, p[0], 0);
    return;
  }
  const int64_t n0 = g.red_sizes[0], s0 = g.red_strides[0];
  int64_t i = rb;
  while (i < re) {
    const int64_t j0 = i % n0;
    const T* q = p + offset_of(i / n0, g.red_sizes, g.red_strides, 1) + j0 * s0;
    const int64_t cnt = std::min(n0 - j0, re - i);
    if (s0 == 1) {
      if constexpr (requires { red.run(acc, q, cnt); }) red.run(acc, q, cnt);
      else
        for (int64_t j = 0; j < cnt; ++j) red.step(acc, q[j], i + j);
    } else {
      for (int64_t j = 0; j < cnt; ++j) red.step(acc, q[j * s0], i + j);
    }
    i += cnt;
  }
}

}  // namespace detail

/// Runs reducer `red` over the geometry (see the top of this file).
template <typename T, typename R>
void reduce(const ReduceGeom& g, const R& red) {
  using acc_t = typename R::acc_t;
  if (g.num_out == 0) return;
  const T* base = reinterpret_cast<const T*>(g.data);
  const int64_t nred = g.num_red;
  // split: one output, many elements.
  if (g.num_out == 1 && nred > kGrainSize && get_num_threads() > 1) {
    const int64_t chunks = std::min<int64_t>(get_num_threads(), nred / kGrainSize + 1);
    std::vector<acc_t> parts;
    for (int64_t c = 0; c < chunks; ++c) parts.push_back(red.init(0));
    const int64_t per = (nred + chunks - 1) / chunks;
    parallel_for(0, chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c)
        detail::reduce_range(g, red, base, parts[c], c * per, std::min(nred, (c + 1) * per));
    });
    for (int64_t c = 1; c < chunks; ++c) red.combine(parts[0], parts[c]);
    red.store(0, parts[0]);
    return;
  }
  // columns: contiguous innermost kept dim, reduced dims outside it.
  const bool columns = !g.kept_sizes.empty() && g.kept_strides[0] == 1 && g.kept_sizes[0] >= 4 &&
                       !g.red_sizes.empty() && g.red_strides[0] != 1;
  if (columns) {
    constexpr int64_t kBlock = 256;
    const int64_t K = g.kept_sizes[0];
    const int64_t blocks_per_row = (K + kBlock - 1) / kBlock;
    const int64_t units = (g.num_out / K) * blocks_per_row;
    const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, nred * std::min(K, kBlock)));
    parallel_for(0, units, grain, [&](int64_t ub, int64_t ue) {
      std::vector<acc_t> acc(static_cast<size_t>(std::min(K, kBlock)));
      for (int64_t u = ub; u < ue; ++u) {
        const int64_t q = u / blocks_per_row, k0 = (u % blocks_per_row) * kBlock;
        const int64_t nb = std::min(kBlock, K - k0);
        const int64_t o0 = q * K + k0;
        const T* p = base + detail::offset_of(q, g.kept_sizes, g.kept_strides, 1) + k0;
        for (int64_t j = 0; j < nb; ++j) acc[j] = red.init(o0 + j);
        for (int64_t r = 0; r < nred; ++r) {
          const T* row = p + detail::offset_of(r, g.red_sizes, g.red_strides);
          if constexpr (requires { red.lanes(acc.data(), row, nb); }) red.lanes(acc.data(), row, nb);
          else
            for (int64_t j = 0; j < nb; ++j) red.step(acc[j], row[j], r);
        }
        for (int64_t j = 0; j < nb; ++j) red.store(o0 + j, acc[j]);
      }
    });
    return;
  }
  // rows.
  parallel_for(0, g.num_out, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, nred)), [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      acc_t acc = red.init(o);
      detail::reduce_range(g, red, base + detail::offset_of(o, g.kept_sizes, g.kept_strides), acc, 0, nred);
      red.store(o, acc);
    }
  });
}

/// A contiguous tensor seen as [outer, n, inner] around `dim` (for scans and softmax).
struct DimLayout {
  int64_t outer = 1, n = 1, inner = 1;
};
DimLayout dim_layout(IntArrayRef sizes, int64_t dim);

/// out = cumsum of t (contiguous, already of out's dtype) along dim; floating sums run in double.
void cumsum(const Tensor& out, const Tensor& t, int64_t dim);
/// out = the sum from each position to the end along dim (the adjoint of cumsum).
void reverse_cumsum(const Tensor& out, const Tensor& t, int64_t dim);
/// out = softmax (or log_softmax) of t (contiguous, floating) along dim.
void softmax(const Tensor& out, const Tensor& t, int64_t dim, bool log);

}  // namespace nabla::kernels
