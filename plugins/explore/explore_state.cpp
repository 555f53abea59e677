// SPDX-License-Identifier: Apache-2.0
#include "explore_state.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nmz/sdk/hash.hpp>

#include "atomic_file.hpp"

namespace nmz::plugins::explore {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kFormat = "nmz-explore-state";
constexpr int kVersion = 2;
// Version 1 kept `facets` as a set, without how many runs showed each.
constexpr int kVersionFacetSet = 1;

std::string hex64(std::uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

json catalogue_json(const Catalogue& c) {
  json object{{"nodes", c.nodes}, {"processes", c.processes}, {"fs_ops", c.fs_ops}};
  if (!c.names.empty()) object["names"] = c.names;
  if (c.span.count() > 0) object["span_ns"] = c.span.count();
  if (!c.flows.empty()) object["flows"] = c.flows;
  return object;
}

json body_of(const ExploreState& state) {
  json arms = json::object();
  for (const auto& [name, arm] : state.arms) arms[name] = {{"pulls", arm.pulls}, {"reward", arm.reward}};
  json body{{"format", kFormat},
            {"version", kVersion},
            {"arms", std::move(arms)},
            {"signatures", state.signatures},
            {"learned_runs", state.learned_runs},
            {"catalogue", catalogue_json(state.catalogue)}};
  if (!state.covered.empty()) body["covered"] = state.covered;
  if (!state.facets.empty()) body["facets"] = state.facets;
  return body;
}

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_run_dir_name(const std::string& name) {
  return name.size() == 8 && std::all_of(name.begin(), name.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

Catalogue catalogue_from(const json& object) {
  Catalogue c;
  if (!object.is_object()) return c;
  c.nodes = object.value("nodes", 0u);
  c.processes = object.value("processes", 0u);
  c.fs_ops = object.value("fs_ops", 0u);
  c.span = nanoseconds(object.value("span_ns", std::int64_t{0}));
  if (object.contains("flows") && object["flows"].is_array()) {
    for (const auto& flow : object["flows"]) {
      if (flow.is_array() && flow.size() == 2 && flow[0].is_number_unsigned() && flow[1].is_number_unsigned()) {
        c.flows.emplace(flow[0].get<std::uint32_t>(), flow[1].get<std::uint32_t>());
      }
    }
  }
  if (object.contains("names") && object["names"].is_object()) {
    for (const auto& [space, names] : object["names"].items()) {
      if (!names.is_array()) continue;
      for (const auto& name : names) {
        if (name.is_string()) c.names[space].push_back(name.get<std::string>());
      }
    }
  }
  return c;
}

// What result.json and plan.json of one finished run say; nothing when the
// run has not finished.
sdk::Result<std::optional<RunRecord>> read_run(const fs::path& dir) {
  auto result_text = read_text(dir / "result.json");
  if (!result_text) return std::optional<RunRecord>{};
  json result = json::parse(*result_text, nullptr, false);
  if (!result.is_object()) return sdk::Status::invalid((dir / "result.json").string() + ": not valid JSON");
  RunRecord record;
  record.id = dir.filename().string();
  const std::string status = result.value("status", result.value("successful", false) ? "passed" : "failed");
  record.failed = status == "failed";
  record.broken = status == "broken";
  if (result.contains("signature_text") && result["signature_text"].is_string()) {
    record.signature = behaviour_signature(result["signature_text"].get<std::string>());
    record.facets = behaviour_facets(result["signature_text"].get<std::string>());
  } else if (result.contains("signature") && result["signature"].is_string()) {
    record.signature = result["signature"].get<std::string>();
  }
  if (auto plan_text = read_text(dir / kPlanRecordFile)) {
    json plan = json::parse(*plan_text, nullptr, false);
    if (!plan.is_object()) return sdk::Status::invalid((dir / kPlanRecordFile).string() + ": not valid JSON");
    if (!plan.value("forced", false) && plan.contains("arms") && plan["arms"].is_array()) {
      for (const auto& arm : plan["arms"]) {
        if (arm.is_string()) record.arms.push_back(arm.get<std::string>());
      }
      if (plan.contains("applied") && plan["applied"].is_array()) {
        for (const auto& count : plan["applied"]) record.acted.push_back(!count.is_number() || count.get<double>() > 0);
      }
    }
    const json observed = plan.value("observed", json::object());
    record.observed = catalogue_from(observed);
    if (!record.signature && observed.contains("digest") && observed["digest"].is_string()) {
      record.signature = "observed:" + observed["digest"].get<std::string>();
    }
  }
  if (auto points_text = read_text(dir / kCoveragePointsFile)) {
    json points = json::parse(*points_text, nullptr, false);
    if (!points.is_object()) return sdk::Status::invalid((dir / kCoveragePointsFile).string() + ": not valid JSON");
    for (const char* kind : {"lines", "branches"}) {
      for (const auto& point : points.value(kind, json::array())) {
        if (point.is_string()) record.coverage.insert(coverage_point_digest(point.get<std::string>()));
      }
    }
  }
  return std::optional<RunRecord>(std::move(record));
}

// flock on the storage's lock file, released when it goes.
class StateLock {
 public:
  explicit StateLock(const fs::path& file) : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  StateLock(const StateLock&) = delete;
  StateLock& operator=(const StateLock&) = delete;
  ~StateLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace

std::string coverage_point_digest(std::string_view point) { return hex64(sdk::fnv1a64(point)); }

namespace {

// `text` cut at `separator`, empty pieces kept.
std::vector<std::string_view> split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> pieces;
  for (;;) {
    const std::size_t end = text.find(separator);
    pieces.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return pieces;
    text = text.substr(end + separator.size());
  }
}

// The signature text's parts that describe the target, not the policy.
std::vector<std::string_view> behaviour_parts(std::string_view text) {
  std::vector<std::string_view> kept;
  if (text.empty()) return kept;
  for (std::string_view part : split(text, "; ")) {
    if (!part.starts_with("faults: ") && !part.starts_with("held>=")) kept.push_back(part);
  }
  return kept;
}

}  // namespace

std::string behaviour_signature(std::string_view text) {
  std::string kept;
  for (std::string_view part : behaviour_parts(text)) kept += (kept.empty() ? "" : "; ") + std::string(part);
  return "behaviour:" + hex64(sdk::fnv1a64(kept));
}

std::set<std::string> behaviour_facets(std::string_view text) {
  std::set<std::string> facets;
  std::size_t place = 0;
  for (std::string_view part : behaviour_parts(text)) {
    for (std::string_view line : split(part, " / ")) {
      std::size_t word = 0;
      for (std::string_view w : split(line, " ")) {
        if (w.empty()) continue;
        facets.insert(hex64(sdk::fnv1a64(std::to_string(place) + "." + std::to_string(word++) + "=" + std::string(w))));
      }
      ++place;
    }
  }
  return facets;
}

void learn(ExploreState& state, const RunRecord& record) {
  if (!state.learned_runs.insert(record.id).second) return;
  for (const auto& [space, names] : record.observed.names) {
    auto& known = state.catalogue.names[space];
    for (const auto& name : names) {
      if (std::find(known.begin(), known.end(), name) == known.end()) known.push_back(name);
    }
  }
  // The run ranked its nodes by the names its plan knew; runs side by side
  // may have ranked a new name differently, so flows go through the names.
  const auto run_nodes = record.observed.names.find(role_prefix(RoleSpace::node));
  const auto known_nodes = state.catalogue.names.find(role_prefix(RoleSpace::node));
  auto state_rank = [&](std::uint32_t run_rank) -> std::optional<std::uint32_t> {
    if (run_nodes == record.observed.names.end() || run_rank >= run_nodes->second.size()) return std::nullopt;
    const auto& known = known_nodes->second;  // holds every name of the run by now
    return static_cast<std::uint32_t>(std::find(known.begin(), known.end(), run_nodes->second[run_rank]) - known.begin());
  };
  for (const auto& [src, dst] : record.observed.flows) {
    auto a = state_rank(src);
    auto b = state_rank(dst);
    if (a && b) state.catalogue.flows.emplace(*a, *b);
  }
  if (!record.broken && record.observed.span.count() > 0) {
    const nanoseconds known = state.catalogue.span;
    state.catalogue.span = known.count() == 0 ? record.observed.span : std::min(known, record.observed.span);
  }
  state.catalogue.nodes = std::max(state.catalogue.nodes, record.observed.nodes);
  state.catalogue.processes = std::max(state.catalogue.processes, record.observed.processes);
  state.catalogue.fs_ops = std::max(state.catalogue.fs_ops, record.observed.fs_ops);
  // A broken run says nothing about the target's behaviour; its plan is
  // still counted as tried, so that plans that break runs fade.
  RunNovelty novelty{record.failed, false, 0.0};
  if (!record.broken) {
    for (const auto& point : record.coverage) novelty.new_coverage = state.covered.insert(point).second || novelty.new_coverage;
  }
  if (record.signature && !record.broken) {
    std::uint64_t runs_before = 0;
    for (const auto& [signature, runs] : state.signatures) runs_before += runs;
    ++state.signatures[*record.signature];
    // A signature without text (a digest only) is its own one facet.
    std::set<std::string> facets = record.facets;
    if (facets.empty()) facets.insert(hex64(sdk::fnv1a64(*record.signature)));
    for (const auto& facet : facets) {
      std::uint64_t& runs_showing = state.facets[facet];
      novelty.rarity = std::max(novelty.rarity, facet_rarity(runs_showing, runs_before));
      ++runs_showing;
    }
  }
  const double reward = record.broken ? kRewardNothingNew : run_reward(novelty);
  std::vector<std::string> acting;
  std::vector<std::string> idle;
  for (std::size_t i = 0; i < record.arms.size(); ++i) {
    (i >= record.acted.size() || record.acted[i] ? acting : idle).push_back(record.arms[i]);
  }
  credit(state.arms, acting, reward);
  credit(state.arms, idle, kRewardNothingNew);
}

namespace {

// A state file's checksum: of its body, everything but "checksum".
std::string body_checksum(const json& body) { return hex64(sdk::fnv1a64(body.dump())); }

}  // namespace

json to_json(const ExploreState& state) {
  json body = body_of(state);
  body["checksum"] = body_checksum(body);
  return body;
}

std::string state_digest(const ExploreState& state) { return body_checksum(body_of(state)); }

sdk::Result<ExploreState> state_from_json(std::string_view text) {
  json object = json::parse(text, nullptr, false);
  if (object.is_discarded()) return sdk::Status::invalid("not valid JSON (torn or truncated?)");
  if (!object.is_object() || object.value("format", "") != kFormat) {
    return sdk::Status::invalid(std::string("not an explore state (no \"format\": \"") + kFormat + "\")");
  }
  const int version = object.value("version", 0);
  if (version != kVersion && version != kVersionFacetSet) {
    return sdk::Status::invalid("unknown version " + object.value("version", json()).dump() + " (expected " +
                                std::to_string(kVersion) + ")");
  }
  try {
    ExploreState state;
    for (const auto& [name, arm] : object.at("arms").items()) {
      state.arms[name] = ArmStats{arm.at("pulls").get<double>(), arm.at("reward").get<double>()};
    }
    state.signatures = object.at("signatures").get<std::map<std::string, std::uint64_t>>();
    state.learned_runs = object.at("learned_runs").get<std::set<std::string>>();
    if (object.contains("covered")) state.covered = object.at("covered").get<std::set<std::string>>();
    if (object.contains("facets") && version == kVersionFacetSet) {
      for (const auto& facet : object.at("facets").get<std::set<std::string>>()) state.facets[facet] = 1;
    } else if (object.contains("facets")) {
      state.facets = object.at("facets").get<std::map<std::string, std::uint64_t>>();
    }
    state.catalogue = catalogue_from(object.at("catalogue"));
    // The checksum covers the file as written, whichever version wrote it.
    const std::string checksum = object.value("checksum", "");
    object.erase("checksum");
    if (checksum != body_checksum(object)) {
      return sdk::Status::invalid("checksum mismatch (the file was changed or damaged after nmz wrote it)");
    }
    return state;
  } catch (const json::exception& e) {
    return sdk::Status::invalid(std::string("a member is missing or has the wrong type: ") + e.what());
  }
}

std::vector<RunRecord> unlearned_runs(const fs::path& storage, const ExploreState& state, sdk::Logger& logger) {
  std::vector<fs::path> dirs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(storage, error)) {
    const std::string name = entry.path().filename().string();
    if (is_run_dir_name(name) && !state.learned_runs.contains(name) && entry.is_directory(error)) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<RunRecord> records;
  for (const auto& dir : dirs) {
    auto record = read_run(dir);
    if (!record) {
      logger.warn("explore: not learning from run " + dir.filename().string() + " yet: " + record.status().message());
    } else if (*record) {
      records.push_back(std::move(**record));
    }
  }
  return records;
}

ExploreState refresh_state(const fs::path& storage, sdk::Logger& logger) {
  const fs::path file = storage / kStateFile;
  StateLock lock(storage / kStateLockFile);
  if (!lock.held()) logger.warn("explore: cannot lock " + (storage / kStateLockFile).string() + ": learning unlocked");
  ExploreState state;
  if (auto text = read_text(file)) {
    auto loaded = state_from_json(*text);
    if (loaded) {
      state = std::move(*loaded);
    } else {
      logger.warn("explore: ignoring " + file.string() + ": " + loaded.status().message() +
                  "; rebuilding what it held from the runs' records");
    }
  }
  for (const auto& record : unlearned_runs(storage, state, logger)) learn(state, record);
  if (auto status = replace_file_atomically(file, to_json(state).dump(1, '\t') + "\n"); !status) {
    logger.warn("explore: cannot save the learned state: " + status.message());
  }
  return state;
}

}  // namespace nmz::plugins::explore
