#pragma once
/// Recurrent modules, as libtorch's: nn::RNN, nn::LSTM, nn::GRU (multi-layer, optionally
/// bidirectional, batch_first) and nn::RNNCell, nn::LSTMCell, nn::GRUCell. Parameter names,
/// shapes, default initialisation (uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) in
/// registration order) and printing are PyTorch's.
///   nn::LSTM lstm(nn::LSTMOptions(10, 20).num_layers(2).batch_first(true));
///   auto [output, state] = lstm(x);            // x: (batch, seq, 10)
///   auto [h_n, c_n] = state;                    // each (2, batch, 20)
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "nabla/nn/module.h"
#include "nabla/nn/modules/any.h"
#include "nabla/nn/options/rnn.h"
#include "nabla/nn/utils/rnn.h"

namespace nabla::nn {

namespace detail {

/// What RNN, LSTM and GRU share: parameters weight_ih_l{k}[_reverse], weight_hh_l{k}[_reverse],
/// bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse] per layer k and direction.
template <typename Derived>
class RNNImplBase : public Cloneable<Derived> {
 public:
  explicit RNNImplBase(const RNNOptionsBase& options_);

  /// Creates the parameters and initialises them.
  void reset() override;
  /// uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) on every parameter, in order.
  void reset_parameters();
  /// `input_size, hidden_size[, num_layers=...][, bias=False]...` as Python prints it.
  std::string extra_repr() const override;
  /// The parameters in PyTorch's order (its _flat_weights): per layer and direction,
  /// weight_ih, weight_hh[, bias_ih, bias_hh].
  std::vector<Tensor> all_weights() const { return flat_weights_; }

  RNNOptionsBase options_base;

 protected:
  /// PyTorch's checks of the input (3-D, or the 2-D rows of a PackedSequence; last dim
  /// input_size) and of a hidden state's shape.
  void check_input(const Tensor& input, bool packed = false) const;
  /// (num_layers * num_directions, mini_batch, h size): h's size is proj_size when set.
  std::tuple<int64_t, int64_t, int64_t> get_expected_hidden_size(int64_t mini_batch) const;
  void check_hidden_size(const Tensor& hx, const std::tuple<int64_t, int64_t, int64_t>& expected,
                         const std::string& label) const;
  /// The batch size of a padded (batched) input.
  int64_t mini_batch(const Tensor& input) const;
  /// A zero initial state (num_layers * num_directions, batch, size) of the given dtype.
  Tensor zero_state(int64_t batch, int64_t size, ScalarType dtype) const;
  /// h's last dim: proj_size when set, hidden_size otherwise.
  int64_t real_hidden_size() const;
  /// The state's batch dim reordered by permutation (undefined: unchanged), as Python's
  /// permute_hidden.
  static Tensor permute_hidden(const Tensor& hx, const Tensor& permutation);
  /// A packed recurrence with one state (nabla::gru, nabla::rnn_tanh, ... over packed rows).
  using PackedFn = std::tuple<Tensor, Tensor> (*)(const Tensor&, const Tensor&, const Tensor&, TensorList, bool,
                                                  int64_t, double, bool, bool);
  /// RNN's and GRU's forward_with_packed_input: Python's checks, the state in sorted order and back.
  std::tuple<utils::rnn::PackedSequence, Tensor> forward_packed_single_state(
      const utils::rnn::PackedSequence& packed_input, const Tensor& hx, PackedFn fn);

  std::vector<std::string> flat_weights_names_;
  std::vector<Tensor> flat_weights_;
};

}  // namespace detail

/// Multi-layer Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
class RNNImpl : public detail::RNNImplBase<RNNImpl> {
 public:
  RNNImpl(int64_t input_size, int64_t hidden_size) : RNNImpl(RNNOptions(input_size, hidden_size)) {}
  explicit RNNImpl(const RNNOptions& options_);
  /// input (seq, batch, input_size), (batch, seq, input_size) when batch_first, or unbatched
  /// (seq, input_size); hx (num_layers * num_directions, batch, hidden_size), zeros when
  /// undefined. Returns (output, h_n).
  std::tuple<Tensor, Tensor> forward(const Tensor& input, Tensor hx = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())})
  /// The same over a PackedSequence (each sequence's h_n is its state after its own last step);
  /// hx and h_n are in the caller's batch order.
  ///   auto [out, h_n] = rnn->forward_with_packed_input(nn::utils::rnn::pack_sequence({a, b}, false));
  std::tuple<utils::rnn::PackedSequence, Tensor> forward_with_packed_input(
      const utils::rnn::PackedSequence& packed_input, Tensor hx = {});

  RNNOptions options;
};
NABLA_MODULE(RNN);

/// Multi-layer LSTM (gates i, f, g, o).
class LSTMImpl : public detail::RNNImplBase<LSTMImpl> {
 public:
  LSTMImpl(int64_t input_size, int64_t hidden_size) : LSTMImpl(LSTMOptions(input_size, hidden_size)) {}
  explicit LSTMImpl(const LSTMOptions& options_);
  /// As RNN's forward with the state (h_0, c_0); returns (output, (h_n, c_n)).
  std::tuple<Tensor, std::tuple<Tensor, Tensor>> forward(const Tensor& input,
                                                         std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(std::optional<std::tuple<Tensor, Tensor>>())})
  /// The same over a PackedSequence: each sequence's (h_n, c_n) is its state after its own last
  /// step; states are in the caller's batch order.
  ///   auto [out, state] = lstm->forward_with_packed_input(packed);
  std::tuple<utils::rnn::PackedSequence, std::tuple<Tensor, Tensor>> forward_with_packed_input(
      const utils::rnn::PackedSequence& packed_input, std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});

  LSTMOptions options;

 private:
  /// Python's check_forward_args for (h0, c0): h0 (..., proj_size or hidden_size), c0 (..., hidden_size).
  void check_state(const Tensor& h0, const Tensor& c0, int64_t batch) const;
};
NABLA_MODULE(LSTM);

/// Multi-layer GRU (gates r, z, n).
class GRUImpl : public detail::RNNImplBase<GRUImpl> {
 public:
  GRUImpl(int64_t input_size, int64_t hidden_size) : GRUImpl(GRUOptions(input_size, hidden_size)) {}
  explicit GRUImpl(const GRUOptions& options_);
  /// As RNN's forward; returns (output, h_n).
  std::tuple<Tensor, Tensor> forward(const Tensor& input, Tensor hx = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())})
  /// As RNN's forward_with_packed_input.
  std::tuple<utils::rnn::PackedSequence, Tensor> forward_with_packed_input(
      const utils::rnn::PackedSequence& packed_input, Tensor hx = {});

  GRUOptions options;
};
NABLA_MODULE(GRU);

namespace detail {

/// What the cells share: parameters weight_ih, weight_hh, bias_ih, bias_hh.
template <typename Derived>
class RNNCellImplBase : public Cloneable<Derived> {
 public:
  explicit RNNCellImplBase(const RNNCellOptionsBase& options_);

  void reset() override;
  /// uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) on every parameter, in order.
  void reset_parameters();
  std::string extra_repr() const override;

  RNNCellOptionsBase options_base;
  Tensor weight_ih;
  Tensor weight_hh;
  Tensor bias_ih;
  Tensor bias_hh;

 protected:
  /// The 1-D or 2-D check of Python's cells.
  void check_forward_input(const Tensor& input) const;
  /// "" or the nonlinearity printed by extra_repr (RNNCell with relu).
  virtual std::string get_nonlinearity_str() const { return {}; }
};

}  // namespace detail

/// One step of an Elman RNN.
class RNNCellImpl : public detail::RNNCellImplBase<RNNCellImpl> {
 public:
  RNNCellImpl(int64_t input_size, int64_t hidden_size) : RNNCellImpl(RNNCellOptions(input_size, hidden_size)) {}
  explicit RNNCellImpl(const RNNCellOptions& options_);
  /// input (batch, input_size) or (input_size); hx likewise with hidden_size (zeros when
  /// undefined). Returns h'.
  Tensor forward(const Tensor& input, Tensor hx = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())})

  RNNCellOptions options;

 protected:
  std::string get_nonlinearity_str() const override;
};
NABLA_MODULE(RNNCell);

/// One LSTM step.
class LSTMCellImpl : public detail::RNNCellImplBase<LSTMCellImpl> {
 public:
  LSTMCellImpl(int64_t input_size, int64_t hidden_size) : LSTMCellImpl(LSTMCellOptions(input_size, hidden_size)) {}
  explicit LSTMCellImpl(const LSTMCellOptions& options_);
  /// Returns (h', c'); the state (h, c) is zeros when not given.
  std::tuple<Tensor, Tensor> forward(const Tensor& input, std::optional<std::tuple<Tensor, Tensor>> hx_opt = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(std::optional<std::tuple<Tensor, Tensor>>())})

  LSTMCellOptions options;
};
NABLA_MODULE(LSTMCell);

/// One GRU step.
class GRUCellImpl : public detail::RNNCellImplBase<GRUCellImpl> {
 public:
  GRUCellImpl(int64_t input_size, int64_t hidden_size) : GRUCellImpl(GRUCellOptions(input_size, hidden_size)) {}
  explicit GRUCellImpl(const GRUCellOptions& options_);
  /// Returns h'.
  Tensor forward(const Tensor& input, Tensor hx = {});
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, AnyValue(Tensor())})

  GRUCellOptions options;
};
NABLA_MODULE(GRUCell);

}  // namespace nabla::nn
