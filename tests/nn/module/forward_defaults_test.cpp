// Default arguments of forward() through Sequential and AnyModule (Note [Default arguments of
// forward]), as libtorch's FORWARD_HAS_DEFAULT_ARGS.
#include <tuple>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {
struct ScaleImpl : nn::Cloneable<ScaleImpl> {
  void reset() override {}
  Tensor forward(const Tensor& x, double factor = 2.0, int64_t shift = 1) { return x * factor + shift; }
  NABLA_FORWARD_HAS_DEFAULT_ARGS({1, nn::AnyValue(2.0)}, {2, nn::AnyValue(int64_t{1})})
};
NABLA_MODULE(Scale);

struct NoMacroImpl : nn::Cloneable<NoMacroImpl> {
  void reset() override {}
  Tensor forward(const Tensor& x, double factor = 2.0) { return x * factor; }
};
NABLA_MODULE(NoMacro);
}  // namespace

TEST(ForwardDefaults, SequentialFillsInTheDefaults) {
  nn::ConvTranspose2d deconv(nn::ConvTranspose2dOptions(2, 1, 3).stride(2));
  nn::Sequential seq(deconv, nn::Tanh());
  Tensor x = sample({1, 2, 4, 4});
  EXPECT_SAME(seq->forward(x), tanh(deconv(x)));
  nn::AnyModule any(deconv);
  EXPECT_SAME(any.forward(x), deconv(x));
  EXPECT_SAME(any.forward(x, std::optional<IntArrayRef>(IntArrayRef{10, 10})), deconv(x, IntArrayRef{10, 10}));
}

TEST(ForwardDefaults, UserModuleWithSeveralDefaults) {
  nn::AnyModule any(Scale{});
  Tensor x = sample({3});
  EXPECT_SAME(any.forward(x), x * 2.0 + 1);
  EXPECT_SAME(any.forward(x, 3.0), x * 3.0 + 1);
  EXPECT_SAME(any.forward(x, 3.0, int64_t{5}), x * 3.0 + 5);
  EXPECT_EQ(error_message([&] { any.forward(); }),
            "(anonymous namespace)::ScaleImpl's forward() method expects at least 1 argument(s) and at most 3 "
            "argument(s), but received 0.");
  EXPECT_EQ(error_message([&] { any.forward(x, 1.0, int64_t{1}, 1.0); }),
            "(anonymous namespace)::ScaleImpl's forward() method expects at least 1 argument(s) and at most 3 "
            "argument(s), but received 4.");
}

TEST(ForwardDefaults, WithoutTheMacroTheErrorSaysWhatToDo) {
  nn::Sequential seq(NoMacro{});
  EXPECT_EQ(error_message([&] { seq->forward(sample({2})); }),
            "(anonymous namespace)::NoMacroImpl's forward() method expects 2 argument(s), but received 1. If "
            "(anonymous namespace)::NoMacroImpl's forward() method has default arguments, please make sure the "
            "forward() method is declared with a corresponding `FORWARD_HAS_DEFAULT_ARGS` macro.");
}

TEST(ForwardDefaults, RecurrentModulesAndAttention) {
  manual_seed(0);
  Tensor x = sample({5, 2, 3});
  nn::GRU gru(3, 4);
  nn::AnyModule g(gru);
  EXPECT_SAME(std::get<0>(g.forward<std::tuple<Tensor, Tensor>>(x)), std::get<0>(gru(x)));
  nn::LSTM lstm(3, 4);
  nn::AnyModule l(lstm);
  using LSTMOut = std::tuple<Tensor, std::tuple<Tensor, Tensor>>;
  EXPECT_SAME(std::get<0>(l.forward<LSTMOut>(x)), std::get<0>(lstm(x)));
  nn::RNN rnn(3, 4);
  EXPECT_SAME(std::get<0>(nn::AnyModule(rnn).forward<std::tuple<Tensor, Tensor>>(x)), std::get<0>(rnn(x)));
  Tensor step = sample({2, 3});
  nn::RNNCell rc(3, 4);
  nn::GRUCell gc(3, 4);
  nn::LSTMCell lc(3, 4);
  EXPECT_SAME(nn::AnyModule(rc).forward(step), rc(step));
  EXPECT_SAME(nn::AnyModule(gc).forward(step), gc(step));
  EXPECT_SAME(std::get<1>(nn::AnyModule(lc).forward<std::tuple<Tensor, Tensor>>(step)), std::get<1>(lc(step)));
  nn::MultiheadAttention mha(4, 2);
  Tensor q = sample({3, 2, 4});
  auto [out, weights] = nn::AnyModule(mha).forward<std::tuple<Tensor, Tensor>>(q, q, q);
  EXPECT_SAME(out, std::get<0>(mha(q, q, q)));
  EXPECT_SAME(weights, std::get<1>(mha(q, q, q)));
}

TEST(ForwardDefaults, TransformerLayersInASequential) {
  manual_seed(0);
  nn::TransformerEncoderLayer enc(nn::TransformerEncoderLayerOptions(4, 2).dropout(0.0));
  nn::Sequential seq(enc, nn::ReLU());
  Tensor src = sample({3, 2, 4});
  EXPECT_SAME(seq->forward(src), relu(enc(src)));
  nn::TransformerDecoderLayer dec(nn::TransformerDecoderLayerOptions(4, 2).dropout(0.0));
  Tensor memory = sample({5, 2, 4});
  nn::AnyModule any(dec);
  EXPECT_SAME(any.forward(src, memory), dec(src, memory));
  Tensor mask = nn::generate_square_subsequent_mask(3);
  EXPECT_SAME(any.forward(src, memory, mask), dec(src, memory, mask));
}
