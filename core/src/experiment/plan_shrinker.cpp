// SPDX-License-Identifier: Apache-2.0
#include "experiment/plan_shrinker.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

namespace nmz::core::experiment {
namespace {

using nlohmann::json;

constexpr std::int64_t kShortestWindowNs = 100'000'000;
constexpr std::int64_t kShortestDelayNs = 10'000'000;

json with_faults(const json& plan, const std::vector<json>& faults) {
  json candidate = plan;
  candidate["faults"] = faults;
  return candidate;
}

class Shrinker {
 public:
  Shrinker(const json& plan, const PlanOracle& fails, ShrinkLimits limits)
      : plan_(plan), fails_(fails), limits_(limits) {}

  ShrinkOutcome run() {
    std::vector<json> faults = plan_.value("faults", json::array()).get<std::vector<json>>();
    ShrinkOutcome outcome;
    outcome.reproduced = test(faults);
    if (outcome.reproduced) {
      faults = ddmin(std::move(faults));
      shorten(faults);
    }
    outcome.plan = with_faults(plan_, faults);
    outcome.candidates = tried_.size();
    return outcome;
  }

 private:
  // Memoised: ddmin asks for some subsets twice.
  bool test(const std::vector<json>& faults) {
    const std::string key = json(faults).dump();
    if (auto known = tried_.find(key); known != tried_.end()) return known->second;
    if (tried_.size() >= limits_.max_candidates) return false;
    const bool failed = fails_(with_faults(plan_, faults));
    tried_.emplace(key, failed);
    return failed;
  }

  std::vector<json> ddmin(std::vector<json> faults) {
    std::size_t pieces = 2;
    while (faults.size() >= 2) {
      const std::size_t size = faults.size();
      std::vector<std::vector<json>> chunks;
      for (std::size_t i = 0; i < pieces; ++i) {
        const std::size_t begin = i * size / pieces;
        const std::size_t end = (i + 1) * size / pieces;
        if (begin < end) chunks.emplace_back(faults.begin() + static_cast<std::ptrdiff_t>(begin), faults.begin() + static_cast<std::ptrdiff_t>(end));
      }
      bool reduced = false;
      for (const auto& chunk : chunks) {
        if (test(chunk)) {
          faults = chunk;
          pieces = 2;
          reduced = true;
          break;
        }
      }
      if (!reduced && chunks.size() > 2) {
        for (std::size_t skip = 0; skip < chunks.size() && !reduced; ++skip) {
          std::vector<json> complement;
          for (std::size_t i = 0; i < chunks.size(); ++i) {
            if (i != skip) complement.insert(complement.end(), chunks[i].begin(), chunks[i].end());
          }
          if (test(complement)) {
            faults = std::move(complement);
            pieces = std::max<std::size_t>(pieces - 1, 2);
            reduced = true;
          }
        }
      }
      if (reduced) continue;
      if (pieces >= size) break;
      pieces = std::min(pieces * 2, size);
    }
    return faults;
  }

  // Halves windows, then delays, fault by fault, as long as the plan fails.
  void shorten(std::vector<json>& faults) {
    for (std::size_t i = 0; i < faults.size(); ++i) {
      for (;;) {
        json& f = faults[i];
        const std::int64_t start = f.value("start_ns", std::int64_t{0});
        const std::int64_t length = f.value("end_ns", start) - start;
        if (length / 2 < kShortestWindowNs) break;
        std::vector<json> candidate = faults;
        candidate[i]["end_ns"] = start + length / 2;
        if (!test(candidate)) break;
        faults = std::move(candidate);
      }
      while (faults[i].contains("delay_ns")) {
        const std::int64_t delay = faults[i]["delay_ns"].get<std::int64_t>();
        if (delay / 2 < kShortestDelayNs) break;
        std::vector<json> candidate = faults;
        candidate[i]["delay_ns"] = delay / 2;
        if (!test(candidate)) break;
        faults = std::move(candidate);
      }
    }
  }

  const json& plan_;
  const PlanOracle& fails_;
  ShrinkLimits limits_;
  std::map<std::string, bool> tried_;
};

std::string seconds(std::int64_t ns) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ns) / 1e9);
  return text;
}

}  // namespace

ShrinkOutcome shrink_plan(const json& plan, const PlanOracle& fails, ShrinkLimits limits) {
  return Shrinker(plan, fails, limits).run();
}

std::string plan_outline(const json& plan) {
  std::string text;
  for (const json& f : plan.value("faults", json::array())) {
    const std::string kind = f.value("kind", "?");
    const std::string space = kind == "pause-process" ? "process" : kind == "fail-fs" ? "fsop" : "node";
    text += "  " + kind + " " + space + "#" + std::to_string(f.value("role", 0));
    if (f.contains("peer")) text += "->node#" + std::to_string(f.value("peer", 0));
    if (f.contains("delay_ns")) text += " " + std::to_string(f.value("delay_ns", std::int64_t{0}) / 1'000'000) + " ms";
    if (f.contains("errno")) text += " " + f.value("errno", "");
    text += " [" + seconds(f.value("start_ns", std::int64_t{0})) + ", " + seconds(f.value("end_ns", std::int64_t{0})) + ")";
    text += f.value("anchor", "run") == "target" ? " after its first event\n" : "\n";
  }
  return text.empty() ? "  (no fault)\n" : text;
}

double plan_fault_seconds(const json& plan) {
  double total = 0;
  for (const json& f : plan.value("faults", json::array())) {
    total += static_cast<double>(f.value("end_ns", std::int64_t{0}) - f.value("start_ns", std::int64_t{0})) / 1e9;
  }
  return total;
}

}  // namespace nmz::core::experiment
