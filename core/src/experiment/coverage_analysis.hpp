// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <nmz/sdk/status.hpp>

#include "experiment/storage.hpp"

namespace nmz::core::experiment {

// What one run covered: "FILE:LINE" lines and "FILE:LINE:bN" branches
// (gcov), "CLASS#PROBE" probes (JaCoCo, whose probes sit on the edges of the
// control flow, so they count as branches here).
struct CoveragePoints {
  std::string tool;  // "gcov" or "jacoco"
  std::set<std::string> lines;
  std::set<std::string> branches;
};

// The covered points of a gcovr JSON report (`gcovr --json`).
CoveragePoints gcov_points(const nlohmann::json& report);
// The covered points from the listing NmzJacocoProbes prints: one line per
// class, "CLASS P1 P2 ..." with the indices of the probes that fired.
CoveragePoints jacoco_points(std::string_view listing);
// The execution pattern: 16 hex digits of FNV-1a-64 over the sorted points.
std::string coverage_pattern(const CoveragePoints& points);

// One run's coverage (RUN/coverage, as below); nothing when the directory
// holds no .gcda or .exec file. What `nmz run` reads with recordCoverage.
sdk::Result<std::optional<CoveragePoints>> read_run_coverage(const std::filesystem::path& run_dir);
// RUN/coverage-points.json: {"tool", "coverage_pattern", "lines": [...],
// "branches": [...]}, the points sorted.
nlohmann::json coverage_points_json(const CoveragePoints& points);
inline constexpr const char* kCoveragePointsFile = "coverage-points.json";

// `nmz tools analyze`: every run's coverage (RUN/coverage: .gcda files
// through Debian's gcovr, each .gcno looked for next to its .gcda, else at
// the path the coverage directory mirrors, as GCOV_PREFIX lays it out;
// .exec files through JaCoCo's core library from Debian's libjacoco-java
// and the JDK), in run order: its pattern and what it covered first. Each
// run with coverage gets RUN/coverage.json (re)written.
struct CoverageAnalysis {
  struct Row {
    std::string id;
    std::string pattern;  // empty: no coverage (or `error`)
    std::string tool;
    std::size_t lines = 0;
    std::size_t branches = 0;
    std::size_t new_lines = 0;
    std::size_t new_branches = 0;
    bool new_pattern = false;
    std::string error;
  };
  std::vector<Row> rows;
  std::size_t runs_with_coverage = 0;
  std::size_t distinct_patterns = 0;
  std::size_t new_branch_runs = 0;
  std::size_t lines = 0;     // covered by any run
  std::size_t branches = 0;  // covered by any run
};

CoverageAnalysis analyze_coverage(const Storage& storage);
std::string coverage_text(const CoverageAnalysis& analysis);
nlohmann::json coverage_json(const CoverageAnalysis& analysis);

}  // namespace nmz::core::experiment
