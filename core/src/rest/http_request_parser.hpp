// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nmz::core::rest {

// One HTTP/1.x request, as much of it as the REST API reads. The parser
// reuses it from request to request: reset() in its .cpp empties every member.
struct HttpRequest {
  std::string method;
  std::string path;   // percent-decoded
  std::string query;  // raw, after '?'
  std::string body;   // de-chunked
  std::string content_type;
  std::string origin;
  std::string authorization;
  std::string client_id;  // X-Nmz-Client
  bool has_origin = false;
  bool keep_alive = true;
  bool expects_continue = false;
};

// An incremental HTTP/1.1 request parser that owns the connection's
// unparsed bytes. Every limit is checked as bytes arrive, so an oversized
// body (Content-Length or chunked) is refused before it is read, and a
// connection never buffers more than one request head plus one body.
class HttpRequestParser {
 public:
  struct Limits {
    std::size_t max_head_bytes = 16 * 1024;
    std::size_t max_body_bytes = std::size_t{1} << 20;
  };
  enum class State {
    need_more,      // feed more bytes
    head_complete,  // only reported once per request, when it waits for a body and expects 100-continue
    complete,       // request() holds a request; call next() for the following one
    error,          // error_status()/error_message(); the connection must answer and close
  };

  explicit HttpRequestParser(Limits limits) : limits_(limits) {}

  void append(std::string_view bytes) { buffer_.append(bytes); }
  // Parses what was appended. After `complete`, request() is valid until the
  // next call.
  State parse();
  [[nodiscard]] const HttpRequest& request() const noexcept { return request_; }
  [[nodiscard]] HttpRequest& request() noexcept { return request_; }
  [[nodiscard]] int error_status() const noexcept { return error_status_; }
  [[nodiscard]] const std::string& error_message() const noexcept { return error_message_; }
  // True when part of a request has arrived and is not complete yet.
  [[nodiscard]] bool mid_request() const noexcept { return phase_ != Phase::head || !buffer_.empty(); }
  [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size(); }

 private:
  enum class Phase { head, fixed_body, chunk_size, chunk_data, chunk_data_end, trailers };

  State fail(int status, std::string message);
  State parse_head(std::string_view head);
  State parse_chunked();
  State finish();
  // Moves what is buffered of the body (or chunk) into the request; true
  // when all of it has come.
  bool take_body_bytes();
  State waiting_for_body();

  Limits limits_;
  std::string buffer_;
  Phase phase_ = Phase::head;
  std::size_t body_remaining_ = 0;  // fixed_body: bytes still expected; chunk_data: of this chunk
  bool continue_reported_ = false;
  HttpRequest request_;
  int error_status_ = 0;
  std::string error_message_;
};

// Percent-decodes `text` ('+' stays '+' unless `plus_is_space`). False when
// an escape is malformed.
bool percent_decode(std::string_view text, std::string& out, bool plus_is_space);

// The value of `key` in an application/x-www-form-urlencoded query, decoded;
// `found` tells whether the key is present at all.
std::string query_value(std::string_view query, std::string_view key, bool* found);

}  // namespace nmz::core::rest
