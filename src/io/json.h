#pragma once
// JSON reading shared by the file readers (the safetensors header, checkpoint sections):
// bounded nesting, linear time in the input's size, and errors that give the byte offset and
// never repeat the whole input.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace nabla::io {

/// How deeply arrays and objects may nest in JSON that a reader accepts.
inline constexpr int kMaxJsonDepth = 64;

struct ParsedJson {
  nlohmann::json value;
  /// Empty when the text parsed; otherwise what is wrong, at byte `error_at` of the text.
  std::string error;
  size_t error_at = 0;
  /// With want_top_keys: the keys of the top-level object in the text's order.
  std::vector<std::string> top_keys;
};

/// Parses `text` as one JSON value nested at most kMaxJsonDepth levels deep. nlohmann::json
/// keeps objects in std::map, so parsing is linear; with `want_top_keys`, the top-level
/// object's keys are also listed in their order, and a key appearing twice there is an error.
ParsedJson parse_json(std::string_view text, bool want_top_keys = false);

/// A JSON value as text for an error message: j.dump(), cut by excerpt().
std::string json_excerpt(const nlohmann::json& j);

}  // namespace nabla::io
