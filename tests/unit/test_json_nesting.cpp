// SPDX-License-Identifier: Apache-2.0
#include <string>

#include <doctest/doctest.h>

#include <nmz/sdk/json_nesting.hpp>

using nmz::sdk::json_nesting_depth;

TEST_CASE("JSON nesting counts arrays and objects, not brackets inside strings") {
  CHECK(json_nesting_depth("") == 0);
  CHECK(json_nesting_depth("17") == 0);
  CHECK(json_nesting_depth("{}") == 1);
  CHECK(json_nesting_depth(R"({"a":[[1]],"b":{}})") == 3);
  CHECK(json_nesting_depth(R"({"a":[[1]],"s":"[[[[[["})") == 3);
  CHECK(json_nesting_depth(R"({"s":"\"[[[["})") == 1);
  CHECK(json_nesting_depth(R"(["\\", [[]]])") == 3);  // an escaped backslash ends no string
  CHECK(json_nesting_depth("]]]{[") == 2);  // stray closers do not go below zero
}

TEST_CASE("JSON nesting of 100 KB of brackets is measured without recursion") {
  CHECK(json_nesting_depth(std::string(100000, '[')) == 100000);
  CHECK(json_nesting_depth(std::string(100000, '[') + std::string(100000, ']') + "[]") == 100000);
}
