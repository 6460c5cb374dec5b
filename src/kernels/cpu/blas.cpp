#include "kernels/cpu/blas.h"

#include <cblas.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <climits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "nabla/error.h"

namespace nabla::kernels {

namespace {

// How a matrix can be handed to BLAS in row-major calls: as it is (ld = row stride), as the
// transpose of a row-major matrix (ld = column stride), or not at all (it must be packed).
struct BlasLayout {
  bool usable;
  bool transposed;
  int64_t ld;
};

BlasLayout layout_of(const MatrixRef& m) {
  // A stride along a dimension of size 1 is never followed, so it does not constrain the layout.
  const bool unit_cols = m.cols <= 1 || m.col_stride == 1;
  const int64_t row_ld = m.rows <= 1 ? std::max<int64_t>(1, m.cols) : m.row_stride;
  if (unit_cols && row_ld >= std::max<int64_t>(1, m.cols) && row_ld <= INT_MAX) return {true, false, row_ld};
  const bool unit_rows = m.rows <= 1 || m.row_stride == 1;
  const int64_t col_ld = m.cols <= 1 ? std::max<int64_t>(1, m.rows) : m.col_stride;
  if (unit_rows && col_ld >= std::max<int64_t>(1, m.rows) && col_ld <= INT_MAX) return {true, true, col_ld};
  return {false, false, 0};
}

template <typename T>
T at(const MatrixRef& m, int64_t i, int64_t j) {
  return static_cast<const T*>(m.data)[i * m.row_stride + j * m.col_stride];
}

// Packs m into `buf` row-major and returns a view of it.
template <typename T>
MatrixRef pack(const MatrixRef& m, std::vector<T>& buf) {
  buf.resize(static_cast<size_t>(m.rows * m.cols));
  for (int64_t i = 0; i < m.rows; ++i)
    for (int64_t j = 0; j < m.cols; ++j) buf[static_cast<size_t>(i * m.cols + j)] = at<T>(m, i, j);
  return {buf.data(), m.rows, m.cols, m.cols, 1};
}

// Note [float32 GEMM]
// float32 products go to oneDNN's dnnl_sgemm: on the development machine (AVX-512, with
// OpenBLAS held to its AVX2 kernels by OPENBLAS_CORETYPE=Haswell) it runs at 176-231 GFLOPS on
// one core against OpenBLAS's ~105. oneDNN threads through OpenMP; every thread that calls it
// is held to one OpenMP thread, so that nabla's pool is the only source of parallelism
// (Note [Thread pool]). float64 stays on OpenBLAS.
void blas_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb,
               float beta, float* c, int ldc) {
  thread_local const bool single = (omp_set_num_threads(1), true);
  (void)single;
  const dnnl_status_t st =
      dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  NABLA_CHECK(st == dnnl_success, "mm: oneDNN sgemm failed (status ", static_cast<int>(st), ")");
}
void blas_gemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, int lda, const double* b, int ldb,
               double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b,
              ldb, beta, c, ldc);
}

// Note [Threaded GEMM]
// OpenBLAS runs single-threaded (see set_num_threads): its own threads sleep between calls,
// and waking them costs more than a small GEMM of a training step (an epoch of a 64-batch MLP
// got 3x slower with 2 OpenBLAS threads on a 2-core VM). Instead a large enough product is cut
// into one block of C per thread — rows of C when C is taller than wide, columns otherwise —
// and each block is one single-threaded BLAS call on nabla's OpenMP threads, which spin
// briefly between parallel regions and so hand over work within microseconds.
constexpr int64_t kGemmSplitWork = int64_t{1} << 18;  // multiply-adds below which one thread runs

template <typename T>
void gemm_blocks(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                 const T* b, int64_t ldb, T beta, T* c) {
  const int threads = get_num_threads();
  const bool split_rows = m >= n;
  const int64_t extent = split_rows ? m : n;
  // Blocks of whole 16-element groups keep each thread's C columns vector-aligned.
  const int64_t unit = split_rows ? 1 : 16;
  const int64_t units = (extent + unit - 1) / unit;
  const int64_t chunks = std::min<int64_t>(threads, units);
  if (threads <= 1 || chunks <= 1 || m * n * k < kGemmSplitWork) {
    blas_gemm(ta, tb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(n));
    return;
  }
  parallel_for(0, chunks, 1, [&](int64_t cb, int64_t ce) {
    for (int64_t ch = cb; ch < ce; ++ch) {
      const int64_t lo = std::min(extent, units * ch / chunks * unit);
      const int64_t hi = std::min(extent, units * (ch + 1) / chunks * unit);
      if (lo >= hi) continue;
      if (split_rows) {
        // Rows lo..hi of op(a): a is [m, k] (row i at a + i*lda) or, transposed, [k, m].
        const T* ap = ta ? a + lo : a + lo * lda;
        blas_gemm(ta, tb, static_cast<int>(hi - lo), static_cast<int>(n), static_cast<int>(k), alpha, ap,
                  static_cast<int>(lda), b, static_cast<int>(ldb), beta, c + lo * n, static_cast<int>(n));
      } else {
        // Columns lo..hi of op(b): b is [k, n] or, transposed, [n, k] (column j at b + j*ldb).
        const T* bp = tb ? b + lo * ldb : b + lo;
        blas_gemm(ta, tb, static_cast<int>(m), static_cast<int>(hi - lo), static_cast<int>(k), alpha, a,
                  static_cast<int>(lda), bp, static_cast<int>(ldb), beta, c + lo, static_cast<int>(n));
      }
    }
  });
}

template <typename T>
void gemm_floating(MatrixRef a, MatrixRef b, T* c, T beta, T alpha) {
  const int64_t m = a.rows, n = b.cols, k = a.cols;
  if (m == 0 || n == 0) return;
  if (beta == T(0)) std::fill(c, c + m * n, T(0));  // c may hold NaN: it must not be read
  if (k == 0) {
    if (beta != T(0))
      for (int64_t i = 0; i < m * n; ++i) c[i] *= beta;
    return;
  }
  NABLA_CHECK(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX, "matrix dimensions exceed the BLAS int range");
  std::vector<T> abuf, bbuf;
  BlasLayout la = layout_of(a);
  if (!la.usable) {
    a = pack(a, abuf);
    la = {true, false, a.cols};
  }
  BlasLayout lb = layout_of(b);
  if (!lb.usable) {
    b = pack(b, bbuf);
    lb = {true, false, b.cols};
  }
  gemm_blocks(la.transposed, lb.transposed, m, n, k, alpha, static_cast<const T*>(a.data), la.ld,
              static_cast<const T*>(b.data), lb.ld, beta, c);
}

// Integer products wrap on overflow (computed in the unsigned type of the same width).
template <typename T>
void gemm_integral(const MatrixRef& a, const MatrixRef& b, T* c, T beta, T alpha) {
  using U = std::make_unsigned_t<T>;
  const int64_t m = a.rows, n = b.cols, k = a.cols;
  const int64_t work = std::max<int64_t>(1, n * std::max<int64_t>(1, k));
  parallel_for(0, m, std::max<int64_t>(1, kGrainSize / work), [&](int64_t rb, int64_t re) {
    std::vector<U> acc(static_cast<size_t>(n));
    for (int64_t i = rb; i < re; ++i) {
      std::fill(acc.begin(), acc.end(), U(0));
      for (int64_t p = 0; p < k; ++p) {
        const U av = static_cast<U>(at<T>(a, i, p));
        for (int64_t j = 0; j < n; ++j)
          acc[static_cast<size_t>(j)] += static_cast<U>(av * static_cast<U>(at<T>(b, p, j)));
      }
      T* row = c + i * n;
      for (int64_t j = 0; j < n; ++j) {
        const U scaled = static_cast<U>(static_cast<U>(alpha) * acc[static_cast<size_t>(j)]);
        const U old = beta == T(0) ? U(0) : static_cast<U>(static_cast<U>(beta) * static_cast<U>(row[j]));
        row[j] = static_cast<T>(static_cast<U>(old + scaled));
      }
    }
  });
}

template <typename T>
T dot_loop(int64_t n, const T* x, int64_t incx, const T* y, int64_t incy) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    U s = 0;
    for (int64_t i = 0; i < n; ++i)
      s = static_cast<U>(s + static_cast<U>(static_cast<U>(x[i * incx]) * static_cast<U>(y[i * incy])));
    return static_cast<T>(s);
  } else {
    T s = 0;
    for (int64_t i = 0; i < n; ++i) s += x[i * incx] * y[i * incy];
    return s;
  }
}

}  // namespace

void gemm(ScalarType dtype, const MatrixRef& a, const MatrixRef& b, void* c, const Scalar& beta, const Scalar& alpha) {
  switch (dtype) {
    case kFloat: return gemm_floating<float>(a, b, static_cast<float*>(c), beta.to<float>(), alpha.to<float>());
    case kDouble: return gemm_floating<double>(a, b, static_cast<double*>(c), beta.to<double>(), alpha.to<double>());
    case kByte: return gemm_integral<uint8_t>(a, b, static_cast<uint8_t*>(c), beta.to<uint8_t>(), alpha.to<uint8_t>());
    case kInt: return gemm_integral<int32_t>(a, b, static_cast<int32_t*>(c), beta.to<int32_t>(), alpha.to<int32_t>());
    case kLong: return gemm_integral<int64_t>(a, b, static_cast<int64_t*>(c), beta.to<int64_t>(), alpha.to<int64_t>());
    default: break;
  }
  throw Error("gemm: unsupported dtype");
}

void dot(ScalarType dtype, int64_t n, const void* x, int64_t incx, const void* y, int64_t incy, void* out) {
  const bool blas_ok = n <= INT_MAX && incx > 0 && incy > 0 && incx <= INT_MAX && incy <= INT_MAX;
  switch (dtype) {
    case kFloat: {
      auto px = static_cast<const float*>(x), py = static_cast<const float*>(y);
      *static_cast<float*>(out) =
          blas_ok ? cblas_sdot(static_cast<int>(n), px, static_cast<int>(incx), py, static_cast<int>(incy))
                  : dot_loop(n, px, incx, py, incy);
      return;
    }
    case kDouble: {
      auto px = static_cast<const double*>(x), py = static_cast<const double*>(y);
      *static_cast<double*>(out) =
          blas_ok ? cblas_ddot(static_cast<int>(n), px, static_cast<int>(incx), py, static_cast<int>(incy))
                  : dot_loop(n, px, incx, py, incy);
      return;
    }
    case kByte:
      *static_cast<uint8_t*>(out) =
          dot_loop(n, static_cast<const uint8_t*>(x), incx, static_cast<const uint8_t*>(y), incy);
      return;
    case kInt:
      *static_cast<int32_t*>(out) =
          dot_loop(n, static_cast<const int32_t*>(x), incx, static_cast<const int32_t*>(y), incy);
      return;
    case kLong:
      *static_cast<int64_t*>(out) =
          dot_loop(n, static_cast<const int64_t*>(x), incx, static_cast<const int64_t*>(y), incy);
      return;
    default: break;
  }
  throw Error("dot: unsupported dtype");
}

namespace {
MatrixRef matrix_of(const Tensor& t) {
  if (t.dim() == 1) return {t.data_ptr(), t.size(0), 1, t.stride(0), 1};
  return {t.data_ptr(), t.size(0), t.size(1), t.stride(0), t.stride(1)};
}
}  // namespace

void mm(const Tensor& a, const Tensor& b, const Tensor& out, const Scalar& beta, const Scalar& alpha) {
  gemm(a.scalar_type(), matrix_of(a), matrix_of(b), out.data_ptr(), beta, alpha);
}

void bmm(const Tensor& a, const Tensor& b, const Tensor& out) {
  const int64_t es = static_cast<int64_t>(a.element_size());
  const int64_t out_step = out.size(1) * out.size(2) * es;
  for (int64_t i = 0; i < a.size(0); ++i) {
    const MatrixRef ai{static_cast<const char*>(a.data_ptr()) + i * a.stride(0) * es, a.size(1), a.size(2), a.stride(1),
                       a.stride(2)};
    const MatrixRef bi{static_cast<const char*>(b.data_ptr()) + i * b.stride(0) * es, b.size(1), b.size(2), b.stride(1),
                       b.stride(2)};
    gemm(a.scalar_type(), ai, bi, static_cast<char*>(out.data_ptr()) + i * out_step, 0, 1);
  }
}

void dot(const Tensor& a, const Tensor& b, const Tensor& out) {
  dot(a.scalar_type(), a.numel(), a.data_ptr(), a.stride(0), b.data_ptr(), b.stride(0), out.data_ptr());
}

}  // namespace nabla::kernels
