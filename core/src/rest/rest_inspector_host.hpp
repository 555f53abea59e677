// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nmz/sdk/inspector.hpp>

#include "log/logging.hpp"
#include "plugin/plugin_call.hpp"
#include "rest/orchestrator_url.hpp"

namespace httplib {
class Client;
}

namespace nmz::core::rest {

// The remote ("http://") transceiver: connects an inspector in this process
// to an orchestrator elsewhere through REST API v3. Events are POSTed in
// order by a sender thread (submit never waits for the network); a poller
// thread runs the GET / DELETE loop and hands each action to
// Inspector::on_action. Failed requests are retried with exponential
// back-off; when the orchestrator has been unreachable for longer than
// `orchestrator_timeout`, every deferred event still waiting is answered
// with its default action here, with a warning (fail open: a lost
// orchestrator must not wedge the target).
class RestInspectorHost final : public sdk::InspectorHost {
 public:
  struct Options {
    OrchestratorUrl url;
    std::string entity_id;
    std::chrono::nanoseconds orchestrator_timeout = std::chrono::seconds(10);
  };

  // `inspector` is borrowed and must outlive this. Starts both threads.
  // `on_action_label` names the inspector in a crash report.
  RestInspectorHost(sdk::Inspector& inspector, Options options, const PluginCallLabel& on_action_label = {});
  RestInspectorHost(const RestInspectorHost&) = delete;
  RestInspectorHost& operator=(const RestInspectorHost&) = delete;
  ~RestInspectorHost() override;

  sdk::Status submit(sdk::Event event) noexcept override;
  [[nodiscard]] sdk::Logger& logger() noexcept override { return logger_; }
  [[nodiscard]] std::string_view entity_id() const noexcept override { return options_.entity_id; }

  // Ends both loops and answers deferred events still waiting with their
  // default action. Idempotent.
  void stop();

 private:
  void send_loop();
  void poll_loop();
  // Returns false when stopping.
  bool post_with_retries(const sdk::Event& event);
  enum class BatchOutcome { sent, unsupported, rejected, stopping };
  // `sent` also when every event was given up.
  BatchOutcome post_batch_with_retries(std::vector<sdk::Event>& events);
  // Answers an event the orchestrator refused with its default action.
  void refuse(const sdk::Event& event, const std::string& why);
  // Whether retrying `event` is pointless: stopping, or it was let through.
  bool given_up(const sdk::Event& event);
  // Delivers one action; returns its uuid (also of a malformed one, if it
  // has one) for the acknowledgement.
  std::string deliver_json(const std::string& json);
  std::vector<std::string> deliver_batch(const std::string& body);
  void delete_action(const std::string& uuid);
  void deliver(sdk::Action action);

  void note_success();
  // Fails open what is waiting once the outage is longer than the timeout.
  void note_failure(const std::string& what);
  void fail_open_waiting(const std::string& why);
  // Sleeps the back-off for the `attempt`th consecutive failure; false when stopping.
  bool back_off(int attempt);
  bool orchestrator_answers();

  sdk::Inspector& inspector_;
  Options options_;
  PluginCallLabel on_action_label_;
  ComponentLogger logger_;
  // Sent by both connections: the orchestrator binds the entity to it.
  const std::string client_id_ = sdk::new_uuid();
  std::unique_ptr<httplib::Client> send_client_;
  std::unique_ptr<httplib::Client> poll_client_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<sdk::Event> outbox_;
  std::unordered_map<std::string, sdk::Event> waiting_;  // deferred events without their action yet
  std::unordered_set<std::string> failed_open_;          // answered here: their late action is dropped
  std::optional<std::chrono::steady_clock::time_point> unreachable_since_;
  bool warned_unreachable_ = false;
  std::chrono::steady_clock::time_point last_outage_log_;
  std::size_t let_through_ = 0;  // events failed open in this outage
  bool stopping_ = false;
  bool stopped_ = false;
  std::atomic<bool> poller_done_{false};

  std::mutex delivery_mutex_;  // on_action is called one at a time
  // Recently delivered action uuids, oldest first: an action the server
  // returns again (its DELETE failed) is delivered once.
  std::deque<std::string> recent_order_;
  std::unordered_set<std::string> recent_;

  std::thread sender_;
  std::thread poller_;
};

}  // namespace nmz::core::rest
