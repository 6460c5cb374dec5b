// Recurrent cells and multi-layer recurrences (torch::lstm_cell, torch::lstm, torch::gru, ...),
// composed of GEMMs and the fused gate math of nn_rnn.cpp.
//
// Note [Recurrence cost per step]
// A layer projects the whole input sequence with one GEMM ((T * B, I) x (I, G * H), both
// biases folded in where the cell allows it) and splits the result with one unbind node. Each
// step then records an addmm (the step's projection + h w_hh^T) and one fused gate node; the
// outputs are joined by one cat node. Backward through unbind and stack costs one pass over
// the sequence, not one per step.
#include <string>
#include <vector>

#include "core/internal.h"
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
  Tensor w_ih, w_hh, b_ih, b_hh, w_hr;  // w_hr: LSTM's projection (proj_size), or undefined
};

// One step of a cell from the input projection xp (input bias included).
void step(CellKind kind, const Tensor& xp, const LayerWeights& w, const Tensor& w_hh_t, Tensor& h, Tensor& c) {
  switch (kind) {
    case CellKind::Lstm:
      std::tie(h, c) = ops::lstm_gates(addmm(xp, h, w_hh_t), c);
      if (w.w_hr.defined()) h = h.mm(w.w_hr.t());
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

// The time steps of a sequence: batch_sizes[t] rows at step t (Note [Packed layout] in
// src/nn/packed_sequence.cpp); a padded batch is the case of equal sizes.
struct Steps {
  std::vector<int64_t> batch_sizes;
  bool uniform = false;
};

// The first rows of a state (c undefined stays undefined).
Tensor first_rows(const Tensor& t, int64_t rows) {
  return !t.defined() || t.size(0) == rows ? t : t.narrow(0, 0, rows);
}

// Note [Packed recurrence]
// Step t runs on the first batch_sizes[t] rows of the state. Going forward the batch shrinks:
// the rows that leave hold their sequences' final states and are kept aside, so the final
// state is the rows still running followed by the kept pieces, last kept first. Going
// backward the batch grows: it starts from the initial state's first rows and takes the
// initial state of each sequence when the sequence's last step comes.

// One direction of one layer over x (N, I), the rows of every step, or (T, B, I): the outputs of each step
// (Note [Recurrence cost per step]); h and c (LSTM only) hold the initial state and receive
// the final one (Note [Packed recurrence]).
std::vector<Tensor> run_direction(CellKind kind, const Tensor& x, const Steps& steps, const LayerWeights& w,
                                  bool reverse, Tensor& h, Tensor& c) {
  const auto T = static_cast<int64_t>(steps.batch_sizes.size());
  const Tensor rows = x.dim() == 3 ? x.reshape({x.size(0) * x.size(1), x.size(2)}) : x;
  Tensor proj = project(rows, w.w_ih, input_bias(kind, w.b_ih, w.b_hh));
  std::vector<Tensor> chunks = steps.uniform ? proj.view({T, steps.batch_sizes.front(), proj.size(1)}).unbind(0)
                                             : proj.split(steps.batch_sizes, 0);
  const Tensor w_hh_t = w.w_hh.t();
  std::vector<Tensor> out(static_cast<size_t>(T));
  if (!reverse) {
    std::vector<Tensor> done_h, done_c;
    for (int64_t t = 0; t < T; ++t) {
      const int64_t rows = steps.batch_sizes[static_cast<size_t>(t)];
      if (rows < h.size(0)) {
        done_h.push_back(h.narrow(0, rows, h.size(0) - rows));
        if (c.defined()) done_c.push_back(c.narrow(0, rows, c.size(0) - rows));
        h = h.narrow(0, 0, rows);
        c = first_rows(c, rows);
      }
      step(kind, chunks[static_cast<size_t>(t)], w, w_hh_t, h, c);
      out[static_cast<size_t>(t)] = h;
    }
    if (!done_h.empty()) {
      done_h.push_back(h);
      h = cat(std::vector<Tensor>(done_h.rbegin(), done_h.rend()), 0);
      if (c.defined()) {
        done_c.push_back(c);
        c = cat(std::vector<Tensor>(done_c.rbegin(), done_c.rend()), 0);
      }
    }
    return out;
  }
  const Tensor h0 = h, c0 = c;
  h = first_rows(h0, steps.batch_sizes.back());
  c = first_rows(c0, steps.batch_sizes.back());
  for (int64_t t = T - 1; t >= 0; --t) {
    const int64_t rows = steps.batch_sizes[static_cast<size_t>(t)], have = h.size(0);
    if (rows > have) {
      h = cat({h, h0.narrow(0, have, rows - have)}, 0);
      if (c.defined()) c = cat({c, c0.narrow(0, have, rows - have)}, 0);
    }
    step(kind, chunks[static_cast<size_t>(t)], w, w_hh_t, h, c);
    out[static_cast<size_t>(t)] = h;
  }
  return out;
}

// The shared body of lstm/gru/rnn_* over the rows x (N, I) of the given steps, or over x
// (T, B, I) when the steps are uniform (a padded batch): returns the output in the same layout
// (N or (T, B), then num_directions * H_out; made by stack and cat as PyTorch's, so that
// grad_fn names agree) and fills h_n (and c_n for LSTM). An LSTM has
// projections (proj_size) when its h and c states differ in size, as ATen decides.
Tensor run_layers(CellKind kind, const Tensor& input, const Steps& steps, const Tensor& hx, const Tensor& cx,
                  TensorList params, bool has_biases, int64_t num_layers, double dropout_p, bool train,
                  bool bidirectional, Tensor& h_n, Tensor& c_n) {
  const int64_t dirs = bidirectional ? 2 : 1;
  const bool has_proj = kind == CellKind::Lstm && hx.size(2) != cx.size(2);
  const size_t per = (has_biases ? 4 : 2) + (has_proj ? 1 : 0);
  NABLA_CHECK(params.size() == per * static_cast<size_t>(num_layers * dirs),
              "got an incorrect number of RNN parameters");
  Tensor x = input;
  std::vector<Tensor> h0 = hx.unbind(0), c0;
  if (kind == CellKind::Lstm) c0 = cx.unbind(0);
  std::vector<Tensor> hs, cs;
  for (int64_t layer = 0; layer < num_layers; ++layer) {
    std::vector<Tensor> dir_out;
    for (int64_t d = 0; d < dirs; ++d) {
      const size_t idx = static_cast<size_t>(layer * dirs + d);
      const Tensor* p = params.data() + idx * per;
      LayerWeights w{p[0], p[1], has_biases ? p[2] : Tensor(), has_biases ? p[3] : Tensor(),
                     has_proj ? p[per - 1] : Tensor()};
      Tensor h = h0[idx], c = kind == CellKind::Lstm ? c0[idx] : Tensor();
      std::vector<Tensor> out = run_direction(kind, x, steps, w, d == 1, h, c);
      dir_out.push_back(steps.uniform ? stack(out, 0) : cat(out, 0));
      hs.push_back(h);
      if (kind == CellKind::Lstm) cs.push_back(c);
    }
    x = dirs == 1 ? dir_out[0] : cat(dir_out, steps.uniform ? 2 : 1);
    if (dropout_p > 0 && train && layer + 1 < num_layers) x = nabla::dropout(x, dropout_p, train);
  }
  h_n = stack(hs, 0);
  if (kind == CellKind::Lstm) c_n = stack(cs, 0);
  return x;
}

// run_layers over a padded batch (T, B, I), or (B, T, I) when batch_first.
Tensor run_padded(CellKind kind, const Tensor& input, const Tensor& hx, const Tensor& cx, TensorList params,
                  bool has_biases, int64_t num_layers, double dropout_p, bool train, bool bidirectional,
                  bool batch_first, Tensor& h_n, Tensor& c_n) {
  NABLA_CHECK(input.dim() == 3, "input must have 3 dimensions, got ", input.dim());
  Tensor x = batch_first ? input.transpose(0, 1) : input;
  NABLA_CHECK(x.size(0) > 0, "Expected sequence length to be larger than 0 in RNN");
  const int64_t T = x.size(0), B = x.size(1);
  Steps steps{std::vector<int64_t>(static_cast<size_t>(T), B), true};
  Tensor out =
      run_layers(kind, x, steps, hx, cx, params, has_biases, num_layers, dropout_p, train, bidirectional, h_n, c_n);
  return batch_first ? out.transpose(0, 1) : out;
}

// run_layers over packed rows (N, I) with their batch sizes (1-D int64).
Tensor run_packed(CellKind kind, const Tensor& data, const Tensor& batch_sizes, const Tensor& hx, const Tensor& cx,
                  TensorList params, bool has_biases, int64_t num_layers, double dropout_p, bool train,
                  bool bidirectional, Tensor& h_n, Tensor& c_n) {
  NABLA_CHECK(data.dim() == 2, "input must have 2 dimensions, got ", data.dim());
  NABLA_CHECK(batch_sizes.dim() == 1 && batch_sizes.numel() > 0, "batch_sizes should be a 1D non-empty tensor, got ",
              batch_sizes.dim(), "D");
  Steps steps;
  int64_t rows = 0;
  for (int64_t t = 0; t < batch_sizes.numel(); ++t) {
    const auto bs = batch_sizes[t].item<int64_t>();
    NABLA_CHECK(bs > 0 && (t == 0 || bs <= steps.batch_sizes.back()),
                "batch_sizes must be positive and non-increasing, got ", bs, " at step ", t);
    steps.batch_sizes.push_back(bs);
    rows += bs;
  }
  NABLA_CHECK(rows == data.size(0), "the batch sizes add up to ", rows, " rows, but the packed data has ",
              data.size(0));
  NABLA_CHECK(hx.size(1) == steps.batch_sizes.front(), "Expected hidden size (", hx.size(0), ", ",
              steps.batch_sizes.front(), ", ", hx.size(2), "), got ", core::shape_str(hx.sizes()));
  return run_layers(kind, data, steps, hx, cx, params, has_biases, num_layers, dropout_p, train, bidirectional, h_n,
                    c_n);
}

std::tuple<Tensor, Tensor> run_single_state(CellKind kind, const Tensor& input, const Tensor& hx, TensorList params,
                                            bool has_biases, int64_t num_layers, double dropout, bool train,
                                            bool bidirectional, bool batch_first) {
  Tensor h_n, c_n;
  Tensor out = run_padded(kind, input, hx, Tensor(), params, has_biases, num_layers, dropout, train, bidirectional,
                          batch_first, h_n, c_n);
  return {out, h_n};
}

}  // namespace

std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, TensorList hx, const Tensor& w_ih, const Tensor& w_hh,
                                     const Tensor& b_ih, const Tensor& b_hh) {
  NABLA_CHECK(hx.size() == 2, "lstm_cell expects two hidden states");
  Tensor c = hx[1];
  Tensor h = cell(CellKind::Lstm, input, hx[0], c, {w_ih, w_hh, b_ih, b_hh, Tensor()});
  return {h, c};
}

Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                const Tensor& b_hh) {
  Tensor unused;
  return cell(CellKind::Gru, input, hx, unused, {w_ih, w_hh, b_ih, b_hh, Tensor()});
}

Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  Tensor unused;
  return cell(CellKind::RnnTanh, input, hx, unused, {w_ih, w_hh, b_ih, b_hh, Tensor()});
}

Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                     const Tensor& b_hh) {
  Tensor unused;
  return cell(CellKind::RnnRelu, input, hx, unused, {w_ih, w_hh, b_ih, b_hh, Tensor()});
}

std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& input, TensorList hx, TensorList params, bool has_biases,
                                        int64_t num_layers, double dropout, bool train, bool bidirectional,
                                        bool batch_first) {
  NABLA_CHECK(hx.size() == 2, "lstm expects two hidden states");
  Tensor h_n, c_n;
  Tensor out = run_padded(CellKind::Lstm, input, hx[0], hx[1], params, has_biases, num_layers, dropout, train,
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

// ---- packed sequences (torch::lstm(data, batch_sizes, ...) and its siblings) ----------------

std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& data, const Tensor& batch_sizes, TensorList hx, TensorList params,
                                        bool has_biases, int64_t num_layers, double dropout, bool train,
                                        bool bidirectional) {
  NABLA_CHECK(hx.size() == 2, "lstm expects two hidden states");
  Tensor h_n, c_n;
  Tensor out = run_packed(CellKind::Lstm, data, batch_sizes, hx[0], hx[1], params, has_biases, num_layers, dropout,
                          train, bidirectional, h_n, c_n);
  return {out, h_n, c_n};
}

namespace {

std::tuple<Tensor, Tensor> run_packed_single_state(CellKind kind, const Tensor& data, const Tensor& batch_sizes,
                                                   const Tensor& hx, TensorList params, bool has_biases,
                                                   int64_t num_layers, double dropout, bool train, bool bidirectional) {
  Tensor h_n, c_n;
  Tensor out = run_packed(kind, data, batch_sizes, hx, Tensor(), params, has_biases, num_layers, dropout, train,
                          bidirectional, h_n, c_n);
  return {out, h_n};
}

}  // namespace

std::tuple<Tensor, Tensor> gru(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx, TensorList params,
                               bool has_biases, int64_t num_layers, double dropout, bool train, bool bidirectional) {
  return run_packed_single_state(CellKind::Gru, data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
                                 bidirectional);
}

std::tuple<Tensor, Tensor> rnn_tanh(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx, TensorList params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional) {
  return run_packed_single_state(CellKind::RnnTanh, data, batch_sizes, hx, params, has_biases, num_layers, dropout,
                                 train, bidirectional);
}

std::tuple<Tensor, Tensor> rnn_relu(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx, TensorList params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional) {
  return run_packed_single_state(CellKind::RnnRelu, data, batch_sizes, hx, params, has_biases, num_layers, dropout,
                                 train, bidirectional);
}

}  // namespace nabla
