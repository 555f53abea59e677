// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/restore_record.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::plugins::ethernet {

// Which packets nmz's own rules send to its queue. Empty: nmz installs no
// rule (the user's hand-written rules feed the queue, as with Namazu).
struct RuleSelector {
  std::string tcp_ports;  // iptables multiport list: "2181,2888:3888"
  std::string udp_ports;
  std::optional<std::uint32_t> uid;
  std::string cgroup;  // cgroup v2 path from the cgroup2 root ("/nmz/zk1")
  std::vector<std::string> bridges;
  bool all = false;  // every packet this namespace sends

  [[nodiscard]] bool empty() const {
    return tcp_ports.empty() && udp_ports.empty() && !uid && cgroup.empty() && bridges.empty() && !all;
  }
};

// Where the cgroup2 hierarchy is mounted in this mount namespace
// (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems); empty when
// it is not visible.
std::string cgroup2_root();

// Checks what can be checked without touching the machine: port list
// syntax, combinations, that the cgroup and bridges exist. Errors name the flag.
sdk::Status validate_selector(const RuleSelector& selector);

// The iptables-restore script (filter table) that installs nmz's rules for
// `queue`: its own chains NMZ-Q<queue>-OUT (local traffic, from OUTPUT) and
// NMZ-Q<queue>-FWD (bridged traffic, from FORWARD), every rule tagged with
// the comment nmz-q<queue>, packets nmz injects itself exempt, and
// --queue-bypass so that traffic flows while no process reads the queue.
std::string install_script(const RuleSelector& selector, std::uint16_t queue);

// The script that removes every rule and chain of `queue` listed in
// `listing` (the output of `iptables -S`); empty when there is none.
std::string removal_script(const std::string& listing, std::uint16_t queue);

// A shell command that removes what install_script installed, harmless
// when it is gone already (a restore record's step).
std::string undo_command(const RuleSelector& selector, std::uint16_t queue);

// Installs and removes nmz's rules with iptables and ip6tables; removes them
// in its destructor at the latest.
class RuleSet {
 public:
  RuleSet(RuleSelector selector, std::uint16_t queue, sdk::Logger& logger)
      : selector_(std::move(selector)), queue_(queue), logger_(logger) {}
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;
  ~RuleSet();

  // Removes rules a previous nmz left for this queue (it was killed), then
  // installs ours. Call after binding the queue: a live nmz holding the
  // same queue makes the bind fail first, so its rules are never touched.
  sdk::Status install();
  void remove();

 private:
  sdk::Status remove_with(const std::string& tool, bool stale);
  sdk::Status set_bridge_sysctls();
  void leave_restore_record();

  RuleSelector selector_;
  std::uint16_t queue_;
  sdk::Logger& logger_;
  bool installed_ = false;
  std::vector<std::pair<std::string, std::string>> restore_sysctls_;
  std::optional<sdk::RestoreRecord> record_;  // while the rules are installed
};

}  // namespace nmz::plugins::ethernet
