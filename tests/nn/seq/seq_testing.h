#pragma once
// What the sequence-model tests share (rnn_test.cpp, packed_test.cpp, transformer_test.cpp):
// names of oracle inputs, the backward that gathers nabla's outputs and gradients, and the
// comparison of a new module with torch's (repr, parameter names, initial values).
#include <nabla/nn/module.h>
#include <nabla/nn/modules/rnn.h>

#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "support/testing.h"

namespace nabla::testing {

// "w3" for ("w", 3), built by appending (GCC's -Wrestrict misfires on "w" + to_string(i)).
inline std::string indexed(const char* prefix, size_t i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

inline const char* py_bool(bool b) { return b ? "True" : "False"; }

template <typename M>
const char* py_class() {
  if constexpr (std::is_same_v<M, nn::LSTM>)
    return "LSTM";
  else if constexpr (std::is_same_v<M, nn::GRU>)
    return "GRU";
  else
    return "RNN";
}

// An nn::LSTM, nn::GRU or nn::RNN from a test's configuration C (a struct with input, hidden,
// layers, bias, batch_first, bidirectional, dropout and, optionally, proj: LSTM's proj_size).
template <typename M, typename C>
M make_rnn(const C& c, Nonlinearity nl = kTanh) {
  using Options = std::remove_reference_t<decltype(std::declval<typename M::Impl&>().options)>;
  Options o = Options(c.input, c.hidden)
                  .num_layers(c.layers)
                  .bias(c.bias)
                  .batch_first(c.batch_first)
                  .bidirectional(c.bidirectional)
                  .dropout(c.dropout);
  if constexpr (std::is_same_v<M, nn::RNN>) o.nonlinearity(nl);
  if constexpr (std::is_same_v<M, nn::LSTM> && requires { c.proj; }) o.proj_size(c.proj);
  return M(o);
}

// Python's constructor of the same module.
template <typename M, typename C>
std::string py_rnn_ctor(const C& c, Nonlinearity nl = kTanh) {
  std::ostringstream s;
  s << "torch.nn." << py_class<M>() << "(" << c.input << ", " << c.hidden << ", num_layers=" << c.layers
    << ", bias=" << py_bool(c.bias) << ", batch_first=" << py_bool(c.batch_first)
    << ", bidirectional=" << py_bool(c.bidirectional) << ", dropout=" << c.dropout;
  if (nl == kReLU) s << ", nonlinearity='relu'";
  if constexpr (requires { c.proj; })
    if (c.proj) s << ", proj_size=" << c.proj;
  s << ")";
  return s.str();
}

// Python that builds the torch module `m` with nabla's weights (inputs w0, w1, ...).
inline std::string load_module(const std::string& ctor, size_t n_params, ScalarType dt) {
  std::ostringstream s;
  s << "m = " << ctor << ".to(" << (dt == kDouble ? "torch.float64" : "torch.float32") << ")\n"
    << "ws = [";
  for (size_t i = 0; i < n_params; ++i) s << (i ? ", " : "") << "w" << i;
  s << "]\nwith torch.no_grad():\n  for p, w in zip(m.parameters(), ws):\n    p.copy_(w)\n";
  return s.str();
}

// Backward of sum(outs[i] * g_i), g_i = sample(outs[i]'s shape, seed0 + i), each g_i added to
// `in` as "g<i>" and each parameter's value as "w<i>". Returns the outputs, then the gradients
// of the defined `inputs`, then those of the parameters: what the oracle's script returns.
inline std::vector<Tensor> backward_and_collect(const std::vector<Tensor>& outs, const std::vector<Tensor>& inputs,
                                                const std::vector<Tensor>& params, int seed0, oracle::Inputs& in) {
  Tensor loss = zeros({}, outs.at(0).scalar_type());
  for (size_t i = 0; i < outs.size(); ++i) {
    Tensor g = sample(outs[i].sizes(), outs[i].scalar_type(), seed0 + static_cast<int>(i));
    in.push_back({indexed("g", i), g});
    loss = loss + (outs[i] * g).sum();
  }
  loss.backward();
  std::vector<Tensor> mine = outs;
  for (const Tensor& t : inputs)
    if (t.defined()) mine.push_back(t.grad());
  for (size_t i = 0; i < params.size(); ++i) {
    mine.push_back(params[i].grad());
    in.push_back({indexed("w", i), params[i].detach()});
  }
  return mine;
}

// m (built right after manual_seed(seed)) against the torch module that py_expr builds after
// torch.manual_seed(seed): its repr, its parameter names and its parameters bit for bit.
inline void expect_module_like_torch(const nn::Module& m, const std::string& py_expr, int seed) {
  auto ref = oracle::run("torch.manual_seed(" + std::to_string(seed) + ")\nm = " + py_expr +
                         "\nout = (repr(m), ' '.join(n for n, _ in m.named_parameters())) + tuple(m.parameters())");
  ASSERT_TRUE(ref.ok) << ref.error;
  std::ostringstream repr;
  repr << m;
  EXPECT_EQ(repr.str(), ref.strings.at(0));
  std::string names;
  for (const auto& p : m.named_parameters()) names += (names.empty() ? "" : " ") + p.key();
  EXPECT_EQ(names, ref.strings.at(1));
  auto params = m.parameters();
  ASSERT_EQ(params.size() + 2, ref.outputs.size());
  for (size_t i = 0; i < params.size(); ++i)
    EXPECT_TRUE(same(params[i], ref.tensor(i + 2), 0, 0)) << py_expr << " " << i;
}

}  // namespace nabla::testing
