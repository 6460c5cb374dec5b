// data::Vocabulary: tokenizing (UTF-8 code points or words), building by frequency, encoding
// and decoding, and its tensors form for safetensors files.
#include "nabla/data/vocabulary.h"

#include <algorithm>
#include <map>

#include "nabla/functions.h"

namespace nabla::data {

namespace {

constexpr const char* kPad = "<pad>";
constexpr const char* kUnk = "<unk>";

// The length of the UTF-8 sequence starting at text[i], or 0 if it is not a valid one
// (overlong forms, surrogates and code points above U+10FFFF are invalid, as Python decodes).
size_t utf8_length(std::string_view text, size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  size_t n = 0;
  uint32_t cp = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    n = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

Vocabulary::Vocabulary(Level level) : level_(level) {
  add(kPad);
  add(kUnk);
}

void Vocabulary::add(const std::string& token) {
  NABLA_CHECK(token.find('\0') == std::string::npos, "Vocabulary: a token may not contain a 0 byte");
  NABLA_CHECK(index_.emplace(token, size()).second, "Vocabulary: the token '", token, "' appears twice");
  tokens_.push_back(token);
}

std::vector<std::string> Vocabulary::tokenize(std::string_view text) const {
  std::vector<std::string> out;
  if (level_ == Level::Character) {
    for (size_t i = 0; i < text.size();) {
      const size_t n = utf8_length(text, i);
      NABLA_CHECK(n > 0, "Vocabulary: invalid UTF-8 at byte offset ", i, " of the text");
      out.emplace_back(text.substr(i, n));
      i += n;
    }
    return out;
  }
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    size_t j = i;
    while (j < text.size() && !is_space(text[j])) ++j;
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

Vocabulary Vocabulary::build(const std::vector<std::string>& texts, Level level, int64_t min_freq, int64_t max_tokens) {
  Vocabulary v(level);
  std::map<std::string, int64_t> counts;  // ordered: ties broken in byte (= code point) order
  for (const std::string& text : texts)
    for (std::string& t : v.tokenize(text)) ++counts[std::move(t)];
  std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [token, count] : sorted) {
    if (count < min_freq || (max_tokens > 0 && v.size() >= max_tokens)) break;
    if (token != kPad && token != kUnk) v.add(token);
  }
  return v;
}

int64_t Vocabulary::index(std::string_view token) const {
  auto it = index_.find(std::string(token));
  return it == index_.end() ? unk_index() : it->second;
}

const std::string& Vocabulary::token(int64_t index) const {
  NABLA_CHECK(index >= 0 && index < size(), "Vocabulary: index ", index, " is out of range for a vocabulary of ",
              size(), " tokens");
  return tokens_[static_cast<size_t>(index)];
}

std::vector<int64_t> Vocabulary::indices(std::string_view text) const {
  std::vector<int64_t> out;
  for (const std::string& t : tokenize(text)) out.push_back(index(t));
  return out;
}

Tensor Vocabulary::encode(std::string_view text) const { return tensor(indices(text)).to(kLong).reshape({-1}); }

std::string Vocabulary::decode(const Tensor& ids) const {
  NABLA_CHECK(ids.dim() == 1, "Vocabulary: decode expects a 1-D tensor of indices, got ", ids.dim(), "-D");
  const Tensor flat = ids.to(kLong).contiguous();
  std::string out;
  for (int64_t i = 0; i < flat.numel(); ++i) {
    const auto id = flat[i].item<int64_t>();
    if (id == pad_index()) continue;
    if (level_ == Level::Word && !out.empty()) out += ' ';
    out += token(id);
  }
  return out;
}

NamedTensors Vocabulary::to_tensors(const std::string& prefix) const {
  size_t bytes = 0;
  for (const std::string& t : tokens_) bytes += t.size() + 1;
  Tensor data = empty({static_cast<int64_t>(bytes)}, TensorOptions().dtype(kByte));
  auto* p = data.data_ptr<uint8_t>();
  for (const std::string& t : tokens_) {
    p = std::copy(t.begin(), t.end(), p);
    *p++ = 0;
  }
  return {{prefix + "tokens", data},
          {prefix + "level", tensor({static_cast<int64_t>(level_ == Level::Word ? 1 : 0)}).to(kLong)}};
}

Vocabulary Vocabulary::from_tensors(const NamedTensors& tensors, const std::string& prefix) {
  const Tensor* tokens = nullptr;
  const Tensor* level = nullptr;
  for (const auto& [name, t] : tensors) {
    if (name == prefix + "tokens") tokens = &t;
    if (name == prefix + "level") level = &t;
  }
  NABLA_CHECK(tokens && level, "Vocabulary: expected the tensors '", prefix, "tokens' and '", prefix, "level'");
  NABLA_CHECK(tokens->scalar_type() == kByte && tokens->dim() == 1, "Vocabulary: '", prefix,
              "tokens' must be a 1-D uint8 tensor");
  NABLA_CHECK(level->numel() == 1 && level->scalar_type() == kLong, "Vocabulary: '", prefix,
              "level' must be one int64 value");
  const auto lv = level->reshape({-1})[0].item<int64_t>();
  NABLA_CHECK(lv == 0 || lv == 1, "Vocabulary: '", prefix, "level' must be 0 (character) or 1 (word), got ", lv);
  const Tensor bytes = tokens->contiguous();
  const auto* p = bytes.data_ptr<uint8_t>();
  const std::string_view all(reinterpret_cast<const char*>(p), static_cast<size_t>(bytes.numel()));
  NABLA_CHECK(all.empty() || all.back() == '\0', "Vocabulary: '", prefix, "tokens' must end with a 0 byte");
  Vocabulary v(lv == 1 ? Level::Word : Level::Character);
  std::vector<std::string> read;
  for (size_t i = 0; i < all.size();) {
    const size_t end = all.find('\0', i);
    read.emplace_back(all.substr(i, end - i));
    for (size_t k = i; k < end;) {
      const size_t n = utf8_length(all, k);
      NABLA_CHECK(n > 0 && k + n <= end, "Vocabulary: invalid UTF-8 at byte offset ", k, " of '", prefix, "tokens'");
      k += n;
    }
    i = end + 1;
  }
  NABLA_CHECK(read.size() >= 2 && read[0] == kPad && read[1] == kUnk, "Vocabulary: '", prefix,
              "tokens' must start with <pad> and <unk>");
  for (size_t i = 2; i < read.size(); ++i) v.add(read[i]);
  return v;
}

void Vocabulary::save(const std::string& path) const { nabla::save(to_tensors(), path); }

Vocabulary Vocabulary::load(const std::string& path) {
  try {
    return from_tensors(nabla::load(path));
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (vocabulary file '" + path + "')");
  }
}

}  // namespace nabla::data
