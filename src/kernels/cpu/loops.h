#pragma once
// Strided N-ary loops over tensors with broadcasting: the engine under every elementwise
// kernel. Operands are viewed in the output's shape (broadcast dims get stride 0), adjacent
// dims that are contiguous for every operand are merged, and the innermost run is handed to
// a plain loop that the compiler vectorises when all strides are the element size.
#include <array>
#include <cstring>

#include "core/internal.h"
#include "kernels/cpu/parallel.h"

namespace nabla::kernels {

/// t's elements as T, or nullptr for an undefined tensor (an optional weight or bias).
template <typename T>
const T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

template <size_t N>
struct StridedIter {
  DimVector shape;                       // merged iteration shape
  std::array<DimVector, N> strides;      // byte strides per operand, in the merged shape
  std::array<char*, N> base;
  int64_t numel = 1;

  // ops[0] is the output (its shape is the iteration shape); the others broadcast to it.
  StridedIter(const std::array<const Tensor*, N>& ops) {
    IntArrayRef out_shape = ops[0]->sizes();
    const size_t nd = out_shape.size();
    std::array<DimVector, N> st;
    for (size_t k = 0; k < N; ++k) {
      const Tensor& t = *ops[k];
      base[k] = static_cast<char*>(t.data_ptr());
      st[k].resize(nd, 0);
      const int64_t es = static_cast<int64_t>(t.element_size());
      const size_t lead = nd - static_cast<size_t>(t.dim());
      for (size_t d = 0; d < static_cast<size_t>(t.dim()); ++d)
        st[k][lead + d] = t.size(static_cast<int64_t>(d)) == 1 ? 0 : t.stride(static_cast<int64_t>(d)) * es;
    }
    // Merge dims, innermost first; drop size-1 dims.
    for (size_t d = nd; d-- > 0;) {
      int64_t sz = out_shape[d];
      numel *= sz;
      if (sz == 1) continue;
      if (!shape.empty()) {
        bool merge = true;
        for (size_t k = 0; k < N; ++k)
          if (st[k][d] != strides[k].back() * shape.back()) merge = false;
        if (merge) {
          shape.back() *= sz;
          continue;
        }
      }
      shape.push_back(sz);
      for (size_t k = 0; k < N; ++k) strides[k].push_back(st[k][d]);
    }
    if (shape.empty()) {  // a single element
      shape.push_back(1);
      for (size_t k = 0; k < N; ++k) strides[k].push_back(0);
    }
    // shape/strides are now innermost-first.
  }

  // fn(std::array<char*, N> ptrs, std::array<int64_t, N> inner_strides, int64_t n)
  template <typename F>
  void run(F&& fn, int64_t grain = kGrainSize) const {
    if (numel == 0) return;
    const int64_t inner = shape[0];
    const int64_t rows = numel / inner;
    std::array<int64_t, N> istr;
    for (size_t k = 0; k < N; ++k) istr[k] = strides[k][0];
    if (rows == 1) {
      parallel_for(0, inner, grain, [&](int64_t b, int64_t e) {
        std::array<char*, N> p;
        for (size_t k = 0; k < N; ++k) p[k] = base[k] + b * istr[k];
        fn(p, istr, e - b);
      });
      return;
    }
    parallel_for(0, rows, std::max<int64_t>(1, grain / inner), [&](int64_t rb, int64_t re) {
      for (int64_t r = rb; r < re; ++r) {
        std::array<char*, N> p = base;
        int64_t rem = r;
        for (size_t d = 1; d < shape.size() && rem; ++d) {
          int64_t i = rem % shape[d];
          rem /= shape[d];
          for (size_t k = 0; k < N; ++k) p[k] += i * strides[k][d];
        }
        fn(p, istr, inner);
      }
    });
  }
};

// Elementwise kernels: out[i] = f(in...[i]) with out of type R and inputs of type T.
// Fast paths shared by the loops: a single element, or operands that are all contiguous with
// the output's shape (no iterator set-up at all; GUIDE §3's per-op overhead).
inline bool same_contiguous(const Tensor& out, const Tensor& a) {
  return a.is_contiguous() && a.sizes() == out.sizes();
}

template <typename R, typename T, typename F>
void unary_loop(const Tensor& out, const Tensor& a, F f) {
  if (out.numel() == 1) {
    *static_cast<R*>(out.data_ptr()) = f(*static_cast<const T*>(a.data_ptr()));
    return;
  }
  if (out.is_contiguous() && same_contiguous(out, a)) {
    R* o = static_cast<R*>(out.data_ptr());
    const T* x = static_cast<const T*>(a.data_ptr());
    parallel_for(0, out.numel(), kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(x[i]);
    });
    return;
  }
  StridedIter<2> it({&out, &a});
  it.run([&](std::array<char*, 2> p, std::array<int64_t, 2> s, int64_t n) {
    R* o = reinterpret_cast<R*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    if (s[0] == sizeof(R) && s[1] == sizeof(T)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i]);
    } else if (s[0] == sizeof(R) && s[1] == 0) {
      const R v = f(x[0]);
      for (int64_t i = 0; i < n; ++i) o[i] = v;
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<R*>(p[0] + i * s[0]) = f(*reinterpret_cast<const T*>(p[1] + i * s[1]));
    }
  });
}

template <typename R, typename T, typename F>
void binary_loop(const Tensor& out, const Tensor& a, const Tensor& b, F f) {
  if (out.numel() == 1) {
    *static_cast<R*>(out.data_ptr()) = f(*static_cast<const T*>(a.data_ptr()), *static_cast<const T*>(b.data_ptr()));
    return;
  }
  if (out.is_contiguous() && same_contiguous(out, a) && same_contiguous(out, b)) {
    R* o = static_cast<R*>(out.data_ptr());
    const T* x = static_cast<const T*>(a.data_ptr());
    const T* y = static_cast<const T*>(b.data_ptr());
    parallel_for(0, out.numel(), kGrainSize, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) o[i] = f(x[i], y[i]);
    });
    return;
  }
  StridedIter<3> it({&out, &a, &b});
  it.run([&](std::array<char*, 3> p, std::array<int64_t, 3> s, int64_t n) {
    R* o = reinterpret_cast<R*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    const T* y = reinterpret_cast<const T*>(p[2]);
    if (s[0] == sizeof(R) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
    } else if (s[0] == sizeof(R) && s[1] == sizeof(T) && s[2] == 0) {
      const T yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], yv);
    } else if (s[0] == sizeof(R) && s[1] == 0 && s[2] == sizeof(T)) {
      const T xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = f(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<R*>(p[0] + i * s[0]) =
            f(*reinterpret_cast<const T*>(p[1] + i * s[1]), *reinterpret_cast<const T*>(p[2] + i * s[2]));
    }
  });
}

// out[i] = f(a[i], b[i], c[i]) with inputs of types A, B, C (e.g. where: bool, T, T).
template <typename R, typename A, typename B, typename C, typename F>
void ternary_loop(const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
  StridedIter<4> it({&out, &a, &b, &c});
  it.run([&](std::array<char*, 4> p, std::array<int64_t, 4> s, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
      *reinterpret_cast<R*>(p[0] + i * s[0]) =
          f(*reinterpret_cast<const A*>(p[1] + i * s[1]), *reinterpret_cast<const B*>(p[2] + i * s[2]),
            *reinterpret_cast<const C*>(p[3] + i * s[3]));
  });
}

}  // namespace nabla::kernels
