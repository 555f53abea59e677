// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <nmz/sdk/context.hpp>

#include "bandit.hpp"
#include "fault_plan.hpp"

// What the explore policy learned from the finished runs of one experiment,
// kept in STORAGE/explore-state.json. It is a cache: every fact in it comes
// from the runs' own records (result.json and the policy's plan.json), so a
// damaged state file is set aside and rebuilt from them.
namespace nmz::plugins::explore {

// How many targets of each role space runs have shown (the largest count of
// one run): which arms exist. `names` are the stable names of the node and
// fs op roles in rank order, in order of first appearance over the whole
// experiment: plans bind role k to names[k] from then on, so that an arm
// aims at the same target in every run.
struct Catalogue {
  std::uint32_t nodes = 0;
  std::uint32_t processes = 0;
  std::uint32_t fs_ops = 0;
  RoleNames names;
  // The shortest time from the first to the last event of a run that was
  // not broken: windows start inside it, so that they hit every run while
  // the target is still at work.
  nanoseconds span{0};
  // The node pairs (sender rank, receiver rank) that exchanged packets:
  // delay-flow arms aim only at these once a run has shown some, since a
  // delay on a flow that never exists acts on nothing.
  std::set<std::pair<std::uint32_t, std::uint32_t>> flows;
  bool operator==(const Catalogue&) const = default;
};

struct ExploreState {
  std::map<std::string, ArmStats> arms;
  std::map<std::string, std::uint64_t> signatures;  // signature -> runs that showed it
  std::set<std::string> learned_runs;               // run directory names already counted
  // Every line and branch a learned run covered (recordCoverage), each as
  // the FNV-1a 64 of its name in hex: what makes a run's coverage new.
  std::set<std::string> covered;
  // Every facet of behaviour a learned run showed (behaviour_facets), each
  // as the FNV-1a 64 of its text in hex, with how many learned runs showed
  // it: how rare each part of a run's behaviour was (facet_rarity), not
  // only whether the whole was new. Out of how many runs: the sum of
  // `signatures`, since every run with a signature counts its facets.
  std::map<std::string, std::uint64_t> facets;
  Catalogue catalogue;
  bool operator==(const ExploreState&) const = default;
};

// What one finished run tells the learner.
struct RunRecord {
  std::string id;  // run directory name
  bool failed = false;
  bool broken = false;
  // What the target did, for novelty: result.json's signature without the
  // parts the plan itself put there (see behaviour_signature); unknown when
  // neither result.json nor plan.json has one.
  std::optional<std::string> signature;
  // Its facets (behaviour_facets) as in ExploreState::facets; empty when
  // the signature has no text (learn then takes the signature as its one facet).
  std::set<std::string> facets;
  std::vector<std::string> arms;         // empty: not an explore run, or a forced plan
  Catalogue observed;
  // Per arm, in plan order: whether its fault acted on any event (plan.json's
  // "applied"). Missing entries count as acted (records written before it).
  std::vector<bool> acted;
  // The lines and branches the run covered (RUN/coverage-points.json, which
  // `nmz run` writes with recordCoverage), digested as in ExploreState::covered;
  // empty when not recorded.
  std::set<std::string> coverage;
};

// Credits the run's reward to the arms whose fault acted; an arm whose fault
// acted on no event (its window missed the traffic, or its target never
// talked) is counted as pulled without reward: it cannot have caused what
// the run showed, and crediting it would make arms that aim at nothing look
// as good as the one beside them in the plan that did the work.
void learn(ExploreState& state, const RunRecord& record);

// The target's behaviour in a run signature's text (docs/experiments.md#run-signatures):
// the text without its `faults:` and `held>=` parts, which name what the
// policy did (the packets it dropped, the events it held) rather than what
// the target did; a plan would otherwise be "new behaviour" just for aiming
// somewhere new. A digest, as result.json's signature is.
std::string behaviour_signature(std::string_view signature_text);

// The facets of that behaviour: each word with its place, "P.W=word" for
// the W-th word of the P-th part (parts are split at "; " and the script's
// lines at " / "): "leader=2" in the place where the script prints the
// leader, the k-th sender a receiver heard from. A run that shows a word
// where no earlier run showed it (a leader, a term, a writer last) did
// something new; one that shows only facets most runs showed, nothing
// (facet_rarity). Digested as ExploreState::facets keeps them.
std::set<std::string> behaviour_facets(std::string_view signature_text);

nlohmann::json to_json(const ExploreState& state);
// Checks the embedded checksum: a torn or edited file is an error saying so.
// Reads version 1 files too, whose `facets` were a set without counts: each
// counts as shown by one run (their rarity is then overestimated until the
// state is rebuilt from the runs' records, e.g. by deleting it).
sdk::Result<ExploreState> state_from_json(std::string_view text);
// A stable digest of the state, recorded with each plan.
std::string state_digest(const ExploreState& state);

// The runs of STORAGE not yet in `state`, in run order, that have finished
// (their result.json exists). A run whose records are unreadable is logged
// and skipped; it is retried next time.
std::vector<RunRecord> unlearned_runs(const std::filesystem::path& storage, const ExploreState& state,
                                      sdk::Logger& logger);

// Loads STORAGE/explore-state.json (absent: empty; damaged: a warning and an
// empty state, which the runs then rebuild), learns the unlearned runs and
// writes it back. Returns the state a new plan is drawn from. Callers hold
// the storage's state lock.
ExploreState refresh_state(const std::filesystem::path& storage, sdk::Logger& logger);

inline constexpr const char* kStateFile = "explore-state.json";
inline constexpr const char* kStateLockFile = ".explore-state.lock";
inline constexpr const char* kPlanRecordFile = "plan.json";
inline constexpr const char* kCoveragePointsFile = "coverage-points.json";

// The digest a covered line or branch ("FILE:LINE", "FILE:LINE:bN",
// "CLASS#PROBE") is kept as.
std::string coverage_point_digest(std::string_view point);

}  // namespace nmz::plugins::explore
