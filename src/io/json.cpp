#include "io/json.h"

#include "io/bytes.h"
#include "nabla/error.h"

namespace nabla::io {

size_t too_deep_at(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return std::string_view::npos;
}

std::string json_error_text(const std::exception& e) {
  std::string_view s(e.what());
  if (!s.empty() && s[0] == '[') {
    const size_t close = s.find("] ");
    if (close != std::string_view::npos) s.remove_prefix(close + 2);
  }
  return excerpt(s, 200);
}

ParsedJson parse_json(std::string_view text) {
  ParsedJson out;
  if (const size_t at = too_deep_at(text); at != std::string_view::npos) {
    out.error = ::nabla::detail::str("expected JSON nested at most ", kMaxJsonDepth, " levels deep");
    out.error_at = at;
    return out;
  }
  try {
    out.value = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    out.error = "expected valid JSON: " + json_error_text(e);
    out.error_at = e.byte > 0 ? e.byte - 1 : 0;
  } catch (const nlohmann::json::exception& e) {  // e.g. a number beyond double's range
    out.error = "expected valid JSON: " + json_error_text(e);
  }
  return out;
}

std::string json_excerpt(const nlohmann::json& j) { return excerpt(j.dump(), 120); }

}  // namespace nabla::io
