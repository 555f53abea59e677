// SPDX-License-Identifier: Apache-2.0
// `test-fs-faults`: a policy for the fs inspector's tests only. Every event
// is accepted at once, except:
//   faultOps/faultPaths    -> a FilesystemFaultAction with option faultOption
//                             (JSON text), after the first faultSkip matches,
//                             at most faultCount times (-1: always);
//   delayOps/delayPaths    -> accepted after `delay`.
// Empty *Paths lists match every path; ops are event names ("pre-write").
#include <fnmatch.h>

#include <atomic>
#include <string>
#include <vector>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/plugin.hpp>

#include "timed_release_queue.hpp"

namespace {

struct Rule {
  std::vector<std::string> ops;
  std::vector<std::string> paths;

  [[nodiscard]] bool matches(const std::string& op, const std::string& path) const {
    bool op_ok = false;
    for (const auto& o : ops) op_ok = op_ok || o == op;
    if (!op_ok) return false;
    if (paths.empty()) return true;
    for (const auto& glob : paths) {
      if (::fnmatch(glob.c_str(), path.c_str(), 0) == 0) return true;
    }
    return false;
  }
};

class FaultTestPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  nmz::sdk::Status configure(const nmz::sdk::ComponentContext& context) noexcept override {
    const auto& options = context.options();
    for (auto [key, target] : {std::pair{"faultOps", &fault_.ops}, std::pair{"faultPaths", &fault_.paths},
                               std::pair{"delayOps", &delay_rule_.ops}, std::pair{"delayPaths", &delay_rule_.paths}}) {
      auto list = options.get_string_list(key);
      if (!list) return list.status();
      *target = list->value_or(std::vector<std::string>{});
    }
    auto option = options.get_string("faultOption");
    if (!option) return option.status();
    fault_option_ = option->value_or("{}");
    auto count = options.get_int("faultCount");
    if (!count) return count.status();
    faults_left_ = count->value_or(-1);
    auto skip = options.get_int("faultSkip");
    if (!skip) return skip.status();
    skip_left_ = skip->value_or(0);
    auto delay = options.get_duration("delay");
    if (!delay) return delay.status();
    delay_ = delay->value_or(std::chrono::nanoseconds(0));
    return nmz::sdk::Status::ok();
  }

  nmz::sdk::Status start(nmz::sdk::ActionSink& sink) noexcept override {
    queue_.start(sink);
    return nmz::sdk::Status::ok();
  }

  void queue_event(nmz::sdk::Event event) noexcept override {
    try {
      std::string op = nmz::sdk::option_string(event.option, "op").value_or("");
      std::string path = nmz::sdk::option_string(event.option, "path").value_or("");
      if (fault_.matches(op, path) && take_fault()) {
        queue_.push_independent(nmz::sdk::make_action(event, nmz::sdk::action_class::filesystem_fault, fault_option_),
                                std::chrono::nanoseconds(0));
      } else if (delay_rule_.matches(op, path)) {
        queue_.push_independent(nmz::sdk::default_action(event), delay_);
      } else {
        queue_.push_independent(nmz::sdk::default_action(event), std::chrono::nanoseconds(0));
      }
    } catch (...) {
      // The host releases the event at stop.
    }
  }

  void stop() noexcept override { queue_.stop(); }

 private:
  bool take_fault() {
    if (skip_left_.fetch_sub(1) > 0) return false;
    std::int64_t left = faults_left_.load();
    while (left != 0) {
      if (left < 0) return true;
      if (faults_left_.compare_exchange_weak(left, left - 1)) return true;
    }
    return false;
  }

  Rule fault_;
  Rule delay_rule_;
  std::string fault_option_;
  std::atomic<std::int64_t> faults_left_{-1};
  std::atomic<std::int64_t> skip_left_{0};
  std::chrono::nanoseconds delay_{0};
  nmz::plugins::TimedReleaseQueue queue_;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-fs-faults", &nmz::sdk::make_policy<FaultTestPolicy>,
                               "fs inspector tests: faults and delays for chosen operations and paths");
}

}  // namespace

NMZ_PLUGIN("test-fs-faults", "0.3.0", "Test-only policy for the fs inspector", register_components)
