// SPDX-License-Identifier: Apache-2.0
// What `nmz tools analyze` takes from gcovr's JSON and JaCoCo's probes, and
// when two runs share an execution pattern.
#include <doctest/doctest.h>

#include "experiment/coverage_analysis.hpp"

using namespace nmz::core::experiment;

namespace {
nlohmann::json report(int first_branch_count, int second_branch_count) {
  return nlohmann::json::parse(R"({"files": [{"file": "/src/prog.c", "lines": [
      {"line_number": 4, "count": 1, "branches": [{"count": )" + std::to_string(first_branch_count) +
                               R"(}, {"count": )" + std::to_string(second_branch_count) + R"(}]},
      {"line_number": 5, "count": 0, "branches": []},
      {"line_number": 6, "count": 3, "branches": []}]}]})");
}
}  // namespace

TEST_CASE("gcov points: covered lines and taken branches, whatever their counts") {
  const auto points = gcov_points(report(1, 0));
  CHECK(points.tool == "gcov");
  CHECK(points.lines == std::set<std::string>{"/src/prog.c:4", "/src/prog.c:6"});
  CHECK(points.branches == std::set<std::string>{"/src/prog.c:4:b0"});
  CHECK(coverage_pattern(points) == coverage_pattern(gcov_points(report(7, 0))));
  CHECK(coverage_pattern(points) != coverage_pattern(gcov_points(report(1, 1))));
  CHECK(coverage_pattern(points).size() == 16);
  CHECK(gcov_points(nlohmann::json::object()).lines.empty());
}

TEST_CASE("JaCoCo points: the probes that fired, per class") {
  const auto points = jacoco_points("Branchy 1 3 5\nother/Thing\n\nBranchy$Inner 0\n");
  CHECK(points.tool == "jacoco");
  CHECK(points.branches == std::set<std::string>{"Branchy#1", "Branchy#3", "Branchy#5", "Branchy$Inner#0"});
  CHECK(points.lines.empty());
  CHECK(coverage_pattern(points) != coverage_pattern(jacoco_points("Branchy 1 3 6\n")));
}
