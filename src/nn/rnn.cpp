// nn::RNN, nn::LSTM, nn::GRU and their cells: parameters, PyTorch's initialisation and input
// checks, batched/unbatched handling; the recurrences are nabla::lstm, nabla::gru, ...
// (src/ops/nn_rnn_seq.cpp).
#include "nabla/nn/functional/rnn.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/internal.h"
#include "nabla/functions.h"
#include "nabla/nn/init.h"
#include "nabla/nn/modules/rnn.h"
#include "nabla/warning.h"
#include "nn/repr.h"

namespace nabla::nn {

namespace detail {

namespace {

int64_t gate_count(RNNMode mode) {
  switch (mode) {
    case RNNMode::LSTM:
      return 4;
    case RNNMode::GRU:
      return 3;
    default:
      return 1;
  }
}

const char* bool_str(bool b) { return b ? "True" : "False"; }

// Python's uniform initialisation of every parameter of a recurrent module or cell.
void init_uniform(const std::vector<Tensor>& params, int64_t hidden_size) {
  const double stdv = hidden_size > 0 ? 1.0 / std::sqrt(static_cast<double>(hidden_size)) : 0.0;
  for (const Tensor& p : params) init::uniform_(p, -stdv, stdv);
}

}  // namespace

// ---- RNNImplBase ---------------------------------------------------------------------------

template <typename Derived>
RNNImplBase<Derived>::RNNImplBase(const RNNOptionsBase& options_) : options_base(options_) {
  const double p = options_base.dropout();
  NABLA_CHECK(p >= 0 && p <= 1,
              "dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
  if (p > 0 && options_base.num_layers() == 1)
    warn(
        "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
        "num_layers greater than 1, but got dropout=" +
        detail::python_float_repr(p) + " and num_layers=1");
  NABLA_CHECK(options_base.proj_size() >= 0, "proj_size should be a positive integer or zero to disable projections");
  NABLA_CHECK(options_base.proj_size() < options_base.hidden_size(), "proj_size has to be smaller than hidden_size");
  NABLA_CHECK(options_base.proj_size() == 0 || options_base.mode() == RNNMode::LSTM,
              "proj_size argument is only supported for LSTM, not RNN or GRU");
  reset();
}

template <typename Derived>
void RNNImplBase<Derived>::reset() {
  const int64_t H = options_base.hidden_size(), H_out = real_hidden_size();
  const int64_t gate_size = gate_count(options_base.mode()) * H;
  const int64_t dirs = options_base.bidirectional() ? 2 : 1;
  flat_weights_names_.clear();
  flat_weights_.clear();
  for (int64_t layer = 0; layer < options_base.num_layers(); ++layer) {
    for (int64_t d = 0; d < dirs; ++d) {
      const int64_t in = layer == 0 ? options_base.input_size() : H_out * dirs;
      const std::string suffix = "_l" + std::to_string(layer) + (d == 1 ? "_reverse" : "");
      std::vector<std::pair<std::string, Tensor>> params = {{"weight_ih" + suffix, empty({gate_size, in})},
                                                            {"weight_hh" + suffix, empty({gate_size, H_out})}};
      if (options_base.bias()) {
        params.emplace_back("bias_ih" + suffix, empty({gate_size}));
        params.emplace_back("bias_hh" + suffix, empty({gate_size}));
      }
      if (options_base.proj_size() > 0) params.emplace_back("weight_hr" + suffix, empty({H_out, H}));
      for (auto& [name, t] : params) {
        flat_weights_.push_back(this->register_parameter(name, t));
        flat_weights_names_.push_back(name);
      }
    }
  }
  reset_parameters();
}

template <typename Derived>
void RNNImplBase<Derived>::reset_parameters() {
  init_uniform(this->parameters(), options_base.hidden_size());
}

template <typename Derived>
std::string RNNImplBase<Derived>::extra_repr() const {
  std::ostringstream s;
  s << options_base.input_size() << ", " << options_base.hidden_size();
  if (options_base.proj_size() != 0) s << ", proj_size=" << options_base.proj_size();
  if (options_base.num_layers() != 1) s << ", num_layers=" << options_base.num_layers();
  if (!options_base.bias()) s << ", bias=False";
  if (options_base.batch_first()) s << ", batch_first=True";
  if (options_base.dropout() != 0) s << ", dropout=" << detail::python_float_repr(options_base.dropout());
  if (options_base.bidirectional()) s << ", bidirectional=True";
  return s.str();
}

template <typename Derived>
void RNNImplBase<Derived>::check_input(const Tensor& input, bool packed) const {
  const int64_t expected_dim = packed ? 2 : 3;
  NABLA_CHECK(input.dim() == expected_dim, "input must have ", expected_dim, " dimensions, got ", input.dim());
  NABLA_CHECK(input.size(-1) == options_base.input_size(), "input.size(-1) must be equal to input_size. Expected ",
              options_base.input_size(), ", got ", input.size(-1));
}

template <typename Derived>
std::tuple<int64_t, int64_t, int64_t> RNNImplBase<Derived>::get_expected_hidden_size(int64_t mini_batch) const {
  const int64_t dirs = options_base.bidirectional() ? 2 : 1;
  return {options_base.num_layers() * dirs, mini_batch, real_hidden_size()};
}

template <typename Derived>
int64_t RNNImplBase<Derived>::mini_batch(const Tensor& input) const {
  return options_base.batch_first() ? input.size(0) : input.size(1);
}

template <typename Derived>
int64_t RNNImplBase<Derived>::real_hidden_size() const {
  return options_base.proj_size() > 0 ? options_base.proj_size() : options_base.hidden_size();
}

template <typename Derived>
Tensor RNNImplBase<Derived>::permute_hidden(const Tensor& hx, const Tensor& permutation) {
  return permutation.defined() ? hx.index_select(1, permutation) : hx;
}

template <typename Derived>
void RNNImplBase<Derived>::check_hidden_size(const Tensor& hx, const std::tuple<int64_t, int64_t, int64_t>& expected,
                                             const std::string& label) const {
  auto [a, b, c] = expected;
  const bool ok = hx.dim() == 3 && hx.size(0) == a && hx.size(1) == b && hx.size(2) == c;
  NABLA_CHECK(ok, label, " size (", a, ", ", b, ", ", c, "), got ", core::shape_str(hx.sizes()));
}

template <typename Derived>
std::tuple<utils::rnn::PackedSequence, Tensor> RNNImplBase<Derived>::forward_packed_single_state(
    const utils::rnn::PackedSequence& packed_input, const Tensor& hx, PackedFn fn) {
  const Tensor& x = packed_input.data();
  const int64_t batch = packed_input.batch_sizes()[0].item<int64_t>();
  Tensor h0 = hx.defined() ? permute_hidden(hx, packed_input.sorted_indices())
                           : zero_state(batch, real_hidden_size(), x.scalar_type());
  check_input(x, true);
  check_hidden_size(h0, get_expected_hidden_size(batch), "Expected hidden");
  auto [out, h_n] = fn(x, packed_input.batch_sizes(), h0, flat_weights_, options_base.bias(), options_base.num_layers(),
                       options_base.dropout(), this->is_training(), options_base.bidirectional());
  return {utils::rnn::PackedSequence(out, packed_input.batch_sizes(), packed_input.sorted_indices(),
                                     packed_input.unsorted_indices()),
          permute_hidden(h_n, packed_input.unsorted_indices())};
}

template <typename Derived>
Tensor RNNImplBase<Derived>::zero_state(int64_t batch, int64_t size, ScalarType dtype) const {
  const int64_t dirs = options_base.bidirectional() ? 2 : 1;
  return zeros({options_base.num_layers() * dirs, batch, size}, TensorOptions().dtype(dtype));
}

template class RNNImplBase<RNNImpl>;
template class RNNImplBase<LSTMImpl>;
template class RNNImplBase<GRUImpl>;

// ---- RNNCellImplBase -----------------------------------------------------------------------

template <typename Derived>
RNNCellImplBase<Derived>::RNNCellImplBase(const RNNCellOptionsBase& options_) : options_base(options_) {
  reset();
}

template <typename Derived>
void RNNCellImplBase<Derived>::reset() {
  const int64_t H = options_base.hidden_size(), G = options_base.num_chunks() * H;
  weight_ih = this->register_parameter("weight_ih", empty({G, options_base.input_size()}));
  weight_hh = this->register_parameter("weight_hh", empty({G, H}));
  if (options_base.bias()) {
    bias_ih = this->register_parameter("bias_ih", empty({G}));
    bias_hh = this->register_parameter("bias_hh", empty({G}));
  } else {
    bias_ih = this->register_parameter("bias_ih", Tensor(), false);
    bias_hh = this->register_parameter("bias_hh", Tensor(), false);
  }
  reset_parameters();
}

template <typename Derived>
void RNNCellImplBase<Derived>::reset_parameters() {
  init_uniform(this->parameters(), options_base.hidden_size());
}

template <typename Derived>
std::string RNNCellImplBase<Derived>::extra_repr() const {
  std::ostringstream s;
  s << options_base.input_size() << ", " << options_base.hidden_size();
  if (!options_base.bias()) s << ", bias=" << bool_str(false);
  const std::string nl = get_nonlinearity_str();
  if (!nl.empty()) s << ", nonlinearity=" << nl;
  return s.str();
}

template <typename Derived>
void RNNCellImplBase<Derived>::check_forward_input(const Tensor& input) const {
  NABLA_CHECK(input.dim() == 1 || input.dim() == 2, this->name(), ": Expected input to be 1-D or 2-D but received ",
              input.dim(), "-D tensor");
}

template class RNNCellImplBase<RNNCellImpl>;
template class RNNCellImplBase<LSTMCellImpl>;
template class RNNCellImplBase<GRUCellImpl>;

}  // namespace detail

namespace {

detail::RNNOptionsBase base_options(detail::RNNMode mode, int64_t input_size, int64_t hidden_size, int64_t num_layers,
                                    bool bias, bool batch_first, double dropout, bool bidirectional,
                                    int64_t proj_size = 0) {
  return detail::RNNOptionsBase(mode, input_size, hidden_size)
      .num_layers(num_layers)
      .bias(bias)
      .batch_first(batch_first)
      .dropout(dropout)
      .bidirectional(bidirectional)
      .proj_size(proj_size);
}

detail::RNNMode rnn_mode(Nonlinearity n) {
  NABLA_CHECK(n == kTanh || n == kReLU, "Unknown nonlinearity '", enum_name(n), "'");
  return n == kTanh ? detail::RNNMode::RNN_TANH : detail::RNNMode::RNN_RELU;
}

// The hx checks of Python's GRU/RNN forward for a single state; returns the batched state.
Tensor batched_state(const Tensor& hx, bool is_batched) {
  if (is_batched) {
    NABLA_CHECK(hx.dim() == 3, "For batched 3-D input, hx should also be 3-D but got ", hx.dim(), "-D tensor");
    return hx;
  }
  NABLA_CHECK(hx.dim() == 2, "For unbatched 2-D input, hx should also be 2-D but got ", hx.dim(), "-D tensor");
  return hx.unsqueeze(1);
}

}  // namespace

// ---- RNN, LSTM, GRU --------------------------------------------------------------------------

RNNImpl::RNNImpl(const RNNOptions& options_)
    : RNNImplBase(base_options(rnn_mode(options_.nonlinearity()), options_.input_size(), options_.hidden_size(),
                               options_.num_layers(), options_.bias(), options_.batch_first(), options_.dropout(),
                               options_.bidirectional())),
      options(options_) {}

std::tuple<Tensor, Tensor> RNNImpl::forward(const Tensor& input, Tensor hx) {
  const int64_t batch_dim = options.batch_first() ? 0 : 1;
  const bool is_batched = input.dim() == 3;
  Tensor x = is_batched ? input : input.unsqueeze(batch_dim);
  Tensor h0 =
      hx.defined() ? batched_state(hx, is_batched) : zero_state(mini_batch(x), real_hidden_size(), x.scalar_type());
  check_input(x);
  check_hidden_size(h0, get_expected_hidden_size(mini_batch(x)), "Expected hidden");
  using PaddedFn =
      std::tuple<Tensor, Tensor> (*)(const Tensor&, const Tensor&, TensorList, bool, int64_t, double, bool, bool, bool);
  PaddedFn fn = options.nonlinearity() == kTanh ? PaddedFn(&nabla::rnn_tanh) : PaddedFn(&nabla::rnn_relu);
  auto [out, h_n] = fn(x, h0, flat_weights_, options.bias(), options.num_layers(), options.dropout(), is_training(),
                       options.bidirectional(), options.batch_first());
  if (!is_batched) return {out.squeeze(batch_dim), h_n.squeeze(1)};
  return {out, h_n};
}

std::tuple<utils::rnn::PackedSequence, Tensor> RNNImpl::forward_with_packed_input(
    const utils::rnn::PackedSequence& packed_input, Tensor hx) {
  return forward_packed_single_state(
      packed_input, hx, options.nonlinearity() == kTanh ? PackedFn(&nabla::rnn_tanh) : PackedFn(&nabla::rnn_relu));
}

LSTMImpl::LSTMImpl(const LSTMOptions& options_)
    : RNNImplBase(base_options(detail::RNNMode::LSTM, options_.input_size(), options_.hidden_size(),
                               options_.num_layers(), options_.bias(), options_.batch_first(), options_.dropout(),
                               options_.bidirectional(), options_.proj_size())),
      options(options_) {}

std::tuple<Tensor, std::tuple<Tensor, Tensor>> LSTMImpl::forward(const Tensor& input,
                                                                 std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
  const int64_t batch_dim = options.batch_first() ? 0 : 1;
  const bool is_batched = input.dim() == 3;
  Tensor x = is_batched ? input : input.unsqueeze(batch_dim);
  Tensor h0, c0;
  if (hx_opt) {
    std::tie(h0, c0) = *hx_opt;
    if (is_batched) {
      NABLA_CHECK(h0.dim() == 3 && c0.dim() == 3, "For batched 3-D input, hx and cx should also be 3-D but got (",
                  h0.dim(), "-D, ", c0.dim(), "-D) tensors");
    } else {
      NABLA_CHECK(h0.dim() == 2 && c0.dim() == 2, "For unbatched 2-D input, hx and cx should also be 2-D but got (",
                  h0.dim(), "-D, ", c0.dim(), "-D) tensors");
      h0 = h0.unsqueeze(1);
      c0 = c0.unsqueeze(1);
    }
  } else {
    h0 = zero_state(mini_batch(x), real_hidden_size(), x.scalar_type());
    c0 = zero_state(mini_batch(x), options.hidden_size(), x.scalar_type());
  }
  check_input(x);
  check_state(h0, c0, mini_batch(x));
  auto [out, h_n, c_n] = nabla::lstm(x, {h0, c0}, flat_weights_, options.bias(), options.num_layers(),
                                     options.dropout(), is_training(), options.bidirectional(), options.batch_first());
  if (!is_batched) return {out.squeeze(batch_dim), {h_n.squeeze(1), c_n.squeeze(1)}};
  return {out, {h_n, c_n}};
}

void LSTMImpl::check_state(const Tensor& h0, const Tensor& c0, int64_t batch) const {
  check_hidden_size(h0, get_expected_hidden_size(batch), "Expected hidden[0]");
  auto [layers, b, unused] = get_expected_hidden_size(batch);
  check_hidden_size(c0, {layers, b, options.hidden_size()}, "Expected hidden[1]");
}

std::tuple<utils::rnn::PackedSequence, std::tuple<Tensor, Tensor>> LSTMImpl::forward_with_packed_input(
    const utils::rnn::PackedSequence& packed_input, std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
  const Tensor& x = packed_input.data();
  const int64_t batch = packed_input.batch_sizes()[0].item<int64_t>();
  Tensor h0, c0;
  if (hx_opt) {
    h0 = permute_hidden(std::get<0>(*hx_opt), packed_input.sorted_indices());
    c0 = permute_hidden(std::get<1>(*hx_opt), packed_input.sorted_indices());
  } else {
    h0 = zero_state(batch, real_hidden_size(), x.scalar_type());
    c0 = zero_state(batch, options.hidden_size(), x.scalar_type());
  }
  check_input(x, true);
  check_state(h0, c0, batch);
  auto [out, h_n, c_n] = nabla::lstm(x, packed_input.batch_sizes(), {h0, c0}, flat_weights_, options.bias(),
                                     options.num_layers(), options.dropout(), is_training(), options.bidirectional());
  const Tensor& unsorted = packed_input.unsorted_indices();
  return {utils::rnn::PackedSequence(out, packed_input.batch_sizes(), packed_input.sorted_indices(), unsorted),
          {permute_hidden(h_n, unsorted), permute_hidden(c_n, unsorted)}};
}

GRUImpl::GRUImpl(const GRUOptions& options_)
    : RNNImplBase(base_options(detail::RNNMode::GRU, options_.input_size(), options_.hidden_size(),
                               options_.num_layers(), options_.bias(), options_.batch_first(), options_.dropout(),
                               options_.bidirectional())),
      options(options_) {}

std::tuple<Tensor, Tensor> GRUImpl::forward(const Tensor& input, Tensor hx) {
  const int64_t batch_dim = options.batch_first() ? 0 : 1;
  const bool is_batched = input.dim() == 3;
  Tensor x = is_batched ? input : input.unsqueeze(batch_dim);
  Tensor h0 =
      hx.defined() ? batched_state(hx, is_batched) : zero_state(mini_batch(x), real_hidden_size(), x.scalar_type());
  check_input(x);
  check_hidden_size(h0, get_expected_hidden_size(mini_batch(x)), "Expected hidden");
  auto [out, h_n] = nabla::gru(x, h0, flat_weights_, options.bias(), options.num_layers(), options.dropout(),
                               is_training(), options.bidirectional(), options.batch_first());
  if (!is_batched) return {out.squeeze(batch_dim), h_n.squeeze(1)};
  return {out, h_n};
}

std::tuple<utils::rnn::PackedSequence, Tensor> GRUImpl::forward_with_packed_input(
    const utils::rnn::PackedSequence& packed_input, Tensor hx) {
  return forward_packed_single_state(packed_input, hx, PackedFn(&nabla::gru));
}

// ---- cells -----------------------------------------------------------------------------------

namespace {

// The cell's input made 2-D and its state (zeros when undefined) batched like it.
Tensor cell_state(const Tensor& hx, const Tensor& x, int64_t hidden_size, bool is_batched) {
  if (!hx.defined()) return zeros({x.size(0), hidden_size}, TensorOptions().dtype(x.scalar_type()));
  return is_batched ? hx : hx.unsqueeze(0);
}

}  // namespace

RNNCellImpl::RNNCellImpl(const RNNCellOptions& options_)
    : RNNCellImplBase(detail::RNNCellOptionsBase(options_.input_size(), options_.hidden_size(), options_.bias(), 1)),
      options(options_) {}

std::string RNNCellImpl::get_nonlinearity_str() const {
  return options.nonlinearity() == kTanh ? std::string() : std::string(enum_name(options.nonlinearity()));
}

Tensor RNNCellImpl::forward(const Tensor& input, Tensor hx) {
  check_forward_input(input);
  const bool is_batched = input.dim() == 2;
  Tensor x = is_batched ? input : input.unsqueeze(0);
  Tensor h = cell_state(hx, x, options.hidden_size(), is_batched);
  NABLA_CHECK(options.nonlinearity() == kTanh || options.nonlinearity() == kReLU,
              "Unknown nonlinearity: ", enum_name(options.nonlinearity()));
  auto fn = options.nonlinearity() == kTanh ? &nabla::rnn_tanh_cell : &nabla::rnn_relu_cell;
  Tensor out = fn(x, h, weight_ih, weight_hh, bias_ih, bias_hh);
  return is_batched ? out : out.squeeze(0);
}

LSTMCellImpl::LSTMCellImpl(const LSTMCellOptions& options_)
    : RNNCellImplBase(detail::RNNCellOptionsBase(options_.input_size(), options_.hidden_size(), options_.bias(), 4)),
      options(options_) {}

std::tuple<Tensor, Tensor> LSTMCellImpl::forward(const Tensor& input,
                                                 std::optional<std::tuple<Tensor, Tensor>> hx_opt) {
  check_forward_input(input);
  const bool is_batched = input.dim() == 2;
  Tensor x = is_batched ? input : input.unsqueeze(0);
  Tensor h, c;
  if (hx_opt) std::tie(h, c) = *hx_opt;
  h = cell_state(h, x, options.hidden_size(), is_batched);
  c = cell_state(c, x, options.hidden_size(), is_batched);
  auto [h1, c1] = nabla::lstm_cell(x, {h, c}, weight_ih, weight_hh, bias_ih, bias_hh);
  if (!is_batched) return {h1.squeeze(0), c1.squeeze(0)};
  return {h1, c1};
}

GRUCellImpl::GRUCellImpl(const GRUCellOptions& options_)
    : RNNCellImplBase(detail::RNNCellOptionsBase(options_.input_size(), options_.hidden_size(), options_.bias(), 3)),
      options(options_) {}

Tensor GRUCellImpl::forward(const Tensor& input, Tensor hx) {
  check_forward_input(input);
  const bool is_batched = input.dim() == 2;
  Tensor x = is_batched ? input : input.unsqueeze(0);
  Tensor h = cell_state(hx, x, options.hidden_size(), is_batched);
  Tensor out = nabla::gru_cell(x, h, weight_ih, weight_hh, bias_ih, bias_hh);
  return is_batched ? out : out.squeeze(0);
}

}  // namespace nabla::nn
