// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace nmz::core::rest {

// Appends one HTTP/1.1 response to `out`, written straight into the
// connection's output buffer. `extra_headers` is empty or whole header
// lines, each ending in CRLF.
void append_http_response(std::string& out, int status, std::string_view content_type, std::string_view body,
                          std::string_view extra_headers, bool keep_alive);

}  // namespace nmz::core::rest
