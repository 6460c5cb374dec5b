#pragma once
// Fused gate math of the recurrent cells (src/ops/nn_rnn.cpp), used by the cell functions
// and the sequence loops of LSTM/GRU. The matrix products stay outside (one GEMM each).
#include <tuple>

#include "nabla/tensor.h"

namespace nabla::ops {

/// LSTM gate math: gates = x W_ih^T + b_ih + h W_hh^T + b_hh ([B, 4H], PyTorch's order
/// i, f, g, o), cx [B, H] → (hy, cy). One node (ThnnFusedLstmCellBackward0).
std::tuple<Tensor, Tensor> lstm_gates(const Tensor& gates, const Tensor& cx);

/// GRU gate math: xg = x W_ih^T + b_ih, hg = h W_hh^T + b_hh ([B, 3H], order r, z, n),
/// hx [B, H] → hy = (1 - z) * n + z * hx with n = tanh(xg_n + r * hg_n). One node
/// (ThnnFusedGruCellBackward0).
Tensor gru_gates(const Tensor& xg, const Tensor& hg, const Tensor& hx);

}  // namespace nabla::ops
