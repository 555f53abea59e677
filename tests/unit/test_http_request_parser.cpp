// SPDX-License-Identifier: Apache-2.0
// The REST endpoint's HTTP/1.1 request parser: requests split anywhere,
// pipelining, chunked bodies, and every limit refused as bytes arrive.
#include <doctest/doctest.h>

#include <string>

#include "rest/http_request_parser.hpp"

using nmz::core::rest::HttpRequestParser;
using State = HttpRequestParser::State;

namespace {

const std::string kPost =
    "POST /api/v3/events/zk%2Dether/u1?x=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    "X-Nmz-Client: c1\r\nContent-Length: 2\r\n\r\n{}";
const std::string kChunked =
    "POST /api/v3/events/e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\n[{}\r\n1\r\n]\r\n0\r\nT: 1\r\n\r\n";

}  // namespace

TEST_CASE("a request split at every byte parses the same") {
  for (const std::string& text : {kPost, kChunked}) {
    for (std::size_t split = 0; split <= text.size(); ++split) {
      HttpRequestParser parser({16384, 1 << 20});
      parser.append(std::string_view(text).substr(0, split));
      State first = parser.parse();
      if (split < text.size()) {
        REQUIRE(first == State::need_more);
        parser.append(std::string_view(text).substr(split));
        first = parser.parse();
      }
      REQUIRE(first == State::complete);
      CHECK(parser.request().method == "POST");
      if (text == kPost) {
        CHECK(parser.request().path == "/api/v3/events/zk-ether/u1");
        CHECK(parser.request().query == "x=1");
        CHECK(parser.request().body == "{}");
        CHECK(parser.request().client_id == "c1");
      } else {
        CHECK(parser.request().body == "[{}]");
      }
      CHECK_FALSE(parser.mid_request());
    }
  }
}

TEST_CASE("pipelined requests come one by one, keep-alive as the version says") {
  HttpRequestParser parser({16384, 1 << 20});
  parser.append("GET / HTTP/1.1\r\n\r\nGET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n");
  REQUIRE(parser.parse() == State::complete);
  CHECK(parser.request().keep_alive);
  REQUIRE(parser.parse() == State::complete);
  CHECK(parser.request().path == "/a");
  CHECK_FALSE(parser.request().keep_alive);
  REQUIRE(parser.parse() == State::complete);
  CHECK_FALSE(parser.request().keep_alive);
  CHECK(parser.parse() == State::need_more);
}

TEST_CASE("limits are refused before the body arrives") {
  HttpRequestParser declared({16384, 1024});
  declared.append("POST / HTTP/1.1\r\nContent-Length: 1025\r\n\r\n");
  CHECK(declared.parse() == State::error);
  CHECK(declared.error_status() == 413);

  HttpRequestParser chunked({16384, 1024});
  chunked.append("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK(chunked.parse() == State::need_more);
  for (int i = 0; i < 2; ++i) chunked.append("200\r\n" + std::string(0x200, 'x') + "\r\n");
  CHECK(chunked.parse() == State::need_more);
  chunked.append("1\r\n");
  CHECK(chunked.parse() == State::error);
  CHECK(chunked.error_status() == 413);

  HttpRequestParser huge_chunk({16384, 1024});
  huge_chunk.append("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n");
  CHECK(huge_chunk.parse() == State::error);
  CHECK(huge_chunk.error_status() == 413);

  HttpRequestParser head({64, 1024});
  head.append("GET / HTTP/1.1\r\nX: " + std::string(100, 'a'));
  CHECK(head.parse() == State::error);
  CHECK(head.error_status() == 431);
}

TEST_CASE("malformed and ambiguous requests are errors") {
  for (const char* text : {"GET\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET x HTTP/1.1\r\n\r\n",
                           "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                           "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                           "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "GET /%zz HTTP/1.1\r\n\r\n",
                           "GET / HTTP/1.1\r\n folded\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"}) {
    HttpRequestParser parser({16384, 1024});
    parser.append(text);
    CHECK_MESSAGE(parser.parse() == State::error, text);
    CHECK(parser.error_status() >= 400);
  }
}

TEST_CASE("Expect: 100-continue is reported once, before the body") {
  HttpRequestParser parser({16384, 1024});
  parser.append("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  CHECK(parser.parse() == State::head_complete);
  CHECK(parser.parse() == State::need_more);
  parser.append("{}");
  CHECK(parser.parse() == State::complete);
}
