// Recurrent cells and multi-layer recurrences (torch::lstm_cell, torch::lstm, torch::gru, ...),
// composed of GEMMs and the fused gate math of nn_rnn.cpp.
//
// Note [Recurrence cost per step]
// A layer projects the whole input sequence with one GEMM ((T * B, I) x (I, G * H), both
// biases folded in where the cell allows it) and splits the result with one unbind node. Each
// step then records an addmm (the step's projection + h w_hh^T) and one fused gate node; the
// outputs are joined by one stack node. Backward through unbind and stack costs one pass over
// the sequence, not one per step.
#include <string>
#include <vector>

#include "nabla/functions.h"
#include "nabla/nn/functional/dropout.h"
#include "nabla/nn/functional/rnn.h"
#include "ops/nn_rnn.h"

namespace nabla {

namespace {

enum class CellKind { Lstm, Gru, RnnTanh, RnnRelu };

void check_cell_input(const Tensor& input, const Tensor& w_ih) {
  NABLA_CHECK(input.size(1) == w_ih.size(1), "input has inconsistent input_size: got ", input.size(1), " expected ",
              w_ih.size(1));
}

void check_cell_hidden(const Tensor& input, const Tensor& hx, int64_t hidden_size, int label) {
  NABLA_CHECK(input.size(0) == hx.size(0), "Input batch size ", input.size(0), " doesn't match hidden", label,
              " batch size ", hx.size(0));
  NABLA_CHECK(hx.size(1) == hidden_size, "hidden", label, " has inconsistent hidden_size: got ", hx.size(1),
              ", expected ", hidden_size);
}

// x w^T + b as one GEMM (b undefined: no bias).
Tensor project(const Tensor& x, const Tensor& w, const Tensor& b) {
  return b.defined() ? addmm(b, x, w.t()) : x.mm(w.t());
}

// The bias added to the input projection: both biases for cells whose hidden projection is
// not gated separately (all but GRU).
Tensor input_bias(CellKind kind, const Tensor& b_ih, const Tensor& b_hh) {
  if (!b_ih.defined() || kind == CellKind::Gru) return b_ih;
  return b_ih + b_hh;
}

struct LayerWeights {
  Tensor w_ih, w_hh, b_ih, b_hh;
};

// One step of a cell from the input projection xp (input bias included).
void step(CellKind kind, const Tensor& xp, const LayerWeights& w, const Tensor& w_hh_t, Tensor& h, Tensor& c) {
  switch (kind) {
    case CellKind::Lstm:
      std::tie(h, c) = ops::lstm_gates(addmm(xp, h, w_hh_t), c);
      break;
    case CellKind::Gru:
      h = ops::gru_gates(xp, w.b_hh.defined() ? addmm(w.b_hh, h, w_hh_t) : h.mm(w_hh_t), h);
      break;
    case CellKind::RnnTanh:
      h = addmm(xp, h, w_hh_t).tanh();
      break;
    case CellKind::RnnRelu:
      h = addmm(xp, h, w_hh_t).relu();
      break;
  }
}

Tensor cell(CellKind kind, const Tensor& input, const Tensor& hx, Tensor& cx, const LayerWeights& w) {
  check_cell_input(input, w.w_ih);
  check_cell_hidden(input, hx, w.w_hh.size(1), 0);
  // PyTorch labels the cell state "hidden0" too.
  if (kind == CellKind::Lstm) check_cell_hidden(input, cx, w.w_hh.size(1), 0);
  Tensor h = hx;
  step(kind, project(input, w.w_ih, input_bias(kind, w.b_ih, w.b_hh)), w, w.w_hh.t(), h, cx);
  return h;
}

// One direction of one layer over x (T, B, I): the outputs in time order (Note [Recurrence
// cost per step]); h and c (LSTM only) hold the initial state and receive the final one.
std::vector<Tensor> run_direction(CellKind kind, const Tensor& x, const LayerWeights& w, bool reverse, Tensor& h,
                                  Tensor& c) {
  const int64_t T = x.size(0), B = x.size(1);
  Tensor proj = project(x.reshape({T * B, x.size(2)}), w.w_ih, input_bias(kind, w.b_ih, w.b_hh));
  std::vector<Tensor> steps = proj.view({T, B, proj.size(1)}).unbind(0);
  const Tensor w_hh_t = w.w_hh.t();
  std::vector<Tensor> out(static_cast<size_t>(T));
  for (int64_t s = 0; s < T; ++s) {
    const auto t = static_cast<size_t>(reverse ? T - 1 - s : s);
    step(kind, steps[t], w, w_hh_t, h, c);
    out[t] = h;
  }
  return out;
}

// The shared body of lstm/gru/rnn_*: returns output and fills h_n (and c_n for LSTM).
Tensor run_layers(CellKind kind, const Tensor& input, const Tensor& hx, const Tensor& cx, TensorList params,
                  bool has_biases, int64_t num_layers, double dropout_p, bool train, bool bidirectional,
                  bool batch_first, Tensor& h_n, Tensor& c_n) {
  const int64_t dirs = bidirectional ? 2 : 1;
  const size_t per = has_biases ? 4 : 2;
  NABLA_CHECK(params.size() == per * static_cast<size_t>(num_layers * dirs),
              "got an incorrect number of RNN parameters");
  NABLA_CHECK(input.dim() == 3, "input must have 3 dimensions, got ", input.dim());
  Tensor x = batch_first ? input.transpose(0, 1) : input;
  NABLA_CHECK(x.size(0) > 0, "Expected sequence length to be larger than 0 in RNN");
  std::vector<Tensor> h0 = hx.unbind(0), c0;
  if (kind == CellKind::Lstm) c0 = cx.unbind(0);
  std::vector<Tensor> hs, cs;
  for (int64_t layer = 0; layer < num_layers; ++layer) {
    std::vector<Tensor> dir_out;
    for (int64_t d = 0; d < dirs; ++d) {
      const size_t idx = static_cast<size_t>(layer * dirs + d);
      const Tensor* p = params.data() + idx * per;
      LayerWeights w{p[0], p[1], has_biases ? p[2] : Tensor(), has_biases ? p[3] : Tensor()};
      Tensor h = h0[idx], c = kind == CellKind::Lstm ? c0[idx] : Tensor();
      dir_out.push_back(stack(run_direction(kind, x, w, d == 1, h, c), 0));
      hs.push_back(h);
      if (kind == CellKind::Lstm) cs.push_back(c);
    }
    x = dirs == 1 ? dir_out[0] : cat(dir_out, 2);
    if (dropout_p > 0 && train && layer + 1 < num_layers) x = nabla::dropout(x, dropout_p, train);
  }
  h_n = stack(hs, 0);
  if (kind == CellKind::Lstm) c_n = stack(cs, 0);
  return batch_first ? x.transpose(0, 1) : x;
}

std::tuple<Tensor, Tensor> run_single_state(CellKind kind, const Tensor& input, const Tensor& hx, TensorList params,
                                            bool has_biases, int64_t num_layers, double dropout, bool train,
                                            bool bidirectional, bool batch_first) {
  Tensor h_n, c_n;
  Tensor out = run_layers(kind, input, hx, Tensor(), params, has_biases, num_layers, dropout, train, bidirectional,
                          batch_first, h_n, c_n);
  return {out, h_n};
}

}  // namespace

std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, TensorList hx, const Tensor& w_ih, const Tensor& w_hh,
                                     const Tensor& b_ih, const Tensor& b_hh) {
  NABLA_CHECK(hx.size() == 2, "lstm_cell expects two hidden states");
  Tensor c = hx[1];
  Tensor h = cell(CellKind::Lstm, input, hx[0], c, {w_ih, w_hh, b_ih, b_hh});
  return {h, c};
}

Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh) {
  Tensor unused;
  return cell(CellKind::Gru, input, hx, unused, {w_ih, w_hh, b_ih, b_hh});
}

Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  Tensor unused;
  return cell(CellKind::RnnTanh, input, hx, unused, {w_ih, w_hh, b_ih, b_hh});
}

Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  Tensor unused;
  return cell(CellKind::RnnRelu, input, hx, unused, {w_ih, w_hh, b_ih, b_hh});
}

std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& input, TensorList hx, TensorList params, bool has_biases,
                                        int64_t num_layers, double dropout, bool train, bool bidirectional,
                                        bool batch_first) {
  NABLA_CHECK(hx.size() == 2, "lstm expects two hidden states");
  Tensor h_n, c_n;
  Tensor out = run_layers(CellKind::Lstm, input, hx[0], hx[1], params, has_biases, num_layers, dropout, train,
                          bidirectional, batch_first, h_n, c_n);
  return {out, h_n, c_n};
}

std::tuple<Tensor, Tensor> gru(const Tensor& input, const Tensor& hx, TensorList params, bool has_biases,
                               int64_t num_layers, double dropout, bool train, bool bidirectional, bool batch_first) {
  return run_single_state(CellKind::Gru, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
                          batch_first);
}

std::tuple<Tensor, Tensor> rnn_tanh(const Tensor& input, const Tensor& hx, TensorList params, bool has_biases,
                                    int64_t num_layers, double dropout, bool train, bool bidirectional,
                                    bool batch_first) {
  return run_single_state(CellKind::RnnTanh, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
                          batch_first);
}

std::tuple<Tensor, Tensor> rnn_relu(const Tensor& input, const Tensor& hx, TensorList params, bool has_biases,
                                    int64_t num_layers, double dropout, bool train, bool bidirectional,
                                    bool batch_first) {
  return run_single_state(CellKind::RnnRelu, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
                          batch_first);
}

}  // namespace nabla
