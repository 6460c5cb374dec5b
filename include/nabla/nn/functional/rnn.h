#pragma once
/// Recurrent cells and multi-layer recurrences as functions, in ATen's spelling (torch::lstm,
/// torch::lstm_cell, ...). The nn modules (nn::LSTM, nn::GRU, nn::RNN and their cells) call
/// these with their parameters.
///   auto [h1, c1] = nabla::lstm_cell(x, {h0, c0}, w_ih, w_hh, b_ih, b_hh);
///
/// Weights follow PyTorch's layout: w_ih is (G * hidden_size, input_size) and w_hh is
/// (G * hidden_size, hidden_size), with G = 4 (LSTM gates i, f, g, o), 3 (GRU gates r, z, n)
/// or 1 (Elman RNN). Biases are optional (undefined tensors).
#include <cstdint>
#include <tuple>

#include "nabla/tensor.h"

namespace nabla {

/// One LSTM step: input (B, input_size), hx = {h (B, H), c (B, H)}; returns (h', c').
std::tuple<Tensor, Tensor> lstm_cell(const Tensor& input, TensorList hx, const Tensor& w_ih, const Tensor& w_hh,
                                     const Tensor& b_ih = {}, const Tensor& b_hh = {});
/// One GRU step: input (B, input_size), hx (B, H); returns h'.
Tensor gru_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih = {},
                const Tensor& b_hh = {});
/// One Elman RNN step with tanh: h' = tanh(x w_ih^T + b_ih + h w_hh^T + b_hh).
Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih = {}, const Tensor& b_hh = {});
/// One Elman RNN step with relu.
Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const Tensor& w_ih, const Tensor& w_hh,
                     const Tensor& b_ih = {}, const Tensor& b_hh = {});

/// A multi-layer LSTM over a 3-D input (T, B, input_size), or (B, T, input_size) when
/// batch_first. hx = {h0, c0}, each (num_layers * num_directions, B, H). params holds, per
/// layer and direction (forward first), w_ih, w_hh and, when has_biases, b_ih, b_hh.
/// dropout applies to the outputs of every layer but the last when train.
/// Returns (output, h_n, c_n); output's last dim is num_directions * H. With projections
/// (nn::LSTMOptions::proj_size) h0 is (..., proj_size), params add w_hr after the biases and
/// output's last dim is num_directions * proj_size.
std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& input, TensorList hx, TensorList params, bool has_biases,
                                        int64_t num_layers, double dropout, bool train, bool bidirectional,
                                        bool batch_first);
/// A multi-layer GRU (arguments as lstm, with hx the single initial state). Returns (output, h_n).
std::tuple<Tensor, Tensor> gru(const Tensor& input, const Tensor& hx, TensorList params, bool has_biases,
                               int64_t num_layers, double dropout, bool train, bool bidirectional, bool batch_first);
/// A multi-layer Elman RNN with tanh. Returns (output, h_n).
std::tuple<Tensor, Tensor> rnn_tanh(const Tensor& input, const Tensor& hx, TensorList params, bool has_biases,
                                    int64_t num_layers, double dropout, bool train, bool bidirectional,
                                    bool batch_first);
/// A multi-layer Elman RNN with relu. Returns (output, h_n).
std::tuple<Tensor, Tensor> rnn_relu(const Tensor& input, const Tensor& hx, TensorList params, bool has_biases,
                                    int64_t num_layers, double dropout, bool train, bool bidirectional,
                                    bool batch_first);

/// A multi-layer LSTM over packed rows (nn::utils::rnn::PackedSequence's data (N, input_size)
/// and batch_sizes): each sequence's final state is the one after its own last step. hx is
/// {h0, c0} for the sorted batch, each (num_layers * num_directions, batch_sizes[0], H).
/// Returns (output rows (N, num_directions * H), h_n, c_n).
///   auto [out, h_n, c_n] = nabla::lstm(packed.data(), packed.batch_sizes(), {h0, c0}, params, true, 1, 0, false,
///   true);
std::tuple<Tensor, Tensor, Tensor> lstm(const Tensor& data, const Tensor& batch_sizes, TensorList hx, TensorList params,
                                        bool has_biases, int64_t num_layers, double dropout, bool train,
                                        bool bidirectional);
/// A multi-layer GRU over packed rows (as the packed lstm). Returns (output rows, h_n).
std::tuple<Tensor, Tensor> gru(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx, TensorList params,
                               bool has_biases, int64_t num_layers, double dropout, bool train, bool bidirectional);
/// A multi-layer Elman RNN with tanh over packed rows. Returns (output rows, h_n).
std::tuple<Tensor, Tensor> rnn_tanh(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx, TensorList params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional);
/// A multi-layer Elman RNN with relu over packed rows. Returns (output rows, h_n).
std::tuple<Tensor, Tensor> rnn_relu(const Tensor& data, const Tensor& batch_sizes, const Tensor& hx, TensorList params,
                                    bool has_biases, int64_t num_layers, double dropout, bool train,
                                    bool bidirectional);

}  // namespace nabla
