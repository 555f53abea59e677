// SPDX-License-Identifier: Apache-2.0
// The java inspector: runs a JVM (or prints the options for one started
// elsewhere) with the byteman agent, the user's rules and nmz's helper jar;
// the helper sends each rule's call over Namazu's PB wire to this
// inspector's own listener, which submits it as a deferred
// JavaFunctionEvent and answers the thread with its action.
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>

#include <nmz/sdk/child_process.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/plugin.hpp>

#include "inspector_server.hpp"
#include "java_options.hpp"

namespace {

using nmz::sdk::Status;
namespace java = nmz::plugins::java;

class JavaInspector final : public nmz::sdk::Inspector, public nmz::sdk::OrchestratorOptional {
 public:
  ~JavaInspector() override {
    if (server_) server_->stop();
  }

  Status configure(const nmz::sdk::ComponentContext&, const nmz::sdk::InspectorSettings& settings) noexcept override {
    try {
      auto options = java::parse_java_options(settings.args);
      if (!options) return options.status();
      options_ = std::move(options).value();
      entity_ = settings.entity_id;
      return Status::ok();
    } catch (const std::exception& e) {
      return Status::error(nmz::sdk::StatusCode::internal, std::string("nmz inspectors java: ") + e.what());
    }
  }

  Outcome run(nmz::sdk::InspectorHost& host) noexcept override {
    try {
      if (options_.print_agent_options) {
        std::cout << java::agent_options(options_, entity_, static_cast<int>(options_.pb_port)) << std::endl;
        return {Status::ok(), 0};
      }
      nmz::namazu_pb::InspectorServer::Options server_options;
      server_options.address = options_.pb_address;
      server_options.port = options_.pb_port < 0 ? 0 : static_cast<int>(options_.pb_port);
      server_options.only_entity = entity_;
      auto server = nmz::namazu_pb::InspectorServer::start(
          std::move(server_options), [&host](nmz::sdk::Event event) { return host.submit(std::move(event)); },
          host.logger());
      if (!server) return {Status::error(server.status().code(), "nmz inspectors java: " + server.status().message()), 1};
      server_ = std::move(server).value();
      std::string agent = java::agent_options(options_, entity_, server_->port());
      Outcome outcome = options_.command.empty() ? serve_until_stopped(host, agent) : run_command(host, agent);
      server_->stop();
      return outcome;
    } catch (const std::exception& e) {
      return {Status::error(nmz::sdk::StatusCode::internal, std::string("nmz inspectors java: ") + e.what()), 1};
    }
  }

  // -print-agent-options only prints: `JAVA_TOOL_OPTIONS="$(nmz inspectors
  // java -print-agent-options ...)"` wants no orchestrator, port or log.
  [[nodiscard]] bool needs_orchestrator() const noexcept override { return !options_.print_agent_options; }

  void request_stop() noexcept override {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
    stopped_.notify_all();
  }

  // on_action writes one small frame without waiting (InspectorServer),
  // and submit() is called with no lock held.
  [[nodiscard]] ActionDelivery action_delivery() const noexcept override { return ActionDelivery::inline_allowed; }

  void on_action(nmz::sdk::Action action) noexcept override {
    try {
      if (server_) server_->deliver(action);
    } catch (...) {
      // Out of memory: the JVM's call times out and proceeds.
    }
  }

 private:
  Outcome serve_until_stopped(nmz::sdk::InspectorHost& host, const std::string& agent) {
    host.logger().info("PB listener on " + options_.pb_address + ":" + std::to_string(server_->port()) +
                       "; start the JVM with JAVA_TOOL_OPTIONS=\"" + agent + "\"");
    std::unique_lock lock(mutex_);
    stopped_.wait(lock, [this] { return stop_requested_; });
    return {Status::ok(), 0};
  }

  Outcome run_command(nmz::sdk::InspectorHost& host, const std::string& agent) {
    std::string tool_options = agent;
    if (const char* inherited = std::getenv("JAVA_TOOL_OPTIONS"); inherited != nullptr && *inherited != '\0') {
      tool_options = std::string(inherited) + " " + agent;
    }
    nmz::sdk::ChildOptions child_options;
    child_options.extra_env = {"JAVA_TOOL_OPTIONS=" + tool_options};
    auto child = nmz::sdk::ChildProcess::start(options_.command, child_options);
    if (!child) return {Status::error(child.status().code(), "nmz inspectors java: " + child.status().message()), 1};
    host.logger().debug("started " + options_.command.front() + " with JAVA_TOOL_OPTIONS=\"" + tool_options + "\"");
    for (;;) {
      if (auto exit = child->wait_for(std::chrono::milliseconds(100))) return {Status::ok(), exit->status};
      std::lock_guard lock(mutex_);
      if (stop_requested_) break;
    }
    return {Status::ok(), child->terminate(std::chrono::seconds(5)).status};
  }

  java::JavaOptions options_;
  std::string entity_;
  std::unique_ptr<nmz::namazu_pb::InspectorServer> server_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stop_requested_ = false;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_inspector("java", &nmz::sdk::make_inspector<JavaInspector>,
                          "Java method calls through a byteman agent (JavaFunctionEvent over Namazu's PB wire)");
}

}  // namespace

NMZ_PLUGIN("java", "0.1.0", "Java inspector (byteman agent, Namazu's PB wire)", register_components)
