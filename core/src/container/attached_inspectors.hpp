// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nmz/sdk/inspector.hpp>

#include "config/config.hpp"
#include "orchestrator/host_component_context.hpp"
#include "orchestrator/local_inspector_host.hpp"
#include "orchestrator/orchestrator_session.hpp"
#include "plugin/plugin_host.hpp"

namespace nmz::core::container {

// Inspectors of one container run, in this process, sharing one
// orchestrator: each is configured on the caller's thread and run on a
// thread of its own (optionally inside another network namespace).
class AttachedInspectors {
 public:
  // `plugins`, `config` and `session` are borrowed and must outlive this.
  AttachedInspectors(const PluginHost& plugins, const Config& config, OrchestratorSession& session)
      : plugins_(plugins), config_(config), session_(session) {}
  AttachedInspectors(const AttachedInspectors&) = delete;
  AttachedInspectors& operator=(const AttachedInspectors&) = delete;
  // Stops and joins whatever still runs.
  ~AttachedInspectors() { stop_all(); }

  class Running;

  // Creates inspector `name`, configures it with `args` and runs it. With
  // `netns_path`, its thread joins that network namespace first (setns is
  // per thread, and everything the inspector opens or spawns from that
  // thread lives there). Errors name the inspector.
  sdk::Result<Running*> start(const std::string& name, const std::string& entity_id, std::vector<std::string> args,
                              const std::string& netns_path = "");

  // request_stop() to every inspector, then joins them; returns the first
  // error any of them reported ("" when none).
  std::string stop_all();

 private:
  const PluginHost& plugins_;
  const Config& config_;
  OrchestratorSession& session_;
  std::list<std::unique_ptr<Running>> running_;
};

class AttachedInspectors::Running {
 public:
  Running(std::string name, std::unique_ptr<HostComponentContext> context, PluginObject<sdk::Inspector> inspector)
      : name_(std::move(name)), context_(std::move(context)), inspector_(std::move(inspector)) {}
  Running(const Running&) = delete;
  Running& operator=(const Running&) = delete;
  ~Running();

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // True once run() returned (by itself or after a stop request).
  [[nodiscard]] bool finished() const noexcept { return finished_.load(); }
  // Valid once finished().
  [[nodiscard]] const sdk::Inspector::Outcome& outcome() const noexcept { return outcome_; }

 private:
  friend class AttachedInspectors;

  std::string name_;
  std::unique_ptr<HostComponentContext> context_;  // outlives the inspector, which borrows it
  PluginObject<sdk::Inspector> inspector_;
  std::unique_ptr<LocalInspectorHost> endpoint_;
  sdk::Inspector::Outcome outcome_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

}  // namespace nmz::core::container
