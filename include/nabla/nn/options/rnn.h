#pragma once
/// Options of the recurrent modules (RNN, LSTM, GRU and their cells), as libtorch's.
///   nn::LSTM lstm(nn::LSTMOptions(10, 20).num_layers(2).batch_first(true));
#include <cstdint>

#include "nabla/nn/enum.h"
#include "nabla/nn/options.h"

namespace nabla::nn {

namespace detail {
/// Which recurrence a multi-layer module runs.
enum class RNNMode { LSTM, GRU, RNN_TANH, RNN_RELU };

/// The options every multi-layer recurrent module shares.
struct RNNOptionsBase {
  RNNOptionsBase(RNNMode mode, int64_t input_size, int64_t hidden_size)
      : mode_(mode), input_size_(input_size), hidden_size_(hidden_size) {}
  NABLA_ARG(RNNMode, mode);
  NABLA_ARG(int64_t, input_size);
  NABLA_ARG(int64_t, hidden_size);
  NABLA_ARG(int64_t, num_layers) = 1;
  NABLA_ARG(bool, bias) = true;
  NABLA_ARG(bool, batch_first) = false;
  NABLA_ARG(double, dropout) = 0.0;
  NABLA_ARG(bool, bidirectional) = false;
  /// LSTM only: h projected to this size (0: no projection).
  NABLA_ARG(int64_t, proj_size) = 0;
};

/// The options every recurrent cell shares.
struct RNNCellOptionsBase {
  RNNCellOptionsBase(int64_t input_size, int64_t hidden_size, bool bias, int64_t num_chunks)
      : input_size_(input_size), hidden_size_(hidden_size), bias_(bias), num_chunks_(num_chunks) {}
  NABLA_ARG(int64_t, input_size);
  NABLA_ARG(int64_t, hidden_size);
  NABLA_ARG(bool, bias);
  /// Gates per cell: 4 (LSTM), 3 (GRU), 1 (RNN).
  NABLA_ARG(int64_t, num_chunks);
};
}  // namespace detail

/// Options of nn::RNN (Elman RNN with tanh or relu).
struct RNNOptions {
  RNNOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  /// Features of the input x.
  NABLA_ARG(int64_t, input_size);
  /// Features of the hidden state h.
  NABLA_ARG(int64_t, hidden_size);
  /// Stacked recurrent layers.
  NABLA_ARG(int64_t, num_layers) = 1;
  /// kTanh or kReLU.
  NABLA_ARG(Nonlinearity, nonlinearity) = kTanh;
  /// Whether the layers have biases b_ih and b_hh.
  NABLA_ARG(bool, bias) = true;
  /// Input and output as (batch, seq, feature) instead of (seq, batch, feature).
  NABLA_ARG(bool, batch_first) = false;
  /// Dropout on the outputs of each layer but the last (in training).
  NABLA_ARG(double, dropout) = 0.0;
  /// A second layer per level running backwards over the sequence.
  NABLA_ARG(bool, bidirectional) = false;
};

/// Options of nn::LSTM.
struct LSTMOptions {
  LSTMOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  NABLA_ARG(int64_t, input_size);
  NABLA_ARG(int64_t, hidden_size);
  NABLA_ARG(int64_t, num_layers) = 1;
  NABLA_ARG(bool, bias) = true;
  NABLA_ARG(bool, batch_first) = false;
  NABLA_ARG(double, dropout) = 0.0;
  NABLA_ARG(bool, bidirectional) = false;
  /// When > 0, h = (o * tanh(c)) W_hr^T is projected to proj_size features (weight_hr_l{k}),
  /// which become the output's and h's last dim; c keeps hidden_size.
  NABLA_ARG(int64_t, proj_size) = 0;
};

/// Options of nn::GRU.
struct GRUOptions {
  GRUOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  NABLA_ARG(int64_t, input_size);
  NABLA_ARG(int64_t, hidden_size);
  NABLA_ARG(int64_t, num_layers) = 1;
  NABLA_ARG(bool, bias) = true;
  NABLA_ARG(bool, batch_first) = false;
  NABLA_ARG(double, dropout) = 0.0;
  NABLA_ARG(bool, bidirectional) = false;
};

/// Options of nn::RNNCell.
struct RNNCellOptions {
  RNNCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  NABLA_ARG(int64_t, input_size);
  NABLA_ARG(int64_t, hidden_size);
  NABLA_ARG(bool, bias) = true;
  /// kTanh or kReLU.
  NABLA_ARG(Nonlinearity, nonlinearity) = kTanh;
};

/// Options of nn::LSTMCell.
struct LSTMCellOptions {
  LSTMCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  NABLA_ARG(int64_t, input_size);
  NABLA_ARG(int64_t, hidden_size);
  NABLA_ARG(bool, bias) = true;
};

/// Options of nn::GRUCell.
struct GRUCellOptions {
  GRUCellOptions(int64_t input_size, int64_t hidden_size) : input_size_(input_size), hidden_size_(hidden_size) {}
  NABLA_ARG(int64_t, input_size);
  NABLA_ARG(int64_t, hidden_size);
  NABLA_ARG(bool, bias) = true;
};

}  // namespace nabla::nn
