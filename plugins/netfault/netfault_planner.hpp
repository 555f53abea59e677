// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::plugins::netfault {

using std::chrono::nanoseconds;

// The targeted network faults a run may get (one per run, seeded).
enum class FaultKind { none, delay, partition, clog, duplicate };

const char* fault_kind_name(FaultKind kind);

// `[explorePolicyParam]` of the netfault policy.
struct NetfaultParams {
  nanoseconds min_interval{0};  // every event: uniform delay in [min, max]
  nanoseconds max_interval{0};
  double fault_action_probability = 0;  // every packet: drop with this probability
  std::vector<std::string> nodes;       // node names or addresses; empty: learn them
  std::int64_t expected_nodes = 3;
  std::vector<FaultKind> faults{FaultKind::delay, FaultKind::partition, FaultKind::clog, FaultKind::duplicate};
  nanoseconds fault_start_min{std::chrono::milliseconds(500)};
  nanoseconds fault_start_max{std::chrono::seconds(2)};
  nanoseconds fault_duration_min{std::chrono::seconds(2)};
  nanoseconds fault_duration_max{std::chrono::seconds(5)};
  nanoseconds victim_min_delay{std::chrono::milliseconds(100)};
  nanoseconds victim_max_delay{std::chrono::milliseconds(400)};
  double duplicate_probability = 0.5;
};

sdk::Result<NetfaultParams> read_netfault_params(const sdk::ConfigView& config);

// What to do with one event.
struct Decision {
  bool drop = false;
  nanoseconds delay{0};
  std::int64_t duplicates = 0;
  bool clog = false;  // hold until the window closes (then `delay` does not apply)
};

// Draws the run's plan from the seed (fault kind, victim node, window) and
// decides each event against it. Not thread-safe: the policy serialises.
//
// The victim is nodes[k] when nodes are listed; otherwise the k-th distinct
// node to appear in the traffic, k < expectedNodes. A node is an endpoint's
// node name, or its address for `entity-<ip>:<port>` entities.
// During the window [start, start + duration) from the first event:
//   delay      packets from or to the victim wait victimMin..MaxDelay
//   partition  packets between the victim and any other node are dropped
//   clog       packets between the victim and any other node are held and
//              all released when the window closes, in arrival order
//   duplicate  packets from or to the victim are sent twice with
//              probability duplicateProbability
class NetfaultPlanner {
 public:
  NetfaultPlanner(NetfaultParams params, std::uint64_t seed);

  // `since_first` is the time since the run's first event.
  Decision decide(const sdk::Event& event, nanoseconds since_first);
  [[nodiscard]] std::string describe() const;
  [[nodiscard]] FaultKind kind() const { return kind_; }
  [[nodiscard]] const std::optional<std::string>& victim() const { return victim_; }
  [[nodiscard]] nanoseconds window_start() const { return window_start_; }
  [[nodiscard]] nanoseconds window_end() const { return window_start_ + window_length_; }

 private:
  nanoseconds uniform(nanoseconds low, nanoseconds high);
  std::optional<std::string> node_of(const std::string& entity);

  NetfaultParams params_;
  std::mt19937_64 rng_;
  FaultKind kind_ = FaultKind::none;
  std::size_t victim_rank_ = 0;
  std::optional<std::string> victim_;
  std::vector<std::string> seen_nodes_;
  nanoseconds window_start_{0};
  nanoseconds window_length_{0};
};

}  // namespace nmz::plugins::netfault
