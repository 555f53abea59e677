// SPDX-License-Identifier: Apache-2.0
#include "rest/http_response.hpp"

#include <charconv>

namespace nmz::core::rest {
namespace {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return status < 500 ? "Error" : "Internal Server Error";
  }
}

void append_number(std::string& out, std::size_t value) {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

}  // namespace

void append_http_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                          std::string_view extra_headers, bool keep_alive) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::size_t>(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\nContent-Type: ");
  out.append(content_type);
  out.append("\r\nContent-Length: ");
  append_number(out, body.size());
  out.append("\r\n");
  out.append(extra_headers);
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
  out.append(body);
}

}  // namespace nmz::core::rest
