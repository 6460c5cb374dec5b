// Fused gate math of the LSTM and GRU cells: one forward kernel and one backward kernel per
// cell step over contiguous [B, k*H] rows, with the vector layer's sigmoid and tanh (Note
// [Vector layer] in src/kernels/cpu/vmath.cpp).
//
// Note [Fused cell backward]
// The forward keeps the activated gates in a workspace, so the usual backward is one pass of
// plain arithmetic. When the backward itself is recorded (create_graph, grad mode on inside
// backward), the same formulas are written with differentiable ops on the saved inputs, so
// that double backward works.
#include "ops/nn_rnn.h"

#include <algorithm>

#include "autograd/op.h"
#include "core/internal.h"
#include "kernels/cpu/elementwise.h"
#include "kernels/cpu/parallel.h"
#include "kernels/cpu/vmath.h"
#include "nabla/functions.h"

namespace nabla::ops {

using autograd::Ctx;
using autograd::variable_list;

namespace {

template <typename T>
void vec_sigmoid(T* out, const T* in, int64_t n) {
  kernels::vmath::apply(kernels::vmath::Fn::Sigmoid, in, out, n);
}
template <typename T>
void vec_tanh(T* out, const T* in, int64_t n) {
  kernels::vmath::apply(kernels::vmath::Fn::Tanh, in, out, n);
}

// Rows of a [B, k*H] problem handed to one thread at a time.
int64_t row_grain(int64_t hidden) {
  return std::max<int64_t>(1, kernels::kGrainSize / std::max<int64_t>(1, 8 * hidden));
}

template <typename T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// ---- LSTM ---------------------------------------------------------------------------------------

// ws rows: [i, f, g, o, tanh(cy)] (5H).
template <typename T>
void lstm_forward_kernel(const T* gates, const T* cx, T* hy, T* cy, T* ws, int64_t B, int64_t H) {
  kernels::parallel_for(0, B, row_grain(H), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* gr = gates + b * 4 * H;
      const T* c = cx + b * H;
      T* w = ws + b * 5 * H;
      T* cyr = cy + b * H;
      T* hyr = hy + b * H;
      vec_sigmoid(w, gr, 2 * H);
      vec_tanh(w + 2 * H, gr + 2 * H, H);
      vec_sigmoid(w + 3 * H, gr + 3 * H, H);
      for (int64_t j = 0; j < H; ++j) cyr[j] = w[H + j] * c[j] + w[j] * w[2 * H + j];
      vec_tanh(w + 4 * H, cyr, H);
      for (int64_t j = 0; j < H; ++j) hyr[j] = w[3 * H + j] * w[4 * H + j];
    }
  });
}

// gh, gc may be null (that output got no gradient).
template <typename T>
void lstm_backward_kernel(const T* gh, const T* gc, const T* cx, const T* ws, T* dgates, T* dcx, int64_t B, int64_t H) {
  kernels::parallel_for(0, B, row_grain(H), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* w = ws + b * 5 * H;
      const T* c = cx + b * H;
      T* dg = dgates + b * 4 * H;
      T* dc = dcx + b * H;
      for (int64_t j = 0; j < H; ++j) {
        const T i = w[j], f = w[H + j], g = w[2 * H + j], o = w[3 * H + j], tc = w[4 * H + j];
        const T dh = gh ? gh[b * H + j] : T(0);
        const T dct = (gc ? gc[b * H + j] : T(0)) + dh * o * (T(1) - tc * tc);
        dg[j] = dct * g * i * (T(1) - i);
        dg[H + j] = dct * c[j] * f * (T(1) - f);
        dg[2 * H + j] = dct * i * (T(1) - g * g);
        dg[3 * H + j] = dh * tc * o * (T(1) - o);
        dc[j] = dct * f;
      }
    }
  });
}

Tensor zeros_if_undefined(const Tensor& g, const Tensor& like) { return g.defined() ? g : zeros_like(like); }

// Note [Fused cell backward]: the recorded form, from the saved inputs.
variable_list lstm_backward_differentiable(const Tensor& gates, const Tensor& cx, const Tensor& gh_,
                                           const Tensor& gc_) {
  auto ch = gates.chunk(4, 1);
  Tensor i = ch[0].sigmoid(), f = ch[1].sigmoid(), g = ch[2].tanh(), o = ch[3].sigmoid();
  Tensor tc = (f * cx + i * g).tanh();
  Tensor gh = zeros_if_undefined(gh_, cx), gc = zeros_if_undefined(gc_, cx);
  Tensor dct = gc + gh * o * (1 - tc * tc);
  Tensor dgates = cat({dct * g * i * (1 - i), dct * cx * f * (1 - f), dct * i * (1 - g * g), gh * tc * o * (1 - o)}, 1);
  return {dgates, dct * f};
}

struct FusedLstmCell {
  static constexpr const char* name = "ThnnFusedLstmCellBackward0";
  std::tuple<Tensor, Tensor> forward(Ctx& ctx, const Tensor& gates_in, const Tensor& cx_in) {
    const ScalarType dt = gates_in.scalar_type();
    Tensor gates = kernels::to_dtype(gates_in, dt), cx = kernels::to_dtype(cx_in, dt);
    const int64_t B = cx.size(0), H = cx.size(1);
    Tensor hy = core::empty({B, H}, dt), cy = core::empty({B, H}, dt), ws = core::empty({B, 5 * H}, dt);
    NABLA_DISPATCH_FLOATING_TYPES(dt, "lstm_cell", [&] {
      lstm_forward_kernel<scalar_t>(gates.data_ptr<scalar_t>(), cx.data_ptr<scalar_t>(), hy.data_ptr<scalar_t>(),
                                    cy.data_ptr<scalar_t>(), ws.data_ptr<scalar_t>(), B, H);
    });
    ctx.save(gates_in, cx_in, ws);
    return {hy, cy};
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    auto saved = ctx.saved<3>();
    Tensor &gates = saved[0], &cx = saved[1], &ws = saved[2];
    if (GradMode::is_enabled()) return lstm_backward_differentiable(gates, cx, g[0], g[1]);
    const ScalarType dt = ws.scalar_type();
    const int64_t B = ws.size(0), H = ws.size(1) / 5;
    Tensor gh = g[0].defined() ? kernels::to_dtype(g[0], dt) : Tensor();
    Tensor gc = g[1].defined() ? kernels::to_dtype(g[1], dt) : Tensor();
    Tensor c = kernels::to_dtype(cx, dt);
    Tensor dgates = core::empty({B, 4 * H}, dt), dcx = core::empty({B, H}, dt);
    NABLA_DISPATCH_FLOATING_TYPES(dt, "lstm_cell_backward", [&] {
      lstm_backward_kernel<scalar_t>(ptr_or_null<scalar_t>(gh), ptr_or_null<scalar_t>(gc), c.data_ptr<scalar_t>(),
                                     ws.data_ptr<scalar_t>(), dgates.data_ptr<scalar_t>(), dcx.data_ptr<scalar_t>(), B,
                                     H);
    });
    return {dgates, dcx};
  }
};

// ---- GRU ----------------------------------------------------------------------------------------

// ws rows: [r, z, n] (3H).
template <typename T>
void gru_forward_kernel(const T* xg, const T* hg, const T* hx, T* hy, T* ws, int64_t B, int64_t H) {
  kernels::parallel_for(0, B, row_grain(H), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* x = xg + b * 3 * H;
      const T* h = hg + b * 3 * H;
      const T* hp = hx + b * H;
      T* w = ws + b * 3 * H;
      T* out = hy + b * H;
      for (int64_t j = 0; j < 2 * H; ++j) w[j] = x[j] + h[j];
      vec_sigmoid(w, w, 2 * H);
      for (int64_t j = 0; j < H; ++j) w[2 * H + j] = x[2 * H + j] + w[j] * h[2 * H + j];
      vec_tanh(w + 2 * H, w + 2 * H, H);
      for (int64_t j = 0; j < H; ++j) out[j] = (hp[j] - w[2 * H + j]) * w[H + j] + w[2 * H + j];
    }
  });
}

template <typename T>
void gru_backward_kernel(const T* gy, const T* hg, const T* hx, const T* ws, T* dxg, T* dhg, T* dhx, int64_t B,
                         int64_t H) {
  kernels::parallel_for(0, B, row_grain(H), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const T* w = ws + b * 3 * H;
      const T* hn = hg + b * 3 * H + 2 * H;
      const T* hp = hx + b * H;
      const T* g = gy + b * H;
      T* dx = dxg + b * 3 * H;
      T* dh = dhg + b * 3 * H;
      T* dp = dhx + b * H;
      for (int64_t j = 0; j < H; ++j) {
        const T r = w[j], z = w[H + j], n = w[2 * H + j];
        const T dnp = g[j] * (T(1) - z) * (T(1) - n * n);
        const T drp = dnp * hn[j] * r * (T(1) - r);
        const T dzp = g[j] * (hp[j] - n) * z * (T(1) - z);
        dx[j] = dh[j] = drp;
        dx[H + j] = dh[H + j] = dzp;
        dx[2 * H + j] = dnp;
        dh[2 * H + j] = dnp * r;
        dp[j] = g[j] * z;
      }
    }
  });
}

// Note [Fused cell backward]: the recorded form, from the saved inputs.
variable_list gru_backward_differentiable(const Tensor& xg, const Tensor& hg, const Tensor& hx, const Tensor& g) {
  auto x = xg.chunk(3, 1), h = hg.chunk(3, 1);
  Tensor r = (x[0] + h[0]).sigmoid(), z = (x[1] + h[1]).sigmoid();
  Tensor n = (x[2] + r * h[2]).tanh();
  Tensor dnp = g * (1 - z) * (1 - n * n);
  Tensor drp = dnp * h[2] * r * (1 - r);
  Tensor dzp = g * (hx - n) * z * (1 - z);
  return {cat({drp, dzp, dnp}, 1), cat({drp, dzp, dnp * r}, 1), g * z};
}

struct FusedGruCell {
  static constexpr const char* name = "ThnnFusedGruCellBackward0";
  Tensor forward(Ctx& ctx, const Tensor& xg_in, const Tensor& hg_in, const Tensor& hx_in) {
    const ScalarType dt = xg_in.scalar_type();
    Tensor xg = kernels::to_dtype(xg_in, dt), hg = kernels::to_dtype(hg_in, dt), hx = kernels::to_dtype(hx_in, dt);
    const int64_t B = hx.size(0), H = hx.size(1);
    Tensor hy = core::empty({B, H}, dt), ws = core::empty({B, 3 * H}, dt);
    NABLA_DISPATCH_FLOATING_TYPES(dt, "gru_cell", [&] {
      gru_forward_kernel<scalar_t>(xg.data_ptr<scalar_t>(), hg.data_ptr<scalar_t>(), hx.data_ptr<scalar_t>(),
                                   hy.data_ptr<scalar_t>(), ws.data_ptr<scalar_t>(), B, H);
    });
    ctx.save(xg_in, hg_in, hx_in, ws);
    return hy;
  }
  variable_list backward(Ctx& ctx, const variable_list& g) {
    if (!g[0].defined()) return {Tensor(), Tensor(), Tensor()};
    auto saved = ctx.saved<4>();
    Tensor &xg = saved[0], &hg = saved[1], &hx = saved[2], &ws = saved[3];
    if (GradMode::is_enabled()) return gru_backward_differentiable(xg, hg, hx, g[0]);
    const ScalarType dt = ws.scalar_type();
    const int64_t B = ws.size(0), H = ws.size(1) / 3;
    Tensor gy = kernels::to_dtype(g[0], dt), h = kernels::to_dtype(hg, dt), hp = kernels::to_dtype(hx, dt);
    Tensor dxg = core::empty({B, 3 * H}, dt), dhg = core::empty({B, 3 * H}, dt), dhx = core::empty({B, H}, dt);
    NABLA_DISPATCH_FLOATING_TYPES(dt, "gru_cell_backward", [&] {
      gru_backward_kernel<scalar_t>(gy.data_ptr<scalar_t>(), h.data_ptr<scalar_t>(), hp.data_ptr<scalar_t>(),
                                    ws.data_ptr<scalar_t>(), dxg.data_ptr<scalar_t>(), dhg.data_ptr<scalar_t>(),
                                    dhx.data_ptr<scalar_t>(), B, H);
    });
    return {dxg, dhg, dhx};
  }
};

}  // namespace

std::tuple<Tensor, Tensor> lstm_gates(const Tensor& gates, const Tensor& cx) {
  return autograd::apply<FusedLstmCell>(gates, cx);
}

Tensor gru_gates(const Tensor& xg, const Tensor& hg, const Tensor& hx) {
  return autograd::apply<FusedGruCell>(xg, hg, hx);
}

}  // namespace nabla::ops
