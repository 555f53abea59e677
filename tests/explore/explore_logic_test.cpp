// SPDX-License-Identifier: Apache-2.0
// Pure logic of the explore policy: plans (generation, words, JSON), the
// bandit, the learned state and its file, and applying a plan to events.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <doctest/doctest.h>

#include <nmz/sdk/proc_sched.hpp>

#include "bandit.hpp"
#include "explore_state.hpp"
#include "fault_plan.hpp"
#include "plan_executor.hpp"
#include "plan_generator.hpp"

using namespace nmz::plugins::explore;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nmz::plugins::SeededRandom;

namespace {

class NullLogger final : public nmz::sdk::Logger {
 public:
  void write(nmz::sdk::LogLevel level, std::string_view message) noexcept override {
    if (level == nmz::sdk::LogLevel::warn) warnings.emplace_back(message);
  }
  [[nodiscard]] bool enabled(nmz::sdk::LogLevel) const noexcept override { return true; }
  std::vector<std::string> warnings;
};

// A temporary directory removed at the end of the test case.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "nmz-explore-test-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

std::string read(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

nmz::sdk::Event packet(const std::string& src, const std::string& dst) {
  return nmz::sdk::make_packet_event("_namazu_ethernet_inspector", src, dst, "x", "hint");
}

Fault slow(std::uint32_t role, nanoseconds delay, nanoseconds start, nanoseconds end) {
  Fault f;
  f.kind = FaultKind::slow_node;
  f.role = role;
  f.delay = delay;
  f.start = start;
  f.end = end;
  return f;
}

}  // namespace

TEST_CASE("plan generation: the seed and the state reproduce the plan") {
  ExploreSettings settings;
  ExploreState state;
  state.catalogue = {3, 2, 1, {}, 0ns, {}};
  std::set<std::string> distinct;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    Plan a = draw_plan(settings, state, seed);
    Plan b = draw_plan(settings, state, seed);
    CHECK(a == b);
    REQUIRE(!a.faults.empty());
    CHECK(a.faults.size() <= 3);
    distinct.insert(describe(a));
    for (const Fault& f : a.faults) {
      CHECK(f.start >= 0ns);
      CHECK(f.start < kDefaultStartMax);
      CHECK(f.end - f.start >= settings.window_min);
      CHECK(f.end - f.start < settings.window_max);
      if (f.kind == FaultKind::slow_node || f.kind == FaultKind::delay_flow) {
        CHECK(f.delay >= settings.delay_min);
        CHECK(f.delay <= settings.delay_max);
      }
      if (f.kind == FaultKind::pause_process) CHECK(f.role < 2);
      if (f.kind == FaultKind::fail_fs) {
        CHECK(f.role == 0);
        CHECK((f.errno_name == "EIO" || f.errno_name == "ENOSPC"));
      }
    }
    // A plan never pulls one arm twice.
    std::set<std::string> arms;
    for (const Fault& f : a.faults) CHECK(arms.insert(f.arm()).second);
  }
  CHECK(distinct.size() >= 35);
  // Half the windows open at the first event, the others spread over [0, startMax).
  std::size_t at_first = 0;
  std::size_t later_starts = 0;
  std::set<std::int64_t> spread;
  for (std::uint64_t seed = 1; seed <= 400; ++seed) {
    for (const Fault& f : draw_plan(settings, state, seed).faults) {
      ++(f.start == 0ns ? at_first : later_starts);
      if (f.start > 0ns) spread.insert(f.start.count() * 10 / kDefaultStartMax.count());
    }
  }
  const double share = static_cast<double>(at_first) / static_cast<double>(at_first + later_starts);
  CHECK(share > 0.4);
  CHECK(share < 0.6);
  CHECK(spread.size() == 10);  // every tenth of [0, startMax) has some
  // Windows start within the shortest run seen, unless startMax says otherwise.
  ExploreState short_runs = state;
  short_runs.catalogue.span = 800ms;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    for (const Fault& f : draw_plan(settings, short_runs, seed).faults) CHECK(f.start < 800ms);
  }
  ExploreSettings fixed_start = settings;
  fixed_start.start_max = 5s;
  bool later = false;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    for (const Fault& f : draw_plan(fixed_start, short_runs, seed).faults) later = later || f.start >= 800ms;
  }
  CHECK(later);
  // The same seed with another learned state may give another plan.
  ExploreState learned = state;
  credit(learned.arms, {"partition node#2"}, 1.0);
  for (int i = 0; i < 30; ++i) credit(learned.arms, {"partition node#2"}, 1.0);
  int changed = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) changed += draw_plan(settings, state, seed) == draw_plan(settings, learned, seed) ? 0 : 1;
  CHECK(changed > 0);
}

TEST_CASE("plan generation: targets and magnitudes follow the catalogue and the settings") {
  ExploreSettings settings;
  Catalogue none;
  // Before any run: the assumed 3 nodes, no process or fs targets.
  auto targets = candidate_targets(settings, none);
  std::set<std::string> names;
  for (const auto& f : targets) names.insert(f.target());
  CHECK(names.contains("slow-node node#2"));
  CHECK(names.contains("delay-flow node#1->node#0"));
  CHECK(names.contains("partition node#1"));
  CHECK(names.size() == 3 + 6 + 3);
  CHECK(delay_magnitudes(settings) == std::vector<std::string>{"short", "medium", "long"});
  settings.kinds = {FaultKind::pause_process, FaultKind::fail_fs};
  CHECK(candidate_targets(settings, none).empty());
  CHECK(draw_plan(settings, ExploreState{}, 7).faults.empty());
  targets = candidate_targets(settings, Catalogue{0, 2, 3, {}, 0ns, {}});
  CHECK(targets.size() == 5);
  // A delay range entirely below 200 ms has only short delays; one from
  // 300 ms to 5 s medium and long ones.
  settings = ExploreSettings{};
  settings.kinds = {FaultKind::slow_node};
  settings.delay_max = 100ms;
  CHECK(delay_magnitudes(settings) == std::vector<std::string>{"short"});
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    for (const auto& f : draw_plan(settings, ExploreState{}, seed).faults) CHECK(f.arm().starts_with("slow-node node#"));
    for (const auto& f : draw_plan(settings, ExploreState{}, seed).faults) CHECK(arm_factors(f.arm()).magnitude == "short");
  }
  settings.delay_min = 300ms;
  settings.delay_max = 5s;
  CHECK(delay_magnitudes(settings) == std::vector<std::string>{"medium", "long"});
  std::set<std::string> drawn;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    for (const auto& f : draw_plan(settings, ExploreState{}, seed).faults) {
      drawn.insert(arm_factors(f.arm()).magnitude);
      CHECK(f.delay >= 300ms);
      CHECK(f.delay <= 5s);
    }
  }
  CHECK(drawn == std::set<std::string>{"medium", "long"});
  // Once runs have shown which node pairs talk, delay-flow targets are only
  // those (a star: the server, node#1, talks with both clients).
  settings = ExploreSettings{};
  settings.kinds = {FaultKind::delay_flow};
  names.clear();
  for (const auto& f : candidate_targets(settings, Catalogue{3, 0, 0, {}, 0ns, {{0, 1}, {1, 0}, {2, 1}, {1, 2}}})) {
    names.insert(f.target());
  }
  CHECK(names.size() == 4);
  CHECK(names.contains("delay-flow node#2->node#1"));
  CHECK(!names.contains("delay-flow node#0->node#2"));
}

TEST_CASE("arms: names carry target, magnitude and phase; the bandit pools them by factor") {
  CHECK(slow(2, 150ms, 0s, 1s).arm() == "slow-node node#2 short early");
  CHECK(slow(2, 200ms, 0s, 1s).arm() == "slow-node node#2 medium early");
  CHECK(slow(2, 1s, 1ms, 2s).arm() == "slow-node node#2 long late");
  const ArmFactors f = arm_factors("delay-flow node#0->node#1 medium late");
  CHECK(f.target == "delay-flow node#0->node#1");
  CHECK(f.magnitude == "medium");
  CHECK(f.phase == "late");
  // Names written before phases and three magnitudes existed still pool by target.
  CHECK(arm_factors("partition node#1").target == "partition node#1");
  CHECK(arm_factors("partition node#1").phase.empty());
  CHECK(arm_factors("slow-node node#0 short").magnitude == "short");
  std::map<std::string, ArmStats> arms{{"slow-node node#0 long early", {2, 1}},
                                       {"slow-node node#0 short late", {3, 0}},
                                       {"delay-flow node#0->node#1 long late", {1, 1}},
                                       {"partition node#2 early", {4, 2}}};
  const PooledStats pooled = pool_by_factor(arms);
  CHECK(pooled.targets.at("slow-node node#0") == ArmStats{5, 1});
  CHECK(pooled.targets.at("partition node#2") == ArmStats{4, 2});
  CHECK(pooled.magnitudes.at("long") == ArmStats{3, 2});
  CHECK(pooled.magnitudes.at("short") == ArmStats{3, 0});
  CHECK(!pooled.magnitudes.contains("medium"));
  CHECK(pooled.phases.at("early") == ArmStats{6, 3});
  CHECK(pooled.phases.at("late") == ArmStats{4, 1});
}

TEST_CASE("plan generation: magnitude and phase learned on some targets serve all") {
  ExploreSettings settings;
  settings.max_faults = 1;
  ExploreState state;
  state.catalogue = {3, 0, 0, {}, 4s, {}};
  // Ten runs: long late delays on node#0 showed something new, every other
  // magnitude and phase did not.
  for (int i = 0; i < 10; ++i) {
    credit(state.arms, {"slow-node node#0 long late"}, 1.0);
    credit(state.arms, {"slow-node node#0 short early"}, 0.0);
    credit(state.arms, {"slow-node node#0 medium early"}, 0.0);
  }
  // node#2's flows were never tried, yet their delays are long and late.
  int flows = 0;
  int long_late = 0;
  for (std::uint64_t seed = 0; seed < 300; ++seed) {
    const Fault f = draw_plan(settings, state, seed).faults.at(0);
    if (f.kind != FaultKind::delay_flow) continue;
    ++flows;
    long_late += f.arm().ends_with(" long late") ? 1 : 0;
  }
  REQUIRE(flows > 50);
  CHECK(long_late > flows * 8 / 10);
  // Without anything learned, each magnitude and phase is drawn about evenly.
  std::map<std::string, int> magnitudes;
  std::map<std::string, int> phases;
  for (std::uint64_t seed = 0; seed < 600; ++seed) {
    for (const Fault& g : draw_plan(settings, ExploreState{}, seed).faults) {
      const ArmFactors factors = arm_factors(g.arm());
      ++phases[factors.phase];
      if (!factors.magnitude.empty()) ++magnitudes[factors.magnitude];
    }
  }
  for (const char* m : {"short", "medium", "long"}) CHECK(magnitudes[m] > 120);
  CHECK(phases["early"] > 250);
  CHECK(phases["late"] > 250);
  // startMax 0 leaves only early windows.
  settings.start_max = 0ns;
  for (std::uint64_t seed = 0; seed < 20; ++seed) CHECK(draw_plan(settings, state, seed).faults.at(0).start == 0ns);
}

TEST_CASE("plan words and JSON") {
  Plan plan;
  plan.faults.push_back(slow(2, 420ms, 800ms, 3100ms));
  Fault flow;
  flow.kind = FaultKind::delay_flow;
  flow.role = 0;
  flow.peer = 1;
  flow.delay = 50ms;
  flow.start = 0ns;
  flow.end = 2s;
  plan.faults.push_back(flow);
  Fault fs_fault;
  fs_fault.kind = FaultKind::fail_fs;
  fs_fault.role = 0;
  fs_fault.errno_name = "ENOSPC";
  fs_fault.start = 1s;
  fs_fault.end = 2s;
  plan.faults.push_back(fs_fault);
  CHECK(describe(plan, {{"node#2", "zk3"}, {"fsop#0", "pre-write"}}) ==
        "delayed node#2 (zk3) -> * by 420 ms from t=0.8 s to t=3.1 s; delayed node#0 -> node#1 by 50 ms from t=0.0 s "
        "to t=2.0 s; failed fsop#0 (pre-write) with ENOSPC from t=1.0 s to t=2.0 s");
  CHECK(plan.faults[0].arm() == "slow-node node#2 medium late");
  CHECK(plan.faults[1].arm() == "delay-flow node#0->node#1 short early");
  CHECK(plan.faults[2].arm() == "fail-fs fsop#0 late");
  auto back = plan_from_json(to_json(plan));
  REQUIRE(back);
  CHECK(*back == plan);
  auto bad = [](const char* text) { return plan_from_json(nlohmann::json::parse(text)).status().message(); };
  CHECK(bad(R"({"faults":[{"kind":"melt","role":0,"start_ns":0,"end_ns":1}]})").starts_with("faults[0]: unknown fault kind \"melt\""));
  CHECK(bad(R"({"faults":[{"kind":"partition","role":0,"start_ns":5,"end_ns":1}]})") == "faults[0]: \"end_ns\" is before \"start_ns\"");
  CHECK(bad(R"({"faults":[{"kind":"slow-node","role":0,"start_ns":0,"end_ns":1}]})") == "faults[0]: no \"delay_ns\"");
  CHECK(bad(R"({"faults":[{"kind":"partition","role":-1,"start_ns":0,"end_ns":1}]})") ==
        "faults[0]: \"role\" must be an integer of 0 or more");
  CHECK(bad(R"({"fault":[]})") == "a plan is an object with an array \"faults\"");
  CHECK(bad(R"({"faults":[{"kind":"partition","role":0,"start_ns":0,"end_ns":1,"anchor":"late"}]})") ==
        "faults[0]: \"anchor\" must be \"run\" or \"target\"");
  // A window anchored at its target says so in words and in JSON.
  Plan anchored;
  anchored.faults.push_back(slow(1, 600ms, 0s, 2500ms));
  anchored.faults[0].anchor = Anchor::target;
  CHECK(describe(anchored, {{"node#1", "c2"}}) == "delayed node#1 (c2) -> * by 600 ms from 0.0 s to 2.5 s after its first packet");
  CHECK(to_json(anchored)["faults"][0]["anchor"] == "target");
  back = plan_from_json(to_json(anchored));
  REQUIRE(back);
  CHECK(*back == anchored);
  // Plans written before anchors existed are measured from the run's start.
  auto old = plan_from_json(nlohmann::json::parse(R"({"faults":[{"kind":"partition","role":0,"start_ns":0,"end_ns":1}]})"));
  REQUIRE(old);
  CHECK(old->faults[0].anchor == Anchor::run);
}

TEST_CASE("bandit: rewards, credit and Thompson draws") {
  CHECK(run_reward({false, false, 1.0}) == 1.0);
  CHECK(run_reward({true, false, 1.0}) == 1.0);
  CHECK(run_reward({false, false, 0.3}) == 0.3);
  CHECK(run_reward({true, false, 0.3}) == kRewardKnownFailure);
  CHECK(run_reward({true, false, 0.0}) == kRewardKnownFailure);
  CHECK(run_reward({false, false, 0.0}) == kRewardNothingNew);
  CHECK(run_reward({false, true, 0.0}) == kRewardNewCoverage);
  CHECK(run_reward({true, true, 0.3}) == kRewardNewCoverage);
  std::map<std::string, ArmStats> arms;
  credit(arms, {"a", "b"}, 1.0);
  credit(arms, {"a"}, 0.5);
  CHECK(arms["a"] == ArmStats{2, 1.5});
  CHECK(arms["b"] == ArmStats{1, 1});
  // Gamma(k) has mean k.
  SeededRandom random(3);
  for (double shape : {1.0, 2.5, 10.0}) {
    double sum = 0;
    for (int i = 0; i < 4000; ++i) sum += gamma_draw(shape, random);
    CHECK(std::abs(sum / 4000 - shape) < 0.1 * shape);
  }
  // A rewarding arm wins most draws against a barren one; an untried arm
  // still wins some (exploration).
  ArmStats good{20, 15};
  ArmStats barren{20, 0};
  ArmStats untried{};
  int good_wins = 0;
  int untried_wins = 0;
  for (int i = 0; i < 1000; ++i) {
    good_wins += thompson_draw(good, random) > thompson_draw(barren, random) ? 1 : 0;
    untried_wins += thompson_draw(untried, random) > thompson_draw(barren, random) ? 1 : 0;
  }
  CHECK(good_wins > 980);
  CHECK(untried_wins > 800);
  CHECK(untried_wins < 1000);
}

TEST_CASE("bandit: a target that keeps failing is drawn far more often") {
  ExploreSettings settings;
  settings.max_faults = 1;
  ExploreState state;
  state.catalogue = {3, 0, 0, {}, 0ns, {}};
  // Five runs each: one target failed every time, the others showed nothing new.
  for (const auto& f : candidate_targets(settings, state.catalogue)) {
    const double reward = f.target() == "slow-node node#1" ? kRewardKnownFailure : kRewardNothingNew;
    for (int i = 0; i < 5; ++i) credit(state.arms, {f.target() + " long early"}, reward);
  }
  int chosen = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) chosen += draw_plan(settings, state, seed).faults[0].target() == "slow-node node#1";
  CHECK(chosen > 80);  // of 12 targets: uniform would be ~17
}

TEST_CASE("learning: new signatures reward, repeats do not, broken runs count as tried") {
  ExploreState state;
  RunRecord r{"00000000", false, false, std::string("leader=1"), {}, {"partition node#0"}, {3, 0, 0, {}, 0ns, {}}, {}, {}};
  learn(state, r);
  CHECK(state.arms["partition node#0"] == ArmStats{1, 1});
  CHECK(state.catalogue == Catalogue{3, 0, 0, {}, 0ns, {}});
  learn(state, r);  // the same run again: ignored
  CHECK(state.arms["partition node#0"] == ArmStats{1, 1});
  r.id = "00000001";
  learn(state, r);  // same signature: nothing new
  CHECK(state.arms["partition node#0"] == ArmStats{2, 1});
  r.id = "00000002";
  r.failed = true;
  learn(state, r);  // a known failure
  CHECK(state.arms["partition node#0"] == ArmStats{3, 1.5});
  r.id = "00000003";
  r.failed = false;
  r.broken = true;
  r.signature = "never seen";
  learn(state, r);
  CHECK(state.arms["partition node#0"] == ArmStats{4, 1.5});
  CHECK(!state.signatures.contains("never seen"));
  r.id = "00000004";
  r.broken = false;
  r.signature.reset();  // unknown: only a failure would reward
  learn(state, r);
  CHECK(state.arms["partition node#0"] == ArmStats{5, 1.5});
  CHECK(state.signatures.at("leader=1") == 3);
}

TEST_CASE("learning: runs that covered new lines or branches reward their arms") {
  // The behaviour is the same every run, so only coverage can be new.
  ExploreState state;
  RunRecord r;
  r.signature = "same";
  r.arms = {"slow-node node#0 long"};
  auto run = [&](const char* id, std::set<std::string> points, bool broken = false) {
    r.id = id;
    r.broken = broken;
    r.coverage.clear();
    for (const auto& p : points) r.coverage.insert(coverage_point_digest(p));
    learn(state, r);
    return state.arms["slow-node node#0 long"];
  };
  CHECK(run("00000000", {"a.c:1", "a.c:2", "a.c:2:b0"}) == ArmStats{1, 1});   // new behaviour and coverage
  CHECK(run("00000001", {"a.c:1", "a.c:2", "a.c:2:b0"}) == ArmStats{2, 1});   // nothing new
  CHECK(run("00000002", {"a.c:1"}) == ArmStats{3, 1});                        // less is not new
  CHECK(run("00000003", {"a.c:1", "a.c:2", "a.c:2:b1"}) == ArmStats{4, 2});   // a new branch
  CHECK(run("00000004", {"a.c:9"}, /*broken=*/true) == ArmStats{5, 2});       // broken: nothing, and not kept
  CHECK(run("00000005", {"a.c:9"}) == ArmStats{6, 3});
  CHECK(run("00000006", {}) == ArmStats{7, 3});                               // no coverage recorded
  CHECK(state.covered.size() == 5);
  CHECK(state.covered.contains(coverage_point_digest("a.c:2:b1")));
  auto back = state_from_json(to_json(state).dump());
  REQUIRE(back);
  CHECK(*back == state);
  // read from RUN/coverage-points.json, as `nmz run` writes it with recordCoverage.
  TempDir storage;
  NullLogger logger;
  for (const char* id : {"00000000", "00000001", "00000002"}) {
    write(storage.path / id / "result.json", R"({"successful":true,"status":"passed","signature":"same"})");
    write(storage.path / id / "plan.json", R"({"forced":false,"arms":["partition node#1"],"applied":[3]})");
  }
  const std::string points = R"({"tool":"gcov","coverage_pattern":"x","lines":["a.c:1"],"branches":["a.c:1:b0"]})";
  write(storage.path / "00000000" / kCoveragePointsFile, points);
  write(storage.path / "00000001" / kCoveragePointsFile, points);
  write(storage.path / "00000002" / kCoveragePointsFile,
        R"({"tool":"gcov","coverage_pattern":"y","lines":["a.c:1"],"branches":["a.c:1:b1"]})");
  ExploreState learned = refresh_state(storage.path, logger);
  CHECK(logger.warnings.empty());
  CHECK(learned.arms["partition node#1"] == ArmStats{3, 2});
  CHECK(learned.covered.size() == 3);
  write(storage.path / "00000003" / "result.json", R"({"successful":true,"status":"passed","signature":"same"})");
  write(storage.path / "00000003" / kCoveragePointsFile, "{\"lines\": [");
  refresh_state(storage.path, logger);
  REQUIRE(logger.warnings.size() == 1);
  CHECK(logger.warnings[0].find("coverage-points.json: not valid JSON") != std::string::npos);
}

TEST_CASE("learning: only the faults that acted earn the run's reward") {
  ExploreState state;
  // A failing, new behaviour: the slow node acted on 12 packets, the flow
  // between two nodes that never talked acted on none.
  RunRecord r;
  r.id = "00000000";
  r.failed = true;
  r.signature = "leader=2";
  r.arms = {"slow-node node#1 long", "delay-flow node#2->node#0 short"};
  r.acted = {true, false};
  learn(state, r);
  CHECK(state.arms["slow-node node#1 long"] == ArmStats{1, 1});
  CHECK(state.arms["delay-flow node#2->node#0 short"] == ArmStats{1, 0});
  // Records without "applied" (older runs) credit every arm.
  r.id = "00000001";
  r.signature = "leader=0";
  r.acted.clear();
  learn(state, r);
  CHECK(state.arms["slow-node node#1 long"] == ArmStats{2, 2});
  CHECK(state.arms["delay-flow node#2->node#0 short"] == ArmStats{2, 1});
}

TEST_CASE("state file: round trip; torn or edited files are detected") {
  ExploreState state;
  state.arms["slow-node node#0 long"] = {3, 1.5};
  state.signatures["s1"] = 2;
  state.facets = {{"00000000000000aa", 2}, {"00000000000000bb", 1}};
  state.learned_runs = {"00000000", "00000001"};
  state.catalogue = {3, 1, 2, {}, 0ns, {}};
  const std::string text = to_json(state).dump(1, '\t');
  auto back = state_from_json(text);
  REQUIRE(back);
  CHECK(*back == state);
  CHECK(state_from_json(text.substr(0, text.size() / 2)).status().message() == "not valid JSON (torn or truncated?)");
  std::string edited = text;
  edited.replace(edited.find("\"s1\": 2"), 7, "\"s1\": 9");
  CHECK(state_from_json(edited).status().message() ==
        "checksum mismatch (the file was changed or damaged after nmz wrote it)");
  CHECK(state_from_json("{\"format\":\"other\"}").status().message().starts_with("not an explore state"));
}

TEST_CASE("state file: version 1, whose facets had no counts, still loads") {
  // Written by the policy before facets were counted (checksum included).
  const std::string version1 =
      R"({"arms":{"delay-flow node#0->node#1 short":{"pulls":1.0,"reward":0.0},"slow-node node#0 short":{"pulls":1.0,"reward":1.0}},)"
      R"("catalogue":{"flows":[[0,1],[1,0],[1,2],[2,1]],"fs_ops":0,"names":{"node":["c1","server","c2"]},"nodes":3,"processes":0,"span_ns":3533193708},)"
      R"("checksum":"722eb6ea350dd476","facets":["00000000000000aa","00000000000000bb"],"format":"nmz-explore-state",)"
      R"("learned_runs":["00000000","00000001"],"signatures":{"behaviour:d462195bd331fc35":2},"version":1})";
  auto loaded = state_from_json(version1);
  REQUIRE(loaded);
  CHECK(loaded->facets == std::map<std::string, std::uint64_t>{{"00000000000000aa", 1}, {"00000000000000bb", 1}});
  CHECK(loaded->arms["slow-node node#0 short"] == ArmStats{1, 1});
  CHECK(loaded->signatures == std::map<std::string, std::uint64_t>{{"behaviour:d462195bd331fc35", 2}});
  CHECK(loaded->catalogue.span == 3533193708ns);
  // Written back as the current version, with counts.
  const nlohmann::json rewritten = to_json(*loaded);
  CHECK(rewritten["version"] == 2);
  CHECK(rewritten["facets"]["00000000000000aa"] == 1);
  auto again = state_from_json(rewritten.dump());
  REQUIRE(again);
  CHECK(*again == *loaded);
  // Its checksum still guards it.
  std::string edited = version1;
  edited.replace(edited.find("\"00000000000000bb\""), 18, "\"00000000000000cc\"");
  CHECK(state_from_json(edited).status().message() ==
        "checksum mismatch (the file was changed or damaged after nmz wrote it)");
  CHECK(state_from_json(R"({"format":"nmz-explore-state","version":3})").status().message() == "unknown version 3 (expected 2)");
}

TEST_CASE("state file: refreshed from the runs' records, rebuilt when damaged") {
  TempDir storage;
  NullLogger logger;
  auto run = [&](const std::string& id, const std::string& status, const std::string& signature, const std::string& arm) {
    write(storage.path / id / "result.json", R"({"successful":false,"status":")" + status + R"(","signature":")" + signature + "\"}");
    write(storage.path / id / "plan.json", R"({"forced":false,"arms":[")" + arm + R"("],"observed":{"nodes":3,"processes":0,"fs_ops":1,"digest":"d"}})");
  };
  run("00000000", "passed", "a", "partition node#0");
  run("00000001", "failed", "b", "slow-node node#1 long");
  fs::create_directories(storage.path / "00000002");  // still running: no result.json
  // plan.json's "applied" says which faults acted: the idle one earns nothing.
  write(storage.path / "00000004" / "result.json", R"({"successful":false,"status":"failed","signature":"c"})");
  write(storage.path / "00000004" / "plan.json",
        R"({"forced":false,"arms":["partition node#2","slow-node node#0 short"],"applied":[0,7],"observed":{"nodes":3}})");
  ExploreState state = refresh_state(storage.path, logger);
  CHECK(logger.warnings.empty());
  CHECK(state.learned_runs == std::set<std::string>{"00000000", "00000001", "00000004"});
  CHECK(state.arms["slow-node node#1 long"] == ArmStats{1, 1});
  CHECK(state.arms["partition node#2"] == ArmStats{1, 0});
  CHECK(state.arms["slow-node node#0 short"] == ArmStats{1, 1});
  CHECK(state.catalogue == Catalogue{3, 0, 1, {}, 0ns, {}});
  const std::string saved = read(storage.path / kStateFile);
  // Refreshing again learns nothing twice.
  CHECK(refresh_state(storage.path, logger) == state);
  // A run that finishes later is learned then (a behaviour no run showed,
  // which earns 1 in any order of learning: the rebuilt state below is equal).
  run("00000002", "passed", "d", "partition node#0");
  state = refresh_state(storage.path, logger);
  CHECK(state.arms["partition node#0"] == ArmStats{2, 2});
  // A torn state file: a warning, and the same state rebuilt from the runs.
  write(storage.path / kStateFile, saved.substr(0, saved.size() - 40));
  ExploreState rebuilt = refresh_state(storage.path, logger);
  REQUIRE(logger.warnings.size() == 1);
  CHECK(logger.warnings[0].find("explore-state.json: not valid JSON (torn or truncated?); rebuilding") != std::string::npos);
  CHECK(rebuilt == state);
  CHECK(state_from_json(read(storage.path / kStateFile)));
  // A forced plan's run teaches nothing about arms; a run without a
  // signature in result.json falls back to the policy's traffic digest.
  write(storage.path / "00000003" / "result.json", R"({"successful":true,"status":"passed"})");
  write(storage.path / "00000003" / "plan.json", R"({"forced":true,"arms":["partition node#0"],"observed":{"digest":"xyz"}})");
  state = refresh_state(storage.path, logger);
  CHECK(state.arms["partition node#0"] == ArmStats{2, 2});
  CHECK(state.signatures.contains("observed:xyz"));
}

TEST_CASE("executor: roles bind to targets in order of appearance, faults act inside their window") {
  Plan plan;
  plan.faults.push_back(slow(1, 300ms, 1s, 2s));
  Fault part;
  part.kind = FaultKind::partition;
  part.role = 2;
  part.start = 3s;
  part.end = 4s;
  plan.faults.push_back(part);
  PlanExecutor executor(plan);
  // node#0 = a (sent first), node#1 = b, node#2 = c.
  CHECK(executor.decide(packet("a", "entity-10.0.0.2:2380"), 0s).delay == 0ns);
  CHECK(executor.decide(packet("entity-10.0.0.2:41234", "c"), 500ms).delay == 0ns);  // b, before the window
  CHECK(executor.decide(packet("entity-10.0.0.2:41234", "c"), 1500ms).delay == 300ms);
  CHECK(executor.decide(packet("a", "entity-10.0.0.2:2380"), 1500ms).delay == 0ns);  // to b, not from it
  CHECK(executor.decide(packet("entity-10.0.0.2:41234", "a"), 2s).delay == 0ns);     // window closed
  CHECK(!executor.decide(packet("a", "entity-10.0.0.2:2380"), 3500ms).drop);
  CHECK(executor.decide(packet("a", "c"), 3500ms).drop);
  CHECK(executor.decide(packet("c", "entity-10.0.0.2:2380"), 3500ms).drop);
  CHECK(!executor.decide(packet("c", "entity-10.0.0.2:2380"), 4s).drop);
  CHECK(!executor.decide(packet("_namazu_unknown_entity", "_namazu_unknown_entity"), 3500ms).drop);
  CHECK(executor.bound() == std::map<std::string, std::string>{{"node#0", "a"}, {"node#1", "10.0.0.2"}, {"node#2", "c"}});
  CHECK(executor.applied() == std::vector<std::uint64_t>{1, 2});
  CHECK(executor.observed() ==
        Catalogue{3, 0, 0, {{"node", {"a", "10.0.0.2", "c"}}}, 4s, {{0, 1}, {1, 2}, {1, 0}, {0, 2}, {2, 1}}});
  // The digest depends on who talked to whom first, not on exact counts.
  PlanExecutor same(Plan{});
  same.decide(packet("a", "entity-10.0.0.2:2380"), 0s);
  for (int i = 0; i < 3; ++i) same.decide(packet("entity-10.0.0.2:41234", "c"), 0s);
  same.decide(packet("entity-10.0.0.2:41234", "a"), 0s);
  same.decide(packet("a", "entity-10.0.0.2:2380"), 0s);
  same.decide(packet("a", "c"), 0s);
  same.decide(packet("c", "entity-10.0.0.2:2380"), 0s);
  for (int i = 0; i < 2; ++i) same.decide(packet("c", "entity-10.0.0.2:2380"), 0s);  // 1 + 2 = 3: same log2 class as 2 + 1
  CHECK(same.traffic_digest() == executor.traffic_digest());
  PlanExecutor other(Plan{});
  other.decide(packet("b", "a"), 0s);
  CHECK(other.traffic_digest() != executor.traffic_digest());
}

TEST_CASE("executor: a window anchored at its target opens at the target's first event") {
  // c2 starts two seconds after the run's first event: its window of
  // [0.5 s, 1.5 s) is measured from its first packet, not from the run's.
  Plan plan;
  plan.faults.push_back(slow(2, 400ms, 500ms, 1500ms));
  plan.faults[0].anchor = Anchor::target;
  Fault flow;
  flow.kind = FaultKind::delay_flow;
  flow.anchor = Anchor::target;
  flow.role = 1;
  flow.peer = 2;
  flow.delay = 300ms;
  flow.end = 1s;
  plan.faults.push_back(flow);
  Fault pause;
  pause.kind = FaultKind::pause_process;
  pause.anchor = Anchor::target;
  pause.role = 1;
  pause.start = 1s;
  pause.end = 3s;
  plan.faults.push_back(pause);
  plan.roles = {{"node", {"c1", "server", "c2"}}};
  PlanExecutor executor(plan);
  CHECK(executor.decide(packet("c1", "server"), 0s).delay == 0ns);
  CHECK(executor.decide(packet("server", "c1"), 100ms).delay == 0ns);  // the flow is server -> c2
  CHECK(executor.decide(packet("c2", "server"), 2s).delay == 0ns);      // c2's first packet: 0 s after it
  CHECK(executor.decide(packet("c2", "server"), 2400ms).delay == 0ns);  // 0.4 s after it
  CHECK(executor.decide(packet("c2", "server"), 2600ms).delay == 400ms);
  CHECK(executor.decide(packet("server", "c2"), 2700ms).delay == 300ms);  // the flow's first packet opened it
  CHECK(executor.decide(packet("server", "c2"), 3800ms).delay == 0ns);
  CHECK(executor.decide(packet("c2", "server"), 3600ms).delay == 0ns);
  // A process's window starts with the first ProcSetEvent listing it; the
  // pause lasts until the window's end after that anchor.
  auto procs = nmz::sdk::make_proc_set_event("_namazu_proc_inspector", {10, 20}, {10});
  CHECK(executor.decide(procs, 4s).pauses.empty());  // pid 20 (process#1) is not listed yet
  auto both = nmz::sdk::make_proc_set_event("_namazu_proc_inspector", {10, 20}, {10, 20});
  CHECK(executor.decide(both, 5s).pauses.empty());  // listed: anchored at 5 s, opens at 6 s
  CHECK(executor.decide(both, 6500ms).pauses == std::map<int, nanoseconds>{{20, 1500ms}});
  CHECK(executor.applied() == std::vector<std::uint64_t>{1, 1, 1});
  CHECK(executor.anchors() == std::vector<std::optional<nanoseconds>>{2s, 2700ms, 5s});
  // A target that never shows leaves its window unopened.
  PlanExecutor idle(plan);
  idle.decide(packet("c1", "server"), 0s);
  CHECK(idle.anchors() == std::vector<std::optional<nanoseconds>>{std::nullopt, std::nullopt, std::nullopt});
}

TEST_CASE("learning: the flows runs showed are kept by name") {
  ExploreState state;
  state.catalogue.names = {{"node", {"c1", "server"}}};
  // This run ranked a new node c2 before its plan knew it... and another
  // run beside it ranked c3 there: flows follow the names.
  RunRecord a{"00000000", false, false, std::string("s"), {}, {}, {3, 0, 0, {{"node", {"c1", "server", "c3"}}}, 1s, {{2, 1}}}, {}, {}};
  RunRecord b{"00000001", false, false, std::string("s"), {}, {}, {3, 0, 0, {{"node", {"c1", "server", "c2"}}}, 1s, {{0, 1}, {2, 1}}}, {}, {}};
  learn(state, a);
  learn(state, b);
  CHECK(state.catalogue.names.at("node") == std::vector<std::string>{"c1", "server", "c3", "c2"});
  CHECK(state.catalogue.flows == std::set<std::pair<std::uint32_t, std::uint32_t>>{{2, 1}, {0, 1}, {3, 1}});
  auto back = state_from_json(to_json(state).dump());
  REQUIRE(back);
  CHECK(*back == state);
}

TEST_CASE("executor: roles bind by the names earlier runs showed, not by who sends first") {
  // node#0 is "c1" in every run whose plan knows the names, even when c2
  // or the server sends first; a name the plan does not know comes after.
  Plan plan;
  plan.faults.push_back(slow(0, 700ms, 0s, 10s));
  plan.roles = {{"node", {"c1", "server", "c2"}}, {"fsop", {"pre-fsync", "pre-write"}}};
  PlanExecutor executor(plan);
  CHECK(executor.decide(packet("c2", "server"), 0s).delay == 0ns);
  CHECK(executor.decide(packet("server", "c2"), 0s).delay == 0ns);
  CHECK(executor.decide(packet("c1", "server"), 0s).delay == 700ms);
  CHECK(executor.decide(packet("c3", "server"), 0s).delay == 0ns);
  CHECK(executor.bound() ==
        std::map<std::string, std::string>{{"node#0", "c1"}, {"node#1", "server"}, {"node#2", "c2"}, {"node#3", "c3"}});
  CHECK(executor.observed().nodes == 4);
  CHECK(executor.observed().names.at("node") == std::vector<std::string>{"c1", "server", "c2", "c3"});
  // Known names not seen in this run are not bound, and not counted.
  PlanExecutor partial(plan);
  partial.decide(packet("server", "c1"), 0s);
  CHECK(partial.bound() == std::map<std::string, std::string>{{"node#0", "c1"}, {"node#1", "server"}});
  CHECK(partial.observed().nodes == 2);
  // The roles travel with the plan's JSON (a replay binds the same way).
  auto back = plan_from_json(to_json(plan));
  REQUIRE(back);
  CHECK(*back == plan);
  CHECK(plan_from_json(nlohmann::json::parse(R"({"faults": [], "roles": {"node": [1]}})")).status().message() ==
        "\"roles\" must map \"node\", \"process\" or \"fsop\" to arrays of names");
  // Drawn plans carry the names the state learned.
  ExploreState state;
  state.catalogue = {3, 0, 0, {{"node", {"c1", "server", "c2"}}}, 0ns, {}};
  CHECK(draw_plan(ExploreSettings{}, state, 7).roles == state.catalogue.names);
  // Processes bind in start (pid) order, whatever order the event lists them in.
  Fault pause;
  pause.kind = FaultKind::pause_process;
  pause.role = 0;
  pause.end = 5s;
  PlanExecutor procs(Plan{{pause}, {}});
  auto event = nmz::sdk::make_proc_set_event("_namazu_proc_inspector", {30, 12}, {30, 12});
  CHECK(procs.decide(event, 1s).pauses == std::map<int, nanoseconds>{{12, 4s}});
}

TEST_CASE("learning: names of roles accumulate in order of first appearance") {
  ExploreState state;
  RunRecord first{"00000000", false, false, std::string("s"), {}, {}, {2, 0, 0, {{"node", {"c1", "server"}}}, 2s, {}}, {}, {}};
  RunRecord second{"00000001", false, false, std::string("s"), {}, {}, {3, 0, 0, {{"node", {"server", "c2", "c1"}}}, 1500ms, {}}, {}, {}};
  learn(state, first);
  learn(state, second);
  CHECK(state.catalogue.names.at("node") == std::vector<std::string>{"c1", "server", "c2"});
  CHECK(state.catalogue.nodes == 3);
  CHECK(state.catalogue.span == 1500ms);  // the shortest run
  RunRecord broken{"00000002", false, true, std::nullopt, {}, {}, {3, 0, 0, {}, 100ms, {}}, {}, {}};
  learn(state, broken);
  CHECK(state.catalogue.span == 1500ms);  // a broken run's span says nothing
  auto back = state_from_json(to_json(state).dump());
  REQUIRE(back);
  CHECK(*back == state);
}

TEST_CASE("learning: novelty is the target's behaviour, not the plan's own faults and holds") {
  const std::string base = "script: leader=2; recv c1: server+ server; recv server: c1+ c1 c2+ c2";
  const std::string a = behaviour_signature(base + "; faults: fault c1>server x2+; held>=1s: c1>server");
  const std::string b = behaviour_signature(base + "; held>=0.2s: c2>server, server>c2");
  CHECK(a == b);
  CHECK(a == behaviour_signature(base));
  CHECK(a.starts_with("behaviour:"));
  // Another order of one message is another behaviour.
  CHECK(a != behaviour_signature("script: leader=2; recv c1: server+ server; recv server: c2+ c1+ c1 c2"));
  CHECK(behaviour_signature("script: leader=1") != behaviour_signature("script: leader=2"));
  // read from result.json's signature_text when there is one.
  TempDir storage;
  NullLogger logger;
  write(storage.path / "00000000" / "result.json",
        R"({"status":"passed","signature":"1111","signature_text":")" + base + R"(; held>=1s: c1>server"})");
  write(storage.path / "00000001" / "result.json",
        R"({"status":"passed","signature":"2222","signature_text":")" + base + R"(; held>=0.2s: server>c1"})");
  ExploreState state = refresh_state(storage.path, logger);
  CHECK(state.signatures == std::map<std::string, std::uint64_t>{{a, 2}});
}

TEST_CASE("rarity: a facet shown by few past runs earns much, one shown by most earns little") {
  CHECK(facet_rarity(0, 0) == 1.0);
  CHECK(facet_rarity(0, 15) == 1.0);                 // no run showed it
  CHECK(facet_rarity(1, 15) == doctest::Approx(std::pow(14.0 / 15.0, 8)));  // c2 first, once in 15 runs
  CHECK(facet_rarity(1, 15) > 0.5);
  CHECK(facet_rarity(1, 4) < 0.11);                  // 1 run in 4 is not rare
  CHECK(facet_rarity(7, 15) < 0.01);                 // a middle writer's place: about half the runs
  CHECK(facet_rarity(15, 15) == 0.0);
  for (std::uint64_t runs = 1; runs < 20; ++runs) CHECK(facet_rarity(runs, 20) < facet_rarity(runs - 1, 20));
}

TEST_CASE("learning: a run earns the rarity of its rarest facet of behaviour") {
  // Facets are words in their places; the policy's own parts are not behaviour.
  const auto a = behaviour_facets("script: c1 c2 lost=0; recv server: c1 c2; faults: fault c1>server x2+");
  CHECK(a.size() == 4 + 4);
  CHECK(a == behaviour_facets("script: c1 c2 lost=0; recv server: c1 c2; held>=1s: c1>server"));
  // The same words in other places are other facets: c2 wrote first.
  const auto swapped = behaviour_facets("script: c2 c1 lost=0; recv server: c1 c2");
  std::size_t shared = 0;
  for (const auto& f : swapped) shared += a.contains(f) ? 1 : 0;
  CHECK(shared == 6);
  // The script's lines are places of their own.
  CHECK(behaviour_facets("script: x / y").size() == 3);
  CHECK(behaviour_facets("").empty());

  ExploreState state;
  RunRecord r;
  r.arms = {"slow-node node#0 long late"};
  auto run = [&](const std::string& id, const std::string& text) {
    r.id = id;
    r.signature = behaviour_signature(text);
    r.facets = behaviour_facets(text);
    const ArmStats before = state.arms["slow-node node#0 long late"];
    learn(state, r);
    return state.arms["slow-node node#0 long late"].reward - before.reward;
  };
  CHECK(run("00000000", "script: c1 c2 c1 c2 lost=0") == 1.0);
  CHECK(run("00000001", "script: c2 c1 c2 c1 lost=0") == 1.0);  // c2 first: no run showed it
  // Every word seen in its place, each by 1 of 2 runs: a new combination of
  // common facets earns next to nothing.
  CHECK(run("00000002", "script: c1 c2 c2 c1 lost=0") == doctest::Approx(std::pow(0.5, 8)));
  CHECK(run("00000003", "script: c1 c2 c2 c1 lost=0") == doctest::Approx(std::pow(1.0 / 3.0, 8)));
  CHECK(run("00000004", "script: c1 c2 c1 c2 lost=1") == 1.0);
  CHECK(state.facets.size() == 6 + 4 + 1);
  CHECK(state.facets[*behaviour_facets("script:").begin()] == 5);

  // 14 runs where c1 writes first and the middle writer varies at random,
  // then one where c2 writes first.
  ExploreState many;
  std::map<std::string, double> earned;
  auto learn_text = [&](const std::string& id, const std::string& text) {
    RunRecord record;
    record.id = id;
    record.signature = behaviour_signature(text);
    record.facets = behaviour_facets(text);
    record.arms = {id};
    learn(many, record);
    return many.arms[id].reward;
  };
  for (int i = 0; i < 14; ++i) learn_text("a" + std::to_string(i), i % 2 ? "script: c1 c1 c2 lost=0" : "script: c1 c2 c1 lost=0");
  learn_text("c2-first", "script: c2 c1 c2 lost=0");
  // c2 first again, seen in 1 of 15 runs: much; a middle writer seen in
  // about half the runs, in an order no run showed: little.
  const double rare = learn_text("rare", "script: c2 c2 c1 lost=0");
  const double common = learn_text("common", "script: c1 c2 c2 lost=0");
  CHECK(rare == doctest::Approx(std::pow(14.0 / 15.0, 8)));
  CHECK(common == doctest::Approx(std::pow(8.0 / 16.0, 8)));
  CHECK(rare > 0.5);
  CHECK(common < 0.01);

  // A signature without text is its own one facet.
  r.facets.clear();
  r.id = "00000005";
  r.signature = "1234abcd";
  learn(state, r);
  CHECK(state.arms["slow-node node#0 long late"].pulls == 6);
  CHECK(state.arms["slow-node node#0 long late"].reward ==
        doctest::Approx(4 + std::pow(0.5, 8) + std::pow(1.0 / 3.0, 8)));
  auto back = state_from_json(to_json(state).dump());
  REQUIRE(back);
  CHECK(*back == state);
  // read from result.json's signature_text.
  TempDir storage;
  NullLogger logger;
  write(storage.path / "00000000" / "result.json", R"({"status":"passed","signature":"1","signature_text":"script: e0:e1/2 acked=20"})");
  write(storage.path / "00000001" / "result.json", R"({"status":"passed","signature":"2","signature_text":"script: e0:e2/2 acked=20"})");
  write(storage.path / "00000002" / "result.json", R"({"status":"passed","signature":"3","signature_text":"script: e0:e1/2 acked=19"})");
  for (const char* id : {"00000000", "00000001", "00000002"}) {
    write(storage.path / id / "plan.json", R"({"forced":false,"arms":["partition node#1 late"],"applied":[3]})");
  }
  CHECK(refresh_state(storage.path, logger).arms["partition node#1 late"] == ArmStats{3, 3});
}

TEST_CASE("executor: flows, filesystem ops and processes") {
  Plan plan;
  Fault flow;
  flow.kind = FaultKind::delay_flow;
  flow.role = 0;
  flow.peer = 2;
  flow.delay = 1s;
  flow.end = 10s;
  Fault fail;
  fail.kind = FaultKind::fail_fs;
  fail.role = 1;
  fail.errno_name = "ENOSPC";
  fail.end = 10s;
  Fault pause;
  pause.kind = FaultKind::pause_process;
  pause.role = 1;
  pause.start = 2s;
  pause.end = 5s;
  plan.faults = {flow, fail, pause};
  PlanExecutor executor(plan);
  executor.decide(packet("a", "b"), 0s);
  CHECK(executor.decide(packet("a", "b"), 0s).delay == 0ns);
  CHECK(executor.decide(packet("a", "c"), 0s).delay == 1s);
  CHECK(executor.decide(packet("c", "a"), 0s).delay == 0ns);
  auto fs_event = [](const char* op) {
    return nmz::sdk::make_filesystem_event("_namazu_fs_inspector", op, "data/x", std::string(op) + " data/x");
  };
  CHECK(!executor.decide(fs_event("pre-write"), 1s).fs_errno);
  CHECK(executor.decide(fs_event("pre-fsync"), 1s).fs_errno == "ENOSPC");
  CHECK(!executor.decide(fs_event("pre-write"), 1s).fs_errno);
  auto procs = nmz::sdk::make_proc_set_event("_namazu_proc_inspector", {10, 11, 20}, {10, 20});
  CHECK(executor.decide(procs, 1s).pauses.empty());  // before the window
  auto verdict = executor.decide(procs, 3s);
  CHECK(verdict.pauses == std::map<int, nanoseconds>{{20, 2s}});
  CHECK(executor.decide(procs, 4s).pauses.empty());  // once per fault
  CHECK(executor.bound().at("process#1") == "pid 20");
  CHECK(executor.bound().at("fsop#1") == "pre-fsync");
}
