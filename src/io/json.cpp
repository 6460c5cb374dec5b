#include "io/json.h"

#include <unordered_set>

#include "io/bytes.h"
#include "nabla/error.h"

namespace nabla::io {

namespace {

// The offset of the first '[' or '{' (outside strings) that opens level kMaxJsonDepth + 1, or
// npos. Scanning first keeps the parser and everything after it (destruction, dump) shallow.
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

// nlohmann's messages begin with "[json.exception.<kind>.<id>] "; the rest says what is wrong.
std::string without_id(const char* what) {
  std::string_view s(what);
  if (!s.empty() && s[0] == '[') {
    const size_t close = s.find("] ");
    if (close != std::string_view::npos) s.remove_prefix(close + 2);
  }
  return excerpt(s, 200);
}

}  // namespace

ParsedJson parse_json(std::string_view text, bool want_top_keys) {
  ParsedJson out;
  if (const size_t at = too_deep_at(text); at != std::string_view::npos) {
    out.error = ::nabla::detail::str("expected JSON nested at most ", kMaxJsonDepth, " levels deep");
    out.error_at = at;
    return out;
  }
  std::unordered_set<std::string> seen;
  std::string duplicate;
  using json = nlohmann::json;
  const json::parser_callback_t keys = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth == 1 && event == json::parse_event_t::key) {
      const std::string& k = parsed.get_ref<const std::string&>();
      if (!seen.insert(k).second && duplicate.empty()) duplicate = k;
      out.top_keys.push_back(k);
    }
    return true;
  };
  try {
    out.value = want_top_keys ? json::parse(text, keys) : json::parse(text);
  } catch (const json::parse_error& e) {
    out.error = "expected valid JSON: " + without_id(e.what());
    out.error_at = e.byte > 0 ? e.byte - 1 : 0;
    return out;
  } catch (const json::exception& e) {  // e.g. a number beyond double's range
    out.error = "expected valid JSON: " + without_id(e.what());
    return out;
  }
  if (!duplicate.empty()) out.error = "expected each key once, but '" + excerpt(duplicate) + "' appears twice";
  return out;
}

std::string json_excerpt(const nlohmann::json& j) { return excerpt(j.dump(), 120); }

}  // namespace nabla::io
