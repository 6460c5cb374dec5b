#pragma once
/// A token vocabulary for text: characters (UTF-8 code points) or whitespace-separated words,
/// with "<pad>" at index 0 and "<unk>" at index 1, the rest by decreasing frequency (ties in
/// code point order). Saved as tensors, so it travels in a safetensors file with the model.
///   auto vocab = nabla::data::Vocabulary::build(words);            // character level
///   nabla::Tensor ids = vocab.encode("straße");                     // int64 (6)
///   std::string back = vocab.decode(ids);                           // "straße"
///   vocab.save("vocabulary.safetensors");  auto same = nabla::data::Vocabulary::load("vocabulary.safetensors");
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "nabla/serialize.h"
#include "nabla/tensor.h"

namespace nabla::data {

class Vocabulary {
 public:
  /// What a token is.
  enum class Level { Character, Word };

  /// Only the special tokens "<pad>" (0) and "<unk>" (1).
  explicit Vocabulary(Level level = Level::Character);
  /// The tokens of texts that occur at least min_freq times, most frequent first (ties in code
  /// point order), after "<pad>" and "<unk>"; max_tokens > 0 caps the size (specials included).
  static Vocabulary build(const std::vector<std::string>& texts, Level level = Level::Character, int64_t min_freq = 1,
                          int64_t max_tokens = 0);

  /// The text's tokens: its code points (Character) or its whitespace-separated words (Word).
  /// Invalid UTF-8 is an error naming the byte offset.
  std::vector<std::string> tokenize(std::string_view text) const;
  /// Token indices of the text ("<unk>" for tokens not in the vocabulary).
  std::vector<int64_t> indices(std::string_view text) const;
  /// indices() as a 1-D int64 tensor.
  Tensor encode(std::string_view text) const;
  /// The text of 1-D token indices, "<pad>" left out (words joined by single spaces).
  std::string decode(const Tensor& ids) const;

  /// The index of a token, unk_index() if it is not in the vocabulary.
  int64_t index(std::string_view token) const;
  /// The token at index (0 <= index < size()).
  const std::string& token(int64_t index) const;
  int64_t size() const noexcept { return static_cast<int64_t>(tokens_.size()); }
  int64_t pad_index() const noexcept { return 0; }
  int64_t unk_index() const noexcept { return 1; }
  Level level() const noexcept { return level_; }
  const std::vector<std::string>& tokens() const noexcept { return tokens_; }

  /// The vocabulary as tensors ("<prefix>tokens": the tokens' UTF-8 bytes, each followed by a
  /// 0 byte; "<prefix>level": 0 for Character, 1 for Word), to save with a model's tensors.
  NamedTensors to_tensors(const std::string& prefix = "") const;
  /// The inverse of to_tensors: the entries named "<prefix>tokens" and "<prefix>level" of
  /// tensors (others ignored). Checks what it reads: valid UTF-8, no repeated token, the
  /// special tokens first.
  static Vocabulary from_tensors(const NamedTensors& tensors, const std::string& prefix = "");
  /// Writes to_tensors() as a safetensors file.
  void save(const std::string& path) const;
  /// Reads a file written by save() (errors name the file).
  static Vocabulary load(const std::string& path);

 private:
  void add(const std::string& token);

  Level level_;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t> index_;
};

}  // namespace nabla::data
