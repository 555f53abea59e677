// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/signal.hpp>

#include "config/config.hpp"
#include "plugin/plugin_host.hpp"

// A policy loaded from its real .so through core's PluginHost, configured
// from TOML text through core's TomlConfigView, emitting into a recorder.
namespace nmz::test {

using Clock = std::chrono::steady_clock;

struct Emitted {
  sdk::Action action;
  Clock::time_point at;
};

class RecordingSink final : public sdk::ActionSink {
 public:
  void emit(sdk::Action action) noexcept override;
  // Waits until at least `count` actions were emitted; false on timeout.
  bool wait_for(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(30));
  std::vector<Emitted> emitted() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Emitted> emitted_;
};

class RecordingLogger final : public sdk::Logger {
 public:
  explicit RecordingLogger(bool debug) : debug_(debug) {}
  void write(sdk::LogLevel level, std::string_view message) noexcept override;
  [[nodiscard]] bool enabled(sdk::LogLevel level) const noexcept override;
  std::vector<std::string> lines(sdk::LogLevel level) const;

 private:
  bool debug_;
  mutable std::mutex mutex_;
  std::vector<std::pair<sdk::LogLevel, std::string>> lines_;
};

class TestContext final : public sdk::ComponentContext {
 public:
  TestContext(std::string name, std::unique_ptr<sdk::ConfigView> options, std::uint64_t seed, std::string seed_text,
              bool debug);
  [[nodiscard]] std::string_view component_name() const noexcept override { return name_; }
  [[nodiscard]] sdk::Logger& logger() const noexcept override { return logger_; }
  [[nodiscard]] const sdk::ConfigView& options() const noexcept override { return *options_; }
  [[nodiscard]] std::uint64_t seed() const noexcept override { return seed_; }
  [[nodiscard]] std::string_view seed_text() const noexcept override { return seed_text_; }
  [[nodiscard]] const RecordingLogger& recorded() const { return logger_; }

 private:
  std::string name_;
  mutable RecordingLogger logger_;
  std::unique_ptr<sdk::ConfigView> options_;
  std::uint64_t seed_;
  std::string seed_text_;
};

struct PolicyOptions {
  std::uint64_t seed = 42;
  std::string seed_text = "42";
  bool debug = false;  // record the policy's per-decision debug lines
};

// One policy instance. `params` is TOML placed under [explorePolicyParam]
// (it may open sub-tables such as [explorePolicyParam.procPolicyParam]).
class PolicyUnderTest {
 public:
  PolicyUnderTest(const std::string& policy, const std::string& params, PolicyOptions options = {});
  ~PolicyUnderTest();

  // The result of configure (or of parsing the TOML, or of loading).
  [[nodiscard]] const sdk::Status& configured() const { return configured_; }
  // Starts the policy; configure must have succeeded.
  void start();
  // Queues `event`, remembering when, for delay checks.
  void queue(sdk::Event event);
  void stop();

  RecordingSink& sink() { return sink_; }
  const TestContext& context() const { return *context_; }
  Clock::time_point queued_at(const std::string& event_uuid) const;

 private:
  core::Config config_;
  std::unique_ptr<TestContext> context_;
  core::PluginObject<sdk::ExplorePolicy> policy_;
  sdk::Status configured_;
  RecordingSink sink_;
  bool started_ = false;
  bool stopped_ = false;
  mutable std::mutex queued_mutex_;
  std::map<std::string, Clock::time_point> queued_at_;
};

// One line of the policies' debug decision log, parsed.
struct Decision {
  std::string event_class;
  std::string event_uuid;
  std::string entity;
  std::string action_class;
  std::string action_option;
  std::chrono::nanoseconds delay{0};
};
std::vector<Decision> decisions(const TestContext& context);

// Events with fixed uuids ("e-<n>"), so that two runs see the same sequence.
sdk::Event numbered(sdk::Event event, int n);

}  // namespace nmz::test
