#include "kernels/cpu/conv.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/blas.h"
#include "kernels/cpu/parallel.h"

namespace nabla::kernels {

namespace {

bool is_direct(const Conv2dShape& s) {
  return s.kernel_h == 1 && s.kernel_w == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_h == 0 && s.pad_w == 0 &&
         s.out_h == s.height && s.out_w == s.width;
}

template <typename T>
T* scratch(size_t n) {
  thread_local std::vector<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

// A row-major [rows, cols] matrix at p, or (transposed) the transpose of a row-major [cols, rows] one.
MatrixRef mat(const void* p, int64_t rows, int64_t cols, bool transposed = false) {
  return transposed ? MatrixRef{p, rows, cols, 1, rows} : MatrixRef{p, rows, cols, cols, 1};
}

// Note [Threads in convolutions]
// Samples are spread over the pool, each running single-threaded GEMMs (a GEMM inside a
// parallel region does not split again: Note [Threaded GEMM] in blas.cpp).
template <typename F>
void for_each_sample_chunk(int64_t n, const F& f) {
  if (get_num_threads() <= 1 || n <= 1) return f(0, n);
  parallel_for(0, n, 1, f);
}

template <typename T>
void forward_kernel(const Tensor& x, const Tensor& w, const Tensor& y, const Conv2dShape& s, int64_t G) {
  const int64_t Og = w.size(0) / G, K = s.channels * s.kernel_h * s.kernel_w;
  const int64_t HW = s.height * s.width, OHW = s.out_h * s.out_w;
  const bool direct = is_direct(s);
  const T* xp = x.data_ptr<T>();
  const T* wp = w.data_ptr<T>();
  T* yp = y.data_ptr<T>();
  for_each_sample_chunk(x.size(0), [&](int64_t b, int64_t e) {
    T* col = direct ? nullptr : scratch<T>(static_cast<size_t>(K * OHW));
    for (int64_t n = b; n < e; ++n)
      for (int64_t g = 0; g < G; ++g) {
        const T* xg = xp + (n * G + g) * s.channels * HW;
        if (!direct) im2col(xg, s, col);
        gemm(y.scalar_type(), mat(wp + g * Og * K, Og, K), mat(direct ? xg : col, K, OHW),
             yp + (n * G + g) * Og * OHW, 0, 1);
      }
  });
}

template <typename T>
void backward_input_kernel(const Tensor& gy, const Tensor& w, const Tensor& gx, const Conv2dShape& s, int64_t G) {
  const int64_t Og = w.size(0) / G, K = s.channels * s.kernel_h * s.kernel_w;
  const int64_t HW = s.height * s.width, OHW = s.out_h * s.out_w;
  const bool direct = is_direct(s);
  const T* gyp = gy.data_ptr<T>();
  const T* wp = w.data_ptr<T>();
  T* gxp = gx.data_ptr<T>();
  for_each_sample_chunk(gy.size(0), [&](int64_t b, int64_t e) {
    T* col = direct ? nullptr : scratch<T>(static_cast<size_t>(K * OHW));
    for (int64_t n = b; n < e; ++n)
      for (int64_t g = 0; g < G; ++g) {
        T* gxg = gxp + (n * G + g) * s.channels * HW;
        const MatrixRef wt = mat(wp + g * Og * K, K, Og, /*transposed=*/true);
        const MatrixRef gyg = mat(gyp + (n * G + g) * Og * OHW, Og, OHW);
        if (direct) {
          gemm(gx.scalar_type(), wt, gyg, gxg, 0, 1);
        } else {
          gemm(gx.scalar_type(), wt, gyg, col, 0, 1);
          std::fill(gxg, gxg + s.channels * HW, T(0));
          col2im_add(col, s, gxg);
        }
      }
  });
}

template <typename T>
void backward_weight_kernel(const Tensor& x, const Tensor& gy, const Tensor& gw, const Conv2dShape& s, int64_t G) {
  const int64_t N = x.size(0), Og = gw.size(0) / G, K = s.channels * s.kernel_h * s.kernel_w;
  const int64_t HW = s.height * s.width, OHW = s.out_h * s.out_w;
  const bool direct = is_direct(s);
  const T* xp = x.data_ptr<T>();
  const T* gyp = gy.data_ptr<T>();
  T* gwp = gw.data_ptr<T>();
  const int64_t wsize = gw.numel();
  // Samples are cut into a fixed number of parts, each summing into its own buffer; the
  // buffers are added in order, so the result does not depend on thread timing.
  const int64_t parts = get_num_threads() <= 1 ? 1 : std::min<int64_t>(N, 2 * get_num_threads());
  std::vector<T> partial(static_cast<size_t>(std::max<int64_t>(0, parts - 1) * wsize), T(0));
  std::fill(gwp, gwp + wsize, T(0));
  auto run = [&](int64_t pb, int64_t pe) {
    T* col = direct ? nullptr : scratch<T>(static_cast<size_t>(K * OHW));
    for (int64_t part = pb; part < pe; ++part) {
      T* acc = part == 0 ? gwp : partial.data() + (part - 1) * wsize;
      for (int64_t n = N * part / parts; n < N * (part + 1) / parts; ++n)
        for (int64_t g = 0; g < G; ++g) {
          const T* xg = xp + (n * G + g) * s.channels * HW;
          if (!direct) im2col(xg, s, col);
          gemm(gw.scalar_type(), mat(gyp + (n * G + g) * Og * OHW, Og, OHW),
               mat(direct ? xg : col, OHW, K, /*transposed=*/true), acc + g * Og * K, 1, 1);
        }
    }
  };
  if (parts == 1) run(0, 1);
  else parallel_for(0, parts, 1, run);
  for (int64_t part = 1; part < parts; ++part) {
    const T* src = partial.data() + (part - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) gwp[i] += src[i];
  }
}

// The sum of n values in 16 interleaved partial sums (vectorised without reassociation flags).
template <typename T>
T row_sum(const T* p, int64_t n) {
  T part[16] = {};
  int64_t j = 0;
  for (; j + 16 <= n; j += 16)
    for (int k = 0; k < 16; ++k) part[k] += p[j + k];
  T acc = 0;
  for (int k = 0; k < 16; ++k) acc += part[k];
  for (; j < n; ++j) acc += p[j];
  return acc;
}

}  // namespace

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& y, const Conv2dShape& s, int64_t groups) {
  NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "conv2d", [&] { forward_kernel<scalar_t>(x, w, y, s, groups); });
}

void conv2d_backward_input(const Tensor& gy, const Tensor& w, const Tensor& gx, const Conv2dShape& s,
                           int64_t groups) {
  NABLA_DISPATCH_FLOATING_TYPES(gy.scalar_type(), "conv2d_backward_input",
                                [&] { backward_input_kernel<scalar_t>(gy, w, gx, s, groups); });
}

void conv2d_backward_weight(const Tensor& x, const Tensor& gy, const Tensor& gw, const Conv2dShape& s,
                            int64_t groups) {
  NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "conv2d_backward_weight",
                                [&] { backward_weight_kernel<scalar_t>(x, gy, gw, s, groups); });
}

void add_channel_bias(const Tensor& y, const Tensor& bias) {
  const int64_t N = y.size(0), C = y.size(1), L = C == 0 ? 0 : y.numel() / std::max<int64_t>(1, N * C);
  NABLA_DISPATCH_FLOATING_TYPES(y.scalar_type(), "add_bias", [&] {
    scalar_t* yp = y.data_ptr<scalar_t>();
    const scalar_t* bp = bias.data_ptr<scalar_t>();
    parallel_for(0, N * C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, L)), [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        const scalar_t v = bp[i % C];
        scalar_t* row = yp + i * L;
        for (int64_t j = 0; j < L; ++j) row[j] += v;
      }
    });
  });
}

void sum_channels(const Tensor& g, const Tensor& out) {
  const int64_t N = g.size(0), C = g.size(1), L = C == 0 ? 0 : g.numel() / std::max<int64_t>(1, N * C);
  NABLA_DISPATCH_FLOATING_TYPES(g.scalar_type(), "bias_grad", [&] {
    const scalar_t* gp = g.data_ptr<scalar_t>();
    scalar_t* op = out.data_ptr<scalar_t>();
    parallel_for(0, C, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, N * L)), [&](int64_t lo, int64_t hi) {
      for (int64_t c = lo; c < hi; ++c) {
        scalar_t total = 0;
        for (int64_t n = 0; n < N; ++n) total += row_sum(gp + (n * C + c) * L, L);
        op[c] = total;
      }
    });
  });
}

}  // namespace nabla::kernels
