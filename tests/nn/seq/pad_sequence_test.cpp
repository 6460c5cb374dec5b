// nn::utils::rnn::pad_sequence against torch.nn.utils.rnn.pad_sequence: values for both
// layouts, trailing dims, padding values and dtypes, gradients, gradcheck, errors.
#include <nabla/nn/utils/rnn.h>

#include <string>
#include <vector>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::testing::sample;
using nn::utils::rnn::pad_sequence;

TEST(PadSequence, MatchesTorch) {
  for (ScalarType dt : {kFloat, kDouble, kLong}) {
    std::vector<Tensor> seqs = {sample({3, 2}, dt, 1), sample({5, 2}, dt, 2), sample({1, 2}, dt, 3)};
    oracle::Inputs in = {{"a", seqs[0]}, {"b", seqs[1]}, {"c", seqs[2]}};
    for (bool bf : {false, true}) {
      for (double pad : {0.0, -1.5}) {
        const std::string call = std::string("torch.nn.utils.rnn.pad_sequence([a, b, c], batch_first=") +
                                 (bf ? "True" : "False") + ", padding_value=" + std::to_string(pad) + ")";
        EXPECT_TRUE(same(pad_sequence(seqs, bf, pad), oracle::eval(call, in))) << dt << bf << pad;
      }
    }
  }
  // 1-D sequences, 3-D sequences, one sequence, a broadcast trailing dim, mixed dtypes.
  std::vector<Tensor> one_d = {sample({4}), sample({2}, kFloat, 1)};
  EXPECT_SAME(pad_sequence(one_d),
              oracle::eval("torch.nn.utils.rnn.pad_sequence([a, b])", {{"a", one_d[0]}, {"b", one_d[1]}}));
  std::vector<Tensor> three_d = {sample({2, 3, 2}),
                                 sample({4, 3, 2}, kFloat, 1).transpose(1, 2).contiguous().transpose(1, 2)};
  EXPECT_SAME(pad_sequence(three_d, true, 7),
              oracle::eval("torch.nn.utils.rnn.pad_sequence([a, b], True, 7)", {{"a", three_d[0]}, {"b", three_d[1]}}));
  EXPECT_SAME(pad_sequence({sample({3, 2})}),
              oracle::eval("torch.nn.utils.rnn.pad_sequence([a])", {{"a", sample({3, 2})}}));
  std::vector<Tensor> bcast = {sample({2, 3}), sample({3, 1}, kFloat, 1)};
  EXPECT_SAME(pad_sequence(bcast),
              oracle::eval("torch.nn.utils.rnn.pad_sequence([a, b])", {{"a", bcast[0]}, {"b", bcast[1]}}));
  std::vector<Tensor> mixed = {sample({2, 2}, kDouble), sample({3, 2}, kLong, 1)};
  EXPECT_SAME(pad_sequence(mixed),
              oracle::eval("torch.nn.utils.rnn.pad_sequence([a, b])", {{"a", mixed[0]}, {"b", mixed[1]}}));
}

TEST(PadSequence, GradientsMatchTorch) {
  Tensor a = sample({3, 2}).requires_grad_(), b = sample({5, 2}, kFloat, 1).requires_grad_();
  Tensor out = pad_sequence({a, b}, true, 2.0);
  Tensor g = sample(out.sizes(), kFloat, 9);
  (out * g).sum().backward();
  auto ref = oracle::run(
      "o = torch.nn.utils.rnn.pad_sequence([a, b], True, 2.0)\n(o * g).sum().backward()\nout = (a.grad, b.grad)",
      {{"a", a}, {"b", b}, {"g", g}});
  EXPECT_SAME(a.grad(), ref.tensor(0));
  EXPECT_SAME(b.grad(), ref.tensor(1));
}

TEST(PadSequence, Gradcheck) {
  Tensor a = sample({3, 2}, kDouble).requires_grad_();
  Tensor b = sample({2, 4}, kDouble, 1).requires_grad_().t();  // non-contiguous (4, 2)
  for (bool bf : {false, true}) {
    auto f = [bf](const autograd::variable_list& in) { return pad_sequence({in[0], in[1]}, bf, -1); };
    EXPECT_TRUE(autograd::gradcheck(f, {a, b}));
    EXPECT_TRUE(autograd::gradgradcheck(f, {a, b}));
  }
}

TEST(PadSequence, ErrorsAsTorch) {
  EXPECT_EQ(error_message([] { pad_sequence({}); }), oracle::error_of("torch.nn.utils.rnn.pad_sequence([])"));
  EXPECT_EQ(error_message([] {
              pad_sequence({zeros({2, 3}), zeros({2, 4})});
            }),
            oracle::error_of("torch.nn.utils.rnn.pad_sequence([torch.zeros(2, 3), torch.zeros(2, 4)])"));
}
