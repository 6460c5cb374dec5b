// Text batching: data::Vocabulary (UTF-8 characters and words, frequency order, encode/decode,
// saved and loaded through safetensors, checks of what it loads), data::transforms::PadSequences
// with a DataLoader and data::samplers::BucketSampler (every example once, batches sorted by
// length within buckets), and the zero gradient that Embedding's padding_idx gives padding
// positions, against PyTorch.
#include <nabla/data.h>
#include <nabla/nn/modules/embedding.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;

TEST(Vocabulary, CharactersByFrequencyEncodeDecode) {
  auto v = data::Vocabulary::build({"straße", "rosa", "été"});
  // <pad>, <unk>, then by decreasing count with ties in code point order, as Python's sorted(counts.items(), key=lambda
  // kv: (-kv[1], kv[0])).
  auto ref = oracle::run(
      "import collections\nc = collections.Counter(ch for w in ['straße', 'rosa', 'été'] for ch in w)\n"
      "out = ' '.join(['<pad>', '<unk>'] + [ch for ch, _ in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))])");
  std::string mine;
  for (const auto& t : v.tokens()) mine += (mine.empty() ? "" : " ") + t;
  EXPECT_EQ(mine, ref.strings.at(0));
  Tensor ids = v.encode("straßex");
  EXPECT_EQ(ids.scalar_type(), kLong);
  EXPECT_EQ(ids.size(0), 7);
  EXPECT_EQ(ids[6].item<int64_t>(), v.unk_index());
  EXPECT_EQ(v.decode(v.encode("rosé")), "rosé");
  EXPECT_EQ(v.decode(cat({v.encode("été"), zeros({2}, TensorOptions().dtype(kLong))})), "été");
  EXPECT_EQ(v.token(v.index("ß")), "ß");
  EXPECT_EQ(v.index("<pad>"), v.pad_index());

  auto w = data::Vocabulary::build({"a b  a", "c\ta"}, data::Vocabulary::Level::Word, 1, 4);
  EXPECT_EQ(w.size(), 4);  // <pad> <unk> a b (capped)
  EXPECT_EQ(w.decode(w.encode("a c b")), "a <unk> b");
}

TEST(Vocabulary, SavedAndLoaded) {
  auto v = data::Vocabulary::build({"über", "año", "naïve"});
  const std::string path = ::testing::TempDir() + "nabla_vocabulary_test.safetensors";
  v.save(path);
  auto back = data::Vocabulary::load(path);
  EXPECT_EQ(back.tokens(), v.tokens());
  EXPECT_EQ(back.level(), v.level());
  auto tensors = v.to_tensors("vocab.");
  EXPECT_EQ(data::Vocabulary::from_tensors(tensors, "vocab.").tokens(), v.tokens());
  std::remove(path.c_str());
}

TEST(Vocabulary, Errors) {
  data::Vocabulary v;
  EXPECT_EQ(error_message([&] { v.tokenize("ab\xff"); }), "Vocabulary: invalid UTF-8 at byte offset 2 of the text");
  EXPECT_EQ(error_message([&] { v.tokenize("\xc0\xaf"); }), "Vocabulary: invalid UTF-8 at byte offset 0 of the text");
  EXPECT_EQ(error_message([&] { v.token(2); }), "Vocabulary: index 2 is out of range for a vocabulary of 2 tokens");
  EXPECT_EQ(error_message([&] {
              v.decode(zeros({1, 2}, TensorOptions().dtype(kLong)));
            }),
            "Vocabulary: decode expects a 1-D tensor of indices, got 2-D");
  auto bytes = [](const std::string& s) {
    std::vector<int64_t> b(s.begin(), s.end());
    for (auto& x : b) x &= 0xFF;
    return tensor(b).to(kByte);
  };
  const Tensor level = tensor({int64_t{0}});
  EXPECT_EQ(
      error_message([&] {
        data::Vocabulary::from_tensors({{"tokens", bytes(std::string("<pad>\0<unk>\0a\0a\0", 16))}, {"level", level}});
      }),
      "Vocabulary: the token 'a' appears twice");
  EXPECT_EQ(error_message([&] {
              data::Vocabulary::from_tensors({{"tokens", bytes(std::string("<unk>\0<pad>\0", 12))}, {"level", level}});
            }),
            "Vocabulary: 'tokens' must start with <pad> and <unk>");
  EXPECT_EQ(
      error_message([&] {
        data::Vocabulary::from_tensors({{"tokens", bytes(std::string("<pad>\0<unk>\0\xe9\0", 14))}, {"level", level}});
      }),
      "Vocabulary: invalid UTF-8 at byte offset 12 of 'tokens'");
  EXPECT_EQ(error_message([&] {
              data::Vocabulary::from_tensors({{"tokens", bytes("<pad>")}, {"level", level}});
            }),
            "Vocabulary: 'tokens' must end with a 0 byte");
  EXPECT_EQ(error_message([&] {
              data::Vocabulary::from_tensors({{"level", level}});
            }),
            "Vocabulary: expected the tensors 'tokens' and 'level'");
  EXPECT_EQ(error_message([&] {
              data::Vocabulary::from_tensors(
                  {{"tokens", bytes(std::string("<pad>\0<unk>\0", 12))}, {"level", tensor({int64_t{3}})}});
            }),
            "Vocabulary: 'level' must be 0 (character) or 1 (word), got 3");
  EXPECT_EQ(error_message([&] {
              data::Vocabulary::from_tensors({{"tokens", tensor({int64_t{0}})}, {"level", level}});
            }),
            "Vocabulary: 'tokens' must be a 1-D uint8 tensor");
  EXPECT_EQ(error_message([&] {
              data::Vocabulary::from_tensors(
                  {{"tokens", bytes(std::string("<pad>\0<unk>\0", 12))}, {"level", tensor({0.5})}});
            }),
            "Vocabulary: 'level' must be one int64 value");
  EXPECT_EQ(error_message([&] { data::Vocabulary::build({std::string("a\0b", 3)}); }),
            "Vocabulary: a token may not contain a 0 byte");
  const std::string missing = ::testing::TempDir() + "nabla_no_such_vocabulary.safetensors";
  EXPECT_NE(error_message([&] { data::Vocabulary::load(missing); }).find(missing), std::string::npos);
}

namespace {

class Sequences : public data::Dataset<Sequences> {
 public:
  explicit Sequences(std::vector<int64_t> lengths) : lengths_(std::move(lengths)) {}
  data::Example<> get(size_t i) override {
    return {full({lengths_[i]}, static_cast<int64_t>(i) + 1, TensorOptions().dtype(kLong)),
            tensor(static_cast<int64_t>(i))};
  }
  std::optional<size_t> size() const override { return lengths_.size(); }

 private:
  std::vector<int64_t> lengths_;
};

}  // namespace

TEST(BucketSampler, PaddedBatchesOfSimilarLengths) {
  std::vector<int64_t> lengths;
  for (int i = 0; i < 103; ++i) lengths.push_back(1 + (i * 37) % 11);
  auto sampler = std::make_unique<data::samplers::BucketSampler>(lengths, 8, 4, make_generator<CPUGeneratorImpl>(5));
  data::DataLoader<Sequences, data::transforms::PaddedBatch> loader(
      Sequences(lengths), data::DataLoaderOptions(8), std::move(sampler), data::transforms::PadSequences(0, true));
  for (int epoch = 0; epoch < 2; ++epoch) {
    std::multiset<int64_t> seen;
    size_t batches = 0;
    for (auto& b : loader) {
      ++batches;
      const int64_t n = b.target.size(0);
      EXPECT_TRUE(n == 8 || batches == 13) << "only the last batch may be short";
      EXPECT_EQ(b.data.size(0), n);
      int64_t prev = 1 << 30;
      for (int64_t i = 0; i < n; ++i) {
        const auto idx = b.target[i].item<int64_t>();
        const int64_t len = b.lengths[i].item<int64_t>();
        seen.insert(idx);
        EXPECT_EQ(len, lengths[static_cast<size_t>(idx)]);
        EXPECT_LE(len, prev) << "sorted by decreasing length within the batch";
        prev = len;
        // The example's values, then padding zeros.
        EXPECT_EQ(b.data[i].narrow(0, 0, len).eq(idx + 1).all().item<bool>(), true);
        EXPECT_EQ(b.data[i].narrow(0, len, b.data.size(1) - len).eq(0).all().item<bool>(), true);
      }
    }
    EXPECT_EQ(batches, 13u);
    EXPECT_EQ(seen.size(), 103u);
    EXPECT_EQ(std::set<int64_t>(seen.begin(), seen.end()).size(), 103u) << "every example exactly once";
  }
  EXPECT_EQ(error_message([] {
              data::samplers::BucketSampler({1, 2}, 0);
            }),
            "batch_size should be a positive integer value, but got batch_size=0");
  EXPECT_EQ(error_message([] { data::transforms::PadSequences()({}); }), "PadSequences: received an empty batch");
  EXPECT_EQ(error_message([] {
              data::samplers::BucketSampler({1, 2}, 2, 0);
            }),
            "BucketSampler: bucket_batches should be positive, got 0");
  EXPECT_EQ(error_message([] {
              data::samplers::BucketSampler({1, 2}, 2).reset(3);
            }),
            "BucketSampler: the dataset has 2 examples (their lengths were given); cannot resize it to 3");
  EXPECT_EQ(error_message([] {
              data::transforms::PadSequences()({data::Example<>{tensor(int64_t{1}), tensor(int64_t{0})}});
            }),
            "PadSequences: an example's data must be a sequence (at least 1-D), got 0-D");
}

TEST(EmbeddingPadding, PaddingPositionsGetZeroGradientAsTorch) {
  manual_seed(0);
  nn::Embedding emb(nn::EmbeddingOptions(6, 3).padding_idx(0));
  Tensor batch = tensor({{2, 5, 1, 0, 0}, {3, 0, 0, 0, 0}, {4, 4, 2, 1, 5}});
  Tensor g = nabla::testing::sample({3, 5, 3}, kFloat, 3);
  (emb(batch) * g).sum().backward();
  auto ref = oracle::run(
      "m = torch.nn.Embedding(6, 3, padding_idx=0)\nwith torch.no_grad():\n  m.weight.copy_(w)\n"
      "(m(batch) * g).sum().backward()\nout = m.weight.grad",
      {{"w", emb->weight.detach()}, {"batch", batch}, {"g", g}});
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_TRUE(same(emb->weight.grad(), ref.tensor(0)));
  EXPECT_EQ(emb->weight.grad()[0].eq(0).all().item<bool>(), true);
}
