// SPDX-License-Identifier: Apache-2.0
#include "plain_json.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace nmz::sdk {
namespace {

// Deeper values take nlohmann's path (which refuses more than 128 levels).
constexpr int kMaxPlainDepth = 64;
// 18 digits always fit an int64 or uint64: nlohmann writes them back as given.
constexpr std::size_t kMaxPlainDigits = 18;

bool append_value(std::string_view& text, std::string& out, int depth);

bool append_object(std::string_view& text, std::string& out, int depth, std::string_view set_aside,
                   std::string_view* aside) {
  std::string_view rest = text.substr(1);  // the caller saw '{'
  std::vector<std::pair<std::string_view, std::string>> members;
  skip_json_space(rest);
  if (!rest.empty() && rest.front() == '}') {
    rest.remove_prefix(1);
  } else {
    for (;;) {
      std::string_view key;
      skip_json_space(rest);
      if (!read_plain_json_string(rest, key)) return false;
      skip_json_space(rest);
      if (rest.empty() || rest.front() != ':') return false;
      rest.remove_prefix(1);
      skip_json_space(rest);
      if (aside != nullptr && !set_aside.empty() && key == set_aside && !rest.empty() && rest.front() == '"') {
        // nlohmann keeps the last of duplicate keys; duplicates go its way.
        if (!aside->empty() || !read_plain_json_string(rest, *aside) || aside->empty()) return false;
      } else {
        std::string value;
        if (!append_value(rest, value, depth + 1)) return false;
        members.emplace_back(key, std::move(value));
      }
      const JsonNext next = read_json_separator(rest, '}');
      if (next == JsonNext::closed) break;
      if (next == JsonNext::malformed) return false;
    }
  }
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0 && members[i - 1].first == members[i].first) return false;
    if (aside != nullptr && !aside->empty() && members[i].first == set_aside) return false;
  }
  out.push_back('{');
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    out.append(members[i].first);
    out.append("\":");
    out.append(members[i].second);
  }
  out.push_back('}');
  text = rest;
  return true;
}

bool append_array(std::string_view& text, std::string& out, int depth) {
  std::string_view rest = text.substr(1);  // the caller saw '['
  std::string written = "[";
  skip_json_space(rest);
  if (!rest.empty() && rest.front() == ']') {
    rest.remove_prefix(1);
  } else {
    for (;;) {
      if (written.size() > 1) written.push_back(',');
      if (!append_value(rest, written, depth + 1)) return false;
      const JsonNext next = read_json_separator(rest, ']');
      if (next == JsonNext::closed) break;
      if (next == JsonNext::malformed) return false;
    }
  }
  written.push_back(']');
  out.append(written);
  text = rest;
  return true;
}

bool append_integer(std::string_view& text, std::string& out) {
  std::size_t end = text.front() == '-' ? 1 : 0;
  const std::size_t first_digit = end;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  const std::size_t digits = end - first_digit;
  if (digits == 0 || digits > kMaxPlainDigits) return false;
  // A leading zero is either invalid JSON or "-0", which nlohmann writes as 0.
  if (text[first_digit] == '0' && (digits > 1 || first_digit == 1)) return false;
  // Fractions and exponents are doubles, which nlohmann writes its own way.
  if (end < text.size() && (text[end] == '.' || text[end] == 'e' || text[end] == 'E')) return false;
  out.append(text.substr(0, end));
  text.remove_prefix(end);
  return true;
}

bool append_value(std::string_view& text, std::string& out, int depth) {
  if (depth > kMaxPlainDepth) return false;
  skip_json_space(text);
  if (text.empty()) return false;
  switch (text.front()) {
    case '{': return append_object(text, out, depth, {}, nullptr);
    case '[': return append_array(text, out, depth);
    case '"': {
      std::string_view value;
      if (!read_plain_json_string(text, value)) return false;
      out.push_back('"');
      out.append(value);
      out.push_back('"');
      return true;
    }
    default: break;
  }
  for (std::string_view literal : {"true", "false", "null"}) {
    if (text.substr(0, literal.size()) == literal) {
      out.append(literal);
      text.remove_prefix(literal.size());
      return true;
    }
  }
  return append_integer(text, out);
}

}  // namespace

void skip_json_space(std::string_view& text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
}

JsonNext read_json_separator(std::string_view& text, char close) noexcept {
  skip_json_space(text);
  if (text.empty() || (text.front() != ',' && text.front() != close)) return JsonNext::malformed;
  const char next = text.front();
  text.remove_prefix(1);
  return next == close ? JsonNext::closed : JsonNext::more;
}

bool read_plain_json_string(std::string_view& text, std::string_view& value) noexcept {
  if (text.empty() || text.front() != '"') return false;
  for (std::size_t i = 1; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      value = text.substr(1, i - 1);
      text.remove_prefix(i + 1);
      return true;
    }
    // Escapes, control characters and UTF-8 are nlohmann's to decode and check.
    if (c == '\\' || c < 0x20 || c > 0x7e) return false;
  }
  return false;
}

bool append_plain_json_value(std::string_view& text, std::string& out) { return append_value(text, out, 0); }

bool append_plain_json_object(std::string_view& text, std::string& out, std::string_view set_aside,
                              std::string_view& aside) {
  skip_json_space(text);
  if (text.empty() || text.front() != '{') return false;
  aside = {};
  return append_object(text, out, 0, set_aside, &aside);
}

}  // namespace nmz::sdk
