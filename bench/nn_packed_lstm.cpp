// Forward + backward of a bidirectional LSTM (32 → 64 per direction) over a packed batch of 64
// sequences of lengths 3..16 (the examples/classify_words shape), nabla against libtorch in the
// same run: pack_padded_sequence (unsorted), LSTM over the PackedSequence, the final states of
// both directions summed with the padded output, backward into the input and the weights.
// Prints µs per step at 1 and 2 threads and the ratio libtorch / nabla (> 1: nabla is faster).
//   cmake -S . -B build-bench -DNABLA_BUILD_BENCH=ON && cmake --build build-bench --target nn_packed_lstm
//   ./build-bench/bench/nn_packed_lstm
#include <nabla/nabla.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

constexpr int kWarmup = 5;
constexpr int kIters = 40;
constexpr int64_t kBatch = 64, kInput = 32, kHidden = 64, kMaxLen = 16;

template <typename F>
double median_us(const F& fn) {
  for (int i = 0; i < kWarmup; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < kIters; ++i) {
    auto start = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::vector<int64_t> lengths() {
  std::vector<int64_t> l;
  for (int64_t i = 0; i < kBatch; ++i) l.push_back(3 + (i * 7) % (kMaxLen - 2));
  return l;
}

double nabla_us(int threads) {
  namespace rnn = nabla::nn::utils::rnn;
  nabla::set_num_threads(threads);
  nabla::manual_seed(0);
  nabla::nn::LSTM lstm(nabla::nn::LSTMOptions(kInput, kHidden).batch_first(true).bidirectional(true));
  auto x = nabla::rand({kBatch, kMaxLen, kInput}).requires_grad_();
  auto lens = nabla::tensor(lengths());
  double check = 0;
  const double us = median_us([&] {
    auto [out, state] = lstm->forward_with_packed_input(rnn::pack_padded_sequence(x, lens, true, false));
    auto padded = std::get<0>(rnn::pad_packed_sequence(out, true));
    auto loss = padded.sum() + std::get<0>(state).sum();
    loss.backward();
    check = loss.item<double>();
  });
  std::printf("  (nabla loss %.5f)\n", check);
  return us;
}

double torch_us(int threads) {
  namespace rnn = torch::nn::utils::rnn;
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  torch::nn::LSTM lstm(torch::nn::LSTMOptions(kInput, kHidden).batch_first(true).bidirectional(true));
  auto x = torch::rand({kBatch, kMaxLen, kInput}).requires_grad_();
  auto lens = torch::tensor(lengths());
  double check = 0;
  const double us = median_us([&] {
    auto [out, state] = lstm->forward_with_packed_input(rnn::pack_padded_sequence(x, lens, true, false));
    auto padded = std::get<0>(rnn::pad_packed_sequence(out, true));
    auto loss = padded.sum() + std::get<0>(state).sum();
    loss.backward();
    check = loss.item<double>();
  });
  std::printf("  (libtorch loss %.5f)\n", check);
  return us;
}

}  // namespace

int main() {
  std::printf("packed bidirectional LSTM %lld -> %lld, batch %lld, lengths 3..%lld: forward + backward\n",
              static_cast<long long>(kInput), static_cast<long long>(kHidden), static_cast<long long>(kBatch),
              static_cast<long long>(kMaxLen));
  std::printf("%8s %12s %14s %24s\n", "threads", "nabla us", "libtorch us", "ratio (libtorch/nabla)");
  for (int threads : {1, 2}) {
    const double n = nabla_us(threads);
    const double t = torch_us(threads);
    std::printf("%8d %12.1f %14.1f %24.2f\n", threads, n, t, t / n);
  }
  return 0;
}
