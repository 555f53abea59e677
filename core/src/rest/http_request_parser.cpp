// SPDX-License-Identifier: Apache-2.0
#include "rest/http_request_parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace nmz::core::rest {
namespace {

// A chunk-size line longer than this is not a size.
constexpr std::size_t kMaxChunkLine = 1024;

// ASCII only, as HTTP's tokens are; std::tolower's locale lookup per
// character was a visible share of a request's time.
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// Empties `request` for the next one, keeping its strings' buffers.
void reset(HttpRequest& request) {
  for (std::string* text : {&request.method, &request.path, &request.query, &request.body, &request.content_type,
                            &request.origin, &request.authorization, &request.client_id}) {
    text->clear();
  }
  request.has_origin = false;
  request.keep_alive = true;
  request.expects_continue = false;
}

bool icontains_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
  }
  return false;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view text, std::string& out, bool plus_is_space) {
  // Paths rarely hold an escape: copied whole, they cost no per-character work.
  if (text.find('%') == std::string_view::npos && (!plus_is_space || text.find('+') == std::string_view::npos)) {
    out.assign(text);
    return true;
  }
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return false;
      int high = hex_digit(text[i + 1]);
      int low = hex_digit(text[i + 2]);
      if (high < 0 || low < 0) return false;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
  }
  return true;
}

std::string query_value(std::string_view query, std::string_view key, bool* found) {
  if (found != nullptr) *found = false;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    std::size_t eq = pair.find('=');
    std::string name;
    if (!percent_decode(pair.substr(0, eq), name, true) || name != key) continue;
    std::string value;
    if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), value, true)) continue;
    if (found != nullptr) *found = true;
    return value;
  }
  return {};
}

HttpRequestParser::State HttpRequestParser::fail(int status, std::string message) {
  error_status_ = status;
  error_message_ = std::move(message);
  return State::error;
}

HttpRequestParser::State HttpRequestParser::parse() {
  if (error_status_ != 0) return State::error;
  for (;;) {
    switch (phase_) {
      case Phase::head: {
        // Some clients send a CRLF after a body; RFC 9112 says to ignore it.
        std::size_t skip = 0;
        while (skip + 1 < buffer_.size() && buffer_[skip] == '\r' && buffer_[skip + 1] == '\n') skip += 2;
        if (skip > 0) buffer_.erase(0, skip);
        std::size_t end = buffer_.find("\r\n\r\n");
        if (end == std::string::npos) {
          if (buffer_.size() > limits_.max_head_bytes) {
            return fail(431, "request head larger than " + std::to_string(limits_.max_head_bytes) + " bytes");
          }
          return State::need_more;
        }
        if (end + 4 > limits_.max_head_bytes) {
          return fail(431, "request head larger than " + std::to_string(limits_.max_head_bytes) + " bytes");
        }
        reset(request_);
        continue_reported_ = false;
        State head = parse_head(std::string_view(buffer_).substr(0, end + 2));
        buffer_.erase(0, end + 4);
        if (head == State::error) return head;
        if (head == State::complete) return finish();
        break;
      }
      case Phase::fixed_body:
        if (take_body_bytes()) return finish();
        return waiting_for_body();
      default: {
        State state = parse_chunked();
        if (state == State::need_more) return waiting_for_body();
        return state == State::complete ? finish() : state;
      }
    }
  }
}

bool HttpRequestParser::take_body_bytes() {
  std::size_t take = std::min(body_remaining_, buffer_.size());
  request_.body.append(buffer_, 0, take);
  buffer_.erase(0, take);
  body_remaining_ -= take;
  return body_remaining_ == 0;
}

HttpRequestParser::State HttpRequestParser::waiting_for_body() {
  // A client that sent Expect: 100-continue waits for the go-ahead before
  // its body; tell it once, when none of the body has come.
  if (request_.expects_continue && !continue_reported_ && request_.body.empty()) {
    continue_reported_ = true;
    return State::head_complete;
  }
  return State::need_more;
}

HttpRequestParser::State HttpRequestParser::finish() {
  phase_ = Phase::head;
  return State::complete;
}

HttpRequestParser::State HttpRequestParser::parse_head(std::string_view head) {
  std::size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  head.remove_prefix(line_end + 2);

  std::size_t first_space = line.find(' ');
  std::size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == 0 || last_space == first_space) {
    return fail(400, "malformed request line");
  }
  request_.method.assign(line.substr(0, first_space));
  for (char c : request_.method) {
    if (!std::isupper(static_cast<unsigned char>(c))) return fail(400, "malformed request method");
  }
  std::string_view target = line.substr(first_space + 1, last_space - first_space - 1);
  std::string_view version = line.substr(last_space + 1);
  bool http10 = false;
  if (version == "HTTP/1.0") {
    http10 = true;
  } else if (version != "HTTP/1.1") {
    return fail(505, "only HTTP/1.0 and HTTP/1.1 are served");
  }
  if (target.empty() || target.front() != '/') return fail(400, "request target must be a path starting with /");
  std::size_t question = target.find('?');
  if (question != std::string_view::npos) request_.query.assign(target.substr(question + 1));
  if (!percent_decode(target.substr(0, question), request_.path, false)) {
    return fail(400, "malformed percent escape in the request path");
  }

  bool chunked = false;
  bool has_length = false;
  std::size_t length = 0;
  std::string_view connection;
  while (!head.empty()) {
    line_end = head.find("\r\n");
    line = head.substr(0, line_end);
    head.remove_prefix(line_end == std::string_view::npos ? head.size() : line_end + 2);
    if (line.empty()) continue;
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "folded header lines are not accepted");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail(400, "malformed header line");
    std::string_view name = line.substr(0, colon);
    if (name.back() == ' ' || name.back() == '\t') return fail(400, "whitespace before a header's colon");
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      std::size_t parsed = 0;
      auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
        if (error == std::errc::result_out_of_range) {
          return fail(413, "request body larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
        }
        return fail(400, "malformed Content-Length");
      }
      if (has_length && parsed != length) return fail(400, "conflicting Content-Length headers");
      has_length = true;
      length = parsed;
    } else if (iequals(name, "Transfer-Encoding")) {
      if (!iequals(value, "chunked") || chunked) return fail(501, "only the chunked transfer encoding is served");
      chunked = true;
    } else if (iequals(name, "Connection")) {
      connection = value;
    } else if (iequals(name, "Content-Type")) {
      request_.content_type.assign(value);
    } else if (iequals(name, "Origin")) {
      request_.has_origin = true;
      request_.origin.assign(value);
    } else if (iequals(name, "Authorization")) {
      request_.authorization.assign(value);
    } else if (iequals(name, "X-Nmz-Client")) {
      request_.client_id.assign(value);
    } else if (iequals(name, "Expect")) {
      if (!iequals(value, "100-continue")) return fail(417, "only Expect: 100-continue is served");
      request_.expects_continue = true;
    }
  }
  if (chunked && has_length) return fail(400, "both Content-Length and Transfer-Encoding");
  request_.keep_alive = http10 ? icontains_token(connection, "keep-alive") : !icontains_token(connection, "close");
  if (chunked) {
    phase_ = Phase::chunk_size;
    return State::need_more;
  }
  if (length > limits_.max_body_bytes) {
    return fail(413, "request body larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
  }
  if (length == 0) return State::complete;
  // Grows as bytes arrive: a declared length alone must not claim memory.
  request_.body.reserve(std::min<std::size_t>(length, 64 * 1024));
  body_remaining_ = length;
  phase_ = Phase::fixed_body;
  return State::need_more;
}

HttpRequestParser::State HttpRequestParser::parse_chunked() {
  for (;;) {
    switch (phase_) {
      case Phase::chunk_size: {
        std::size_t end = buffer_.find("\r\n");
        if (end == std::string::npos) {
          if (buffer_.size() > kMaxChunkLine) return fail(400, "malformed chunk size line");
          return State::need_more;
        }
        if (end > kMaxChunkLine) return fail(400, "malformed chunk size line");
        std::string_view line = std::string_view(buffer_).substr(0, end);
        line = trim(line.substr(0, line.find(';')));
        std::size_t size = 0;
        auto [last, error] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
        const std::size_t room = limits_.max_body_bytes - request_.body.size();
        if (error == std::errc::result_out_of_range || (error == std::errc() && size > room)) {
          return fail(413, "request body larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
        }
        if (line.empty() || error != std::errc() || last != line.data() + line.size()) {
          return fail(400, "malformed chunk size line");
        }
        buffer_.erase(0, end + 2);
        body_remaining_ = size;
        phase_ = size == 0 ? Phase::trailers : Phase::chunk_data;
        break;
      }
      case Phase::chunk_data:
        if (!take_body_bytes()) return State::need_more;
        phase_ = Phase::chunk_data_end;
        break;
      case Phase::chunk_data_end:
        if (buffer_.size() < 2) return State::need_more;
        if (buffer_.compare(0, 2, "\r\n") != 0) return fail(400, "chunk data not followed by CRLF");
        buffer_.erase(0, 2);
        phase_ = Phase::chunk_size;
        break;
      case Phase::trailers: {
        std::size_t end = buffer_.find("\r\n");
        if (end == std::string::npos) {
          if (buffer_.size() > limits_.max_head_bytes) return fail(431, "trailer section too large");
          return State::need_more;
        }
        if (end > limits_.max_head_bytes) return fail(431, "trailer section too large");
        buffer_.erase(0, end + 2);
        if (end == 0) return State::complete;
        break;
      }
      default: return fail(500, "parser in an impossible state");
    }
  }
}

}  // namespace nmz::core::rest
