#pragma once
// JSON reading shared by the file readers (the safetensors header, checkpoint sections):
// bounded nesting, linear time in the input's size, and errors that give the byte offset and
// never repeat the whole input.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace nabla::io {

/// How deeply arrays and objects may nest in JSON that a reader accepts.
inline constexpr int kMaxJsonDepth = 64;

/// The offset of the first '[' or '{' (outside strings) that opens level kMaxJsonDepth + 1, or
/// npos. Checking it before parsing keeps the parser and everything after it (destruction,
/// dump, recursive readers) shallow.
size_t too_deep_at(std::string_view text);

/// What a nlohmann exception says, without its "[json.exception...] " id and cut by excerpt().
std::string json_error_text(const std::exception& e);

struct ParsedJson {
  nlohmann::json value;
  /// Empty when the text parsed; otherwise what is wrong, at byte `error_at` of the text.
  std::string error;
  size_t error_at = 0;
};

/// Parses `text` as one JSON value nested at most kMaxJsonDepth levels deep (nlohmann::json
/// keeps objects in std::map: linear time).
ParsedJson parse_json(std::string_view text);

/// A JSON value as text for an error message: j.dump(), cut by excerpt().
std::string json_excerpt(const nlohmann::json& j);

}  // namespace nabla::io
