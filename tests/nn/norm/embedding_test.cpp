// embedding and the Embedding module against PyTorch: lookups and weight gradients
// (padding_idx, scale_grad_by_freq, repeated and int32 indices), max_norm renormalisation,
// default initialisation bit for bit after manual_seed, from_pretrained, gradcheck and
// gradgradcheck, reprs and error messages.
#include <nabla/nn/functional/embedding.h>
#include <nabla/nn/modules/embedding.h>

#include "nn/norm/norm_testing.h"

using namespace nabla;
using nabla::autograd::variable_list;
using nabla::norm_testing::close;
using nabla::norm_testing::repr;
using nabla::testing::error_message;
using nabla::testing::sample;

TEST(Embedding, LookupAndGradientsMatchTorch) {
  namespace F = nn::functional;
  Tensor idx = tensor({{1, 3, 3, 0}, {4, 1, 0, 3}});
  Tensor idx32 = idx.to(kInt);
  for (ScalarType dt : {kFloat, kDouble}) {
    struct Case {
      std::string py;
      F::EmbeddingFuncOptions opts;
    };
    const std::vector<Case> cases = {
        {"", F::EmbeddingFuncOptions()},
        {", padding_idx=3", F::EmbeddingFuncOptions().padding_idx(3)},
        {", padding_idx=-5", F::EmbeddingFuncOptions().padding_idx(-5)},
        {", scale_grad_by_freq=True", F::EmbeddingFuncOptions().scale_grad_by_freq(true)},
        {", padding_idx=0, scale_grad_by_freq=True", F::EmbeddingFuncOptions().padding_idx(0).scale_grad_by_freq(true)},
    };
    for (const Case& c : cases) {
      for (const Tensor& ind : {idx, idx32}) {
        SCOPED_TRACE(c.py);
        Tensor w = sample({5, 3}, dt, 1).requires_grad_(true);
        Tensor gy = sample({2, 4, 3}, dt, 2);
        Tensor y = F::embedding(ind, w, c.opts);
        EXPECT_EQ(y.grad_fn()->name(), "EmbeddingBackward0");
        (y * gy).sum().backward();
        auto ref = oracle::run(
            "y = torch.nn.functional.embedding(i, w" + c.py + ")\n(y * gy).sum().backward()\nout = (y, w.grad)",
            {{"i", ind}, {"w", w}, {"gy", gy}});
        EXPECT_SAME(y, ref.tensor(0));
        EXPECT_TRUE(close(w.grad(), ref.tensor(1)));
      }
    }
  }
}

TEST(Embedding, StridedWeightAndScalarIndex) {
  Tensor w = sample({3, 6}, kFloat, 1).t();
  Tensor i = tensor(int64_t{4});
  EXPECT_SAME(embedding(w, i), oracle::eval("torch.embedding(w, i)", {{"w", w}, {"i", i}}));
  Tensor j = tensor({5, 0}).t();
  EXPECT_SAME(embedding(w, j), oracle::eval("torch.embedding(w, j)", {{"w", w}, {"j", j}}));
}

TEST(Embedding, GradcheckAndDoubleBackward) {
  Tensor w = sample({5, 3}, kDouble, 1).requires_grad_(true);
  Tensor idx = tensor({{1, 2, 2}, {0, 4, 2}});
  auto f = [&](const variable_list& in) { return embedding(in[0], idx, 2, true); };
  auto g = [&](const variable_list& in) { return embedding(in[0], idx); };
  // padding_idx and scale_grad_by_freq change the gradient on purpose (it is no longer the
  // derivative), so only the plain lookup passes gradcheck; the weight gradient is still
  // differentiated exactly (gradgradcheck of its linear map).
  EXPECT_TRUE(autograd::gradcheck(g, {w}));
  EXPECT_TRUE(autograd::gradgradcheck(g, {w}));
  EXPECT_TRUE(autograd::gradgradcheck(f, {w}));
  // The weight gradient is linear in the output gradient: differentiate through it.
  Tensor gy = sample({2, 3, 3}, kDouble, 2).requires_grad_(true);
  Tensor y = embedding(w, idx, 2, true);
  auto gw = autograd::grad({y}, {w}, {gy}, std::nullopt, true)[0];
  EXPECT_EQ(gw.grad_fn()->name(), "EmbeddingDenseBackward0");
  (gw * gw).sum().backward();
  auto ref = oracle::run(
      "y = torch.embedding(w, i, 2, True)\ngw, = torch.autograd.grad(y, w, gy, create_graph=True)\n"
      "(gw * gw).sum().backward()\nout = (gw, gy.grad)",
      {{"w", w}, {"i", idx}, {"gy", gy}});
  EXPECT_TRUE(close(gw, ref.tensor(0)));
  EXPECT_TRUE(close(gy.grad(), ref.tensor(1)));
}

TEST(Embedding, MaxNormRenormalisesInPlace) {
  namespace F = nn::functional;
  for (double norm_type : {2.0, 1.0}) {
    Tensor w = sample({6, 4}, kFloat, 3).requires_grad_(true);
    Tensor idx = tensor({0, 2, 2, 5});
    Tensor w0 = w.detach().clone();
    Tensor y = F::embedding(idx, w, F::EmbeddingFuncOptions().max_norm(1.5).norm_type(norm_type));
    y.sum().backward();
    auto ref = oracle::run(
        "w = w0.clone().requires_grad_()\n"
        "y = torch.nn.functional.embedding(i, w, max_norm=1.5, norm_type=" +
            std::to_string(norm_type) + ")\ny.sum().backward()\nout = (y, w.detach(), w.grad)",
        {{"w0", w0}, {"i", idx}});
    EXPECT_TRUE(close(y, ref.tensor(0)));
    EXPECT_TRUE(close(w.detach(), ref.tensor(1)));
    EXPECT_TRUE(close(w.grad(), ref.tensor(2)));
  }
}

TEST(Embedding, ModuleInitBitExactAfterSeed) {
  for (int seed : {0, 7}) {
    manual_seed(static_cast<uint64_t>(seed));
    nn::Embedding plain(10, 3);
    nn::Embedding padded(nn::EmbeddingOptions(20, 5).padding_idx(-2));
    auto ref = oracle::run("torch.manual_seed(" + std::to_string(seed) +
                           ")\na = torch.nn.Embedding(10, 3)\nb = torch.nn.Embedding(20, 5, padding_idx=-2)\n"
                           "out = (a.weight.detach(), b.weight.detach(), b.padding_idx)");
    EXPECT_SAME(plain->weight.detach(), ref.tensor(0));
    EXPECT_SAME(padded->weight.detach(), ref.tensor(1));
    EXPECT_EQ(*padded->options.padding_idx(), ref.tensor(2).item<int64_t>());
    EXPECT_TRUE(plain->weight.requires_grad());
  }
  nn::Embedding emb(nn::EmbeddingOptions(6, 2).padding_idx(1));
  Tensor idx = tensor({1, 2, 1});
  emb(idx).sum().backward();
  EXPECT_SAME(emb->weight.grad()[1], zeros({2}));
  EXPECT_SAME(emb->weight.grad()[2], ones({2}));
}

TEST(Embedding, FromPretrained) {
  Tensor table = sample({4, 3}, kFloat, 1);
  nn::Embedding frozen = nn::Embedding::from_pretrained(table);
  EXPECT_FALSE(frozen->weight.requires_grad());
  EXPECT_SAME(frozen(tensor({3, 0})),
              oracle::eval("torch.nn.Embedding.from_pretrained(t)(torch.tensor([3, 0]))", {{"t", table}}));
  nn::Embedding trained =
      nn::Embedding::from_pretrained(table.clone(), nn::EmbeddingFromPretrainedOptions().freeze(false).padding_idx(0));
  EXPECT_TRUE(trained->weight.requires_grad());
  EXPECT_SAME(trained->weight, table);  // padding row not zeroed, as in PyTorch
  EXPECT_EQ(repr(trained), oracle::run("out = repr(torch.nn.Embedding.from_pretrained(t, freeze=False, padding_idx=0))",
                                       {{"t", table}})
                               .strings[0]);
  EXPECT_EQ(error_message([&] { nn::Embedding::from_pretrained(ones({3})); }),
            "Embeddings parameter is expected to be 2-dimensional");
}

TEST(Embedding, Reprs) {
  auto py = [](const std::string& e) { return oracle::run("out = repr(" + e + ")").strings[0]; };
  EXPECT_EQ(repr(nn::Embedding(10, 3)), py("torch.nn.Embedding(10, 3)"));
  EXPECT_EQ(repr(nn::Embedding(nn::EmbeddingOptions(10, 3).padding_idx(0))),
            py("torch.nn.Embedding(10, 3, padding_idx=0)"));
  EXPECT_EQ(
      repr(nn::Embedding(
          nn::EmbeddingOptions(10, 3).padding_idx(-1).max_norm(1.0).norm_type(1.0).scale_grad_by_freq(true).sparse(
              true))),
      py("torch.nn.Embedding(10, 3, padding_idx=-1, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, "
         "sparse=True)"));
}

TEST(Embedding, Errors) {
  Tensor w = sample({3, 2}), w1 = sample({3}), i5 = tensor({5}), im = tensor({-1}), fi = tensor({1.0});
  oracle::Inputs in = {{"w", w}, {"w1", w1}, {"i5", i5}, {"im", im}, {"fi", fi}};
  auto check = [&](const std::string& code, auto fn) { EXPECT_EQ(error_message(fn), oracle::error_of(code, in)); };
  namespace F = nn::functional;
  check("torch.nn.functional.embedding(i5, w)", [&] { F::embedding(i5, w); });
  check("torch.nn.functional.embedding(im, w)", [&] { F::embedding(im, w); });
  check("torch.nn.functional.embedding(fi, w)", [&] { F::embedding(fi, w); });
  check("torch.nn.functional.embedding(i5, w1)", [&] { F::embedding(i5, w1); });
  check("torch.nn.functional.embedding(i5, w, padding_idx=3)",
        [&] { F::embedding(i5, w, F::EmbeddingFuncOptions().padding_idx(3)); });
  check("torch.nn.functional.embedding(i5, w, padding_idx=-4)",
        [&] { F::embedding(i5, w, F::EmbeddingFuncOptions().padding_idx(-4)); });
  check("torch.nn.Embedding(3, 2, padding_idx=3)", [&] { nn::Embedding(nn::EmbeddingOptions(3, 2).padding_idx(3)); });
  check("torch.nn.Embedding(3, 2, padding_idx=-4)", [&] { nn::Embedding(nn::EmbeddingOptions(3, 2).padding_idx(-4)); });
  check("torch.nn.Embedding(3, 2, _weight=torch.ones(2, 2))", [&] {
    nn::Embedding(nn::EmbeddingOptions(3, 2)._weight(ones({2, 2})));
  });
  check("torch.embedding_renorm_(w1, i5, 1.0, 2.0)", [&] { embedding_renorm_(w1, i5, 1.0, 2.0); });
}
