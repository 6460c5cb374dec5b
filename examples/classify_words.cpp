// Which language is a word from? A character-level classifier trained on Debian's word lists
// (wamerican, wngerman, wfrench, wspanish, witalian, wportuguese in /usr/share/dict), from raw
// UTF-8 words to a trained model:
//   - words that occur in more than one list are dropped; each language gives the same number
//     of words (drawn with torch.randperm from a generator seeded with --seed), the first tenth
//     of them for the test set;
//   - a character vocabulary (data::Vocabulary: <pad> = 0, <unk> = 1) built on the training
//     words; words are batched by length (data::samplers::BucketSampler) and padded
//     (data::transforms::PadSequences);
//   - the model: an Embedding with padding_idx 0, then either a bidirectional LSTM over the packed
//     batch (nn::utils::rnn::pack_padded_sequence, LSTM::forward_with_packed_input; the final
//     states of both directions) or, with --model transformer, a TransformerEncoder with the
//     padding mask and a masked mean; a Linear to the six languages;
//   - a progress bar per epoch, test accuracy per epoch, per-language accuracy and the confusion
//     matrix at the end; OUT/model.safetensors (PyTorch's keys) and OUT/vocabulary.safetensors,
//     reloaded into a fresh model to check that the predictions are the same.
// examples/classify_words.py is the same program in PyTorch (same data, split, initialisation
// and batch order): see the README for both accuracies.
//   build/examples/classify_words                        # BiLSTM, 12,000 words per language
//   build/examples/classify_words --model transformer
//   build/examples/classify_words --load runs/classify_words --predict Haus house maison casa
#include <nabla/nabla.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "progress_bar.h"

using namespace nabla;
using Clock = std::chrono::steady_clock;

namespace {

struct Language {
  const char* name;
  const char* file;
};
const std::vector<Language> kLanguages = {
    {"english", "american-english"}, {"german", "ngerman"},  {"french", "french"},
    {"spanish", "spanish"},          {"italian", "italian"}, {"portuguese", "portuguese"}};
constexpr int64_t kMaxLength = 64;  // positions of the transformer's position embedding

struct Config {
  std::string model = "lstm";
  int64_t per_language = 12000;
  int64_t epochs = 3;
  int64_t batch_size = 64;
  double lr = 2e-3;
  int64_t embed = 32, hidden = 64;
  uint64_t seed = 0;
  int threads = 1;
  std::string dict = "/usr/share/dict";
  std::string out = "runs/classify_words";
  std::string load;
  std::vector<std::string> predict;
};

struct Split {
  std::vector<std::string> train_words, test_words;
  std::vector<int64_t> train_labels, test_labels;
};

std::vector<std::string> read_words(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  NABLA_CHECK(in.good(), "cannot read the word list '", path,
              "' (install wamerican wngerman wfrench wspanish witalian wportuguese)");
  std::set<std::string> words;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) words.insert(line);
  }
  return {words.begin(), words.end()};  // sorted bytewise: code point order, as Python's sorted()
}

// The same data and split as classify_words.py: unique words of each list, those in several lists
// dropped, per_language drawn by randperm from one generator, the first tenth for testing.
Split load_split(const Config& c) {
  std::vector<std::vector<std::string>> lists;
  std::map<std::string, int> seen;
  for (const Language& l : kLanguages) {
    lists.push_back(read_words(c.dict + "/" + l.file));
    for (const std::string& w : lists.back()) ++seen[w];
  }
  Generator gen = make_generator<CPUGeneratorImpl>(c.seed);
  Split s;
  const int64_t n_test = c.per_language / 10;
  for (size_t k = 0; k < lists.size(); ++k) {
    std::vector<std::string> unique;
    for (const std::string& w : lists[k])
      if (seen[w] == 1) unique.push_back(w);
    NABLA_CHECK(static_cast<int64_t>(unique.size()) >= c.per_language, kLanguages[k].name, " has only ", unique.size(),
                " words of its own; ask for fewer with --per-language");
    Tensor perm = randperm(static_cast<int64_t>(unique.size()), gen);
    for (int64_t i = 0; i < c.per_language; ++i) {
      const std::string& w = unique[static_cast<size_t>(perm[i].item<int64_t>())];
      (i < n_test ? s.test_words : s.train_words).push_back(w);
      (i < n_test ? s.test_labels : s.train_labels).push_back(static_cast<int64_t>(k));
    }
  }
  return s;
}

// Words as (token ids, label) examples.
class Words : public data::Dataset<Words> {
 public:
  Words(const std::vector<std::string>& words, const std::vector<int64_t>& labels, const data::Vocabulary& vocab) {
    for (size_t i = 0; i < words.size(); ++i) {
      examples_.push_back({vocab.encode(words[i]), tensor(labels[i])});
      NABLA_CHECK(examples_.back().data.size(0) <= kMaxLength, "the word '", words[i], "' is longer than ", kMaxLength,
                  " characters");
    }
  }
  data::Example<> get(size_t index) override { return examples_[index]; }
  std::optional<size_t> size() const override { return examples_.size(); }
  std::vector<int64_t> lengths() const {
    std::vector<int64_t> out;
    for (const auto& e : examples_) out.push_back(e.data.size(0));
    return out;
  }

 private:
  std::vector<data::Example<>> examples_;
};

// Embedding → packed bidirectional LSTM → both directions' final states → Linear.
struct LSTMClassifierImpl : nn::Cloneable<LSTMClassifierImpl> {
  LSTMClassifierImpl(int64_t vocab, int64_t embed_dim, int64_t hidden_size, int64_t classes)
      : vocab_(vocab), embed_dim_(embed_dim), hidden_(hidden_size), classes_(classes) {
    reset();
  }
  void reset() override {
    embed = register_module("embed", nn::Embedding(nn::EmbeddingOptions(vocab_, embed_dim_).padding_idx(0)));
    lstm =
        register_module("lstm", nn::LSTM(nn::LSTMOptions(embed_dim_, hidden_).batch_first(true).bidirectional(true)));
    head = register_module("head", nn::Linear(2 * hidden_, classes_));
  }
  Tensor forward(const Tensor& tokens, const Tensor& lengths) {
    auto packed = nn::utils::rnn::pack_padded_sequence(embed(tokens), lengths, /*batch_first=*/true,
                                                       /*enforce_sorted=*/false);
    auto [out, state] = lstm->forward_with_packed_input(packed);
    const Tensor& h_n = std::get<0>(state);  // (2, B, H): forward and backward final states
    return head(cat({h_n[0], h_n[1]}, 1));
  }
  int64_t vocab_, embed_dim_, hidden_, classes_;
  nn::Embedding embed = nullptr;
  nn::LSTM lstm = nullptr;
  nn::Linear head = nullptr;
};
NABLA_MODULE(LSTMClassifier);

// Embedding + position embedding → TransformerEncoder with the padding mask → mean over the
// word's characters → Linear.
struct TransformerClassifierImpl : nn::Cloneable<TransformerClassifierImpl> {
  TransformerClassifierImpl(int64_t vocab, int64_t d_model, int64_t classes)
      : vocab_(vocab), d_model_(d_model), classes_(classes) {
    reset();
  }
  void reset() override {
    embed = register_module("embed", nn::Embedding(nn::EmbeddingOptions(vocab_, d_model_).padding_idx(0)));
    pos = register_module("pos", nn::Embedding(kMaxLength, d_model_));
    nn::TransformerEncoderLayer layer(
        nn::TransformerEncoderLayerOptions(d_model_, 4).dim_feedforward(2 * d_model_).dropout(0.1).batch_first(true));
    encoder = register_module("encoder", nn::TransformerEncoder(layer, 2));
    head = register_module("head", nn::Linear(d_model_, classes_));
  }
  Tensor forward(const Tensor& tokens, const Tensor& lengths) {
    const Tensor padding = tokens.eq(0);  // (B, T): true at padding
    Tensor x = embed(tokens) + pos(arange(tokens.size(1)));
    Tensor y = encoder(x, Tensor(), padding);
    Tensor keep = padding.logical_not().unsqueeze(-1).to(y.scalar_type());
    return head((y * keep).sum(1) / lengths.unsqueeze(1).to(y.scalar_type()));
  }
  int64_t vocab_, d_model_, classes_;
  nn::Embedding embed = nullptr, pos = nullptr;
  nn::TransformerEncoder encoder = nullptr;
  nn::Linear head = nullptr;
};
NABLA_MODULE(TransformerClassifier);

// Either model behind one forward.
struct Classifier {
  std::shared_ptr<nn::Module> module;
  std::function<Tensor(const Tensor&, const Tensor&)> forward;
};

Classifier make_model(const Config& c, int64_t vocab) {
  const auto classes = static_cast<int64_t>(kLanguages.size());
  if (c.model == "transformer") {
    TransformerClassifier m(vocab, c.embed, classes);
    return {m.ptr(), [m](const Tensor& t, const Tensor& l) mutable { return m->forward(t, l); }};
  }
  LSTMClassifier m(vocab, c.embed, c.hidden, classes);
  return {m.ptr(), [m](const Tensor& t, const Tensor& l) mutable { return m->forward(t, l); }};
}

using Loader = data::DataLoader<Words, data::transforms::PaddedBatch>;

// The model's predictions for words, in batches (eval mode, no grad).
std::vector<int64_t> predict(Classifier& m, const data::Vocabulary& vocab, const std::vector<std::string>& words) {
  NoGradGuard no_grad;
  m.module->eval();
  std::vector<int64_t> out;
  data::transforms::PadSequences collate(0, true);
  for (size_t start = 0; start < words.size(); start += 512) {
    std::vector<data::Example<>> batch;
    for (size_t i = start; i < std::min(words.size(), start + 512); ++i)
      batch.push_back({vocab.encode(words[i]), tensor(int64_t{0})});
    auto b = collate(std::move(batch));
    Tensor pred = m.forward(b.data, b.lengths).argmax(1);
    for (int64_t i = 0; i < pred.size(0); ++i) out.push_back(pred[i].item<int64_t>());
  }
  return out;
}

OrderedDict<std::string, Tensor> as_state_dict(const NamedTensors& tensors) {
  OrderedDict<std::string, Tensor> d;
  for (const auto& [name, t] : tensors) d.insert(name, t);
  return d;
}

void print_report(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred) {
  const size_t n = kLanguages.size();
  std::vector<std::vector<int64_t>> confusion(n, std::vector<int64_t>(n, 0));
  for (size_t i = 0; i < labels.size(); ++i) ++confusion[static_cast<size_t>(labels[i])][static_cast<size_t>(pred[i])];
  std::printf("\nper-language test accuracy and confusion matrix (rows: true language, columns: predicted)\n");
  std::printf("%-11s %8s ", "", "accuracy");
  for (const Language& l : kLanguages) std::printf(" %7.7s", l.name);
  std::printf("\n");
  for (size_t r = 0; r < n; ++r) {
    int64_t total = 0;
    for (int64_t v : confusion[r]) total += v;
    std::printf("%-11s %7.1f%% ", kLanguages[r].name,
                100.0 * static_cast<double>(confusion[r][r]) / std::max<int64_t>(total, 1));
    for (int64_t v : confusion[r]) std::printf(" %7lld", static_cast<long long>(v));
    std::printf("\n");
  }
}

int run_predict(const Config& c) {
  auto vocab = data::Vocabulary::load(c.load + "/vocabulary.safetensors");
  Classifier m = make_model(c, vocab.size());
  m.module->load_state_dict(as_state_dict(load(c.load + "/model.safetensors")));
  const auto pred = predict(m, vocab, c.predict);
  for (size_t i = 0; i < pred.size(); ++i)
    std::printf("%s\t%s\n", c.predict[i].c_str(), kLanguages[static_cast<size_t>(pred[i])].name);
  return 0;
}

double accuracy(const std::vector<int64_t>& labels, const std::vector<int64_t>& pred) {
  int64_t right = 0;
  for (size_t i = 0; i < labels.size(); ++i) right += labels[i] == pred[i];
  return static_cast<double>(right) / static_cast<double>(std::max<size_t>(labels.size(), 1));
}

int run(const Config& c) {
  set_num_threads(c.threads);
  if (!c.predict.empty()) return run_predict(c);
  const auto t0 = Clock::now();
  Split split = load_split(c);
  auto vocab = data::Vocabulary::build(split.train_words);
  std::printf("%zu training and %zu test words, %lld per language; %lld characters in the vocabulary\n",
              split.train_words.size(), split.test_words.size(), static_cast<long long>(c.per_language),
              static_cast<long long>(vocab.size()));
  manual_seed(c.seed);
  Classifier model = make_model(c, vocab.size());
  optim::Adam opt(model.module->parameters(), optim::AdamOptions(c.lr));
  Words train(split.train_words, split.train_labels, vocab);
  auto sampler = std::make_unique<data::samplers::BucketSampler>(train.lengths(), static_cast<size_t>(c.batch_size), 50,
                                                                 make_generator<CPUGeneratorImpl>(c.seed + 1));
  Loader loader(std::move(train), data::DataLoaderOptions(static_cast<size_t>(c.batch_size)), std::move(sampler),
                data::transforms::PadSequences(0, true));
  double test_accuracy = 0;
  std::vector<int64_t> pred;
  for (int64_t epoch = 1; epoch <= c.epochs; ++epoch) {
    model.module->train();
    ProgressBar bar(epoch, loader.size(), 5);
    double loss_sum = 0;
    int64_t right = 0, seen = 0;
    size_t done = 0;
    for (auto& batch : loader) {
      Tensor logits = model.forward(batch.data, batch.lengths);
      Tensor loss = nn::functional::cross_entropy(logits, batch.target);
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item<double>() * static_cast<double>(batch.target.size(0));
      right += logits.argmax(1).eq(batch.target).sum().item<int64_t>();
      seen += batch.target.size(0);
      bar.update(++done, [&](double secs) {
        char figures[96];
        std::snprintf(figures, sizeof figures, "loss %.4f  train acc %.3f  %.1fs", loss_sum / static_cast<double>(seen),
                      static_cast<double>(right) / static_cast<double>(seen), secs);
        return std::string(figures);
      });
    }
    pred = predict(model, vocab, split.test_words);
    test_accuracy = accuracy(split.test_labels, pred);
    std::printf("epoch %lld: train loss %.4f, test accuracy %.2f%%\n", static_cast<long long>(epoch),
                loss_sum / static_cast<double>(seen), 100 * test_accuracy);
  }
  print_report(split.test_labels, pred);

  std::filesystem::create_directories(c.out);
  save(model.module->state_dict(), c.out + "/model.safetensors");
  vocab.save(c.out + "/vocabulary.safetensors");
  // The saved model and vocabulary, loaded into a fresh model, give the same predictions.
  auto vocab2 = data::Vocabulary::load(c.out + "/vocabulary.safetensors");
  Classifier reloaded = make_model(c, vocab2.size());
  reloaded.module->load_state_dict(as_state_dict(load(c.out + "/model.safetensors")));
  const bool same = predict(reloaded, vocab2, split.test_words) == pred;
  std::printf(
      "\ntest accuracy %.2f%% (%s, %lld epochs, %.1f s); wrote %s/model.safetensors and vocabulary.safetensors; "
      "reloaded: %s\n",
      100 * test_accuracy, c.model.c_str(), static_cast<long long>(c.epochs),
      std::chrono::duration<double>(Clock::now() - t0).count(), c.out.c_str(),
      same ? "same predictions" : "PREDICTIONS DIFFER");
  return same ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"Tell a word's language from its characters (BiLSTM or Transformer) with nabla"};
  app.add_option("--model", c.model, "lstm (packed bidirectional LSTM) or transformer")
      ->check(CLI::IsMember({"lstm", "transformer"}))
      ->capture_default_str();
  app.add_option("--per-language", c.per_language, "words per language (a tenth of them for testing)")
      ->check(CLI::Range(int64_t{10}, int64_t{60000}))
      ->capture_default_str();
  app.add_option("--epochs", c.epochs, "number of epochs")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch-size", c.batch_size, "batch size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", c.lr, "Adam's learning rate")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--embed", c.embed, "embedding size (the transformer's d_model)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--hidden", c.hidden, "LSTM hidden size per direction")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", c.seed, "random seed (data sample, weights, batch order)")->capture_default_str();
  app.add_option("--threads", c.threads, "threads")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--dict", c.dict, "directory of the word lists")->capture_default_str();
  app.add_option("--out", c.out, "output directory")->capture_default_str();
  app.add_option("--load", c.load, "directory of a trained model (with --predict)");
  app.add_option("--predict", c.predict, "words to classify with the model in --load");
  CLI11_PARSE(app, argc, argv);
  if (!c.predict.empty() && c.load.empty()) {
    std::fprintf(stderr, "--predict needs --load DIR\n");
    return 2;
  }
  try {
    return run(c);
  } catch (const Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
