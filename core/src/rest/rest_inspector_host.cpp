// SPDX-License-Identifier: Apache-2.0
#include "rest/rest_inspector_host.hpp"

#include <algorithm>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <nmz/sdk/duration.hpp>
#include <nmz/sdk/signal_json.hpp>

namespace nmz::core::rest {
namespace {

constexpr auto kFirstBackOff = std::chrono::milliseconds(50);
constexpr auto kMaxBackOff = std::chrono::seconds(1);
// Actions asked for per GET from an nmz orchestrator.
constexpr std::size_t kBatch = 64;
// Action uuids remembered against double delivery; far more than one batch.
constexpr std::size_t kRecentActions = 4096;

// How often an outage that lets events through unperturbed is logged again.
constexpr auto kOutageReminder = std::chrono::seconds(10);

// Every request names this transceiver (X-Nmz-Client: the orchestrator binds
// the entity to it, so no other client can take its actions) and carries the
// endpoint's shared token when NMZ_REST_TOKEN is set.
httplib::Headers client_headers(const std::string& client_id) {
  httplib::Headers headers{{"X-Nmz-Client", client_id}};
  if (const char* token = std::getenv("NMZ_REST_TOKEN"); token != nullptr && *token != '\0') {
    headers.emplace("Authorization", std::string("Bearer ") + token);
  }
  return headers;
}

std::unique_ptr<httplib::Client> make_client(const OrchestratorUrl& url, std::chrono::nanoseconds read_timeout,
                                             const std::string& client_id) {
  auto client = std::make_unique<httplib::Client>(url.origin());
  client->set_default_headers(client_headers(client_id));
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(std::chrono::seconds(1));
  client->set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(read_timeout));
  client->set_write_timeout(std::chrono::seconds(5));
  return client;
}

std::string describe(const httplib::Result& result) {
  if (!result) return httplib::to_string(result.error());
  std::string body = result->body;
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return "HTTP " + std::to_string(result->status) + (body.empty() ? "" : ": " + body);
}

}  // namespace

RestInspectorHost::RestInspectorHost(sdk::Inspector& inspector, Options options,
                                     const PluginCallLabel& on_action_label)
    : inspector_(inspector),
      options_(std::move(options)),
      on_action_label_(on_action_label),
      logger_("inspector." + options_.entity_id),
      send_client_(make_client(options_.url,
                               std::min<std::chrono::nanoseconds>(options_.orchestrator_timeout, std::chrono::seconds(5)),
                               client_id_)),
      // A long-poll may wait as long as the policy holds nothing; a read
      // timeout only makes the poller check that the orchestrator is alive.
      poll_client_(make_client(options_.url,
                               std::max<std::chrono::nanoseconds>(options_.orchestrator_timeout, std::chrono::seconds(1)),
                               client_id_)) {
  sender_ = std::thread([this] { send_loop(); });
  poller_ = std::thread([this] { poll_loop(); });
}

RestInspectorHost::~RestInspectorHost() { stop(); }

void RestInspectorHost::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  changed_.notify_all();
  sender_.join();
  // The poller may be inside a long-poll GET: Client::stop closes its
  // socket, and is repeated in case that GET had not started yet.
  while (!poller_done_) {
    poll_client_->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  poller_.join();
  fail_open_waiting("the inspector is stopping");
}

sdk::Status RestInspectorHost::submit(sdk::Event event) noexcept {
  HostCallbackScope host_code;
  try {
    if (event.entity.empty()) event.entity = options_.entity_id;
    if (event.entity != options_.entity_id) {
      return sdk::Status::invalid("event entity \"" + event.entity + "\" is not this inspector's (\"" +
                                  options_.entity_id + "\")");
    }
    if (!sdk::is_known_event_class(event.class_name)) {
      return sdk::Status::invalid("unknown event class \"" + event.class_name + "\"");
    }
    if (event.uuid.empty()) event.uuid = sdk::new_uuid();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return sdk::Status::error(sdk::StatusCode::unavailable, "the REST transceiver is stopping");
      if (event.deferred) waiting_.emplace(event.uuid, event);
      outbox_.push_back(std::move(event));
    }
    changed_.notify_all();
    return sdk::Status::ok();
  } catch (const std::exception& e) {
    return sdk::Status::error(sdk::StatusCode::internal, e.what());
  }
}

void RestInspectorHost::send_loop() {
  // nmz's endpoint takes a JSON array of queued events in one POST; after a
  // 404 (Namazu's has no such route) every event gets a POST of its own.
  bool batch = true;
  for (;;) {
    std::vector<sdk::Event> events;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stopping_ || !outbox_.empty(); });
      if (stopping_) return;
      while (!outbox_.empty() && events.size() < (batch ? kBatch : 1)) {
        events.push_back(std::move(outbox_.front()));
        outbox_.pop_front();
      }
    }
    if (batch) {
      auto outcome = post_batch_with_retries(events);
      if (outcome == BatchOutcome::stopping) return;
      if (outcome == BatchOutcome::sent) continue;
      if (outcome == BatchOutcome::unsupported) {
        batch = false;
        logger_.info("the orchestrator takes no event batches (Namazu's): one POST per event");
      }
    }
    for (const auto& event : events) {
      if (!post_with_retries(event)) return;
    }
  }
}

RestInspectorHost::BatchOutcome RestInspectorHost::post_batch_with_retries(std::vector<sdk::Event>& events) {
  const std::string path = options_.url.base_path + "/events/" + options_.entity_id;
  for (int attempt = 1;; ++attempt) {
    std::string body = "[";
    for (const auto& event : events) body += (body.size() > 1 ? "," : "") + sdk::to_json(event);
    body += "]";
    auto result = send_client_->Post(path, body, "application/json");
    if (result && result->status == 200 && result->get_header_value("X-Nmz-Batch") == "1") {
      note_success();
      auto answer = nlohmann::json::parse(result->body, nullptr, false);
      if (answer.is_object() && answer.contains("refused") && answer["refused"].is_array()) {
        for (const auto& refusal : answer["refused"]) {
          const std::string uuid = refusal.value("uuid", "");
          for (const auto& event : events) {
            if (event.uuid == uuid) refuse(event, refusal.value("error", "refused"));
          }
        }
      }
      return BatchOutcome::sent;
    }
    // Not nmz's endpoint (no such route), or an event it cannot take (400):
    // one POST per event says which.
    if (result && (result->status == 404 || result->status == 405)) return BatchOutcome::unsupported;
    if (result && result->status >= 400 && result->status < 500) return BatchOutcome::rejected;
    note_failure("POST " + path + ": " + describe(result));
    std::erase_if(events, [this](const sdk::Event& event) { return given_up(event); });
    if (events.empty()) return BatchOutcome::sent;
    if (!back_off(attempt)) return BatchOutcome::stopping;
  }
}

bool RestInspectorHost::post_with_retries(const sdk::Event& event) {
  const std::string path = options_.url.base_path + "/events/" + event.entity + "/" + event.uuid;
  const std::string body = sdk::to_json(event);
  for (int attempt = 1;; ++attempt) {
    auto result = send_client_->Post(path, body, "application/json");
    if (result && result->status == 200) {
      note_success();
      return true;
    }
    if (result && result->status >= 400 && result->status < 500) {
      // The orchestrator is there and refuses this event: retrying cannot help.
      refuse(event, describe(result));
      return true;
    }
    note_failure("POST " + path + ": " + describe(result));
    if (given_up(event)) return true;
    if (!back_off(attempt)) return false;
  }
}

void RestInspectorHost::refuse(const sdk::Event& event, const std::string& why) {
  logger_.error("the orchestrator refused event " + event.uuid + " (" + event.class_name + "): " + why);
  std::lock_guard lock(delivery_mutex_);
  std::unique_lock state(mutex_);
  if (waiting_.erase(event.uuid) == 0) return;
  failed_open_.insert(event.uuid);
  state.unlock();
  PluginCallScope call(on_action_label_);
  inspector_.on_action(sdk::default_action(event));
}

bool RestInspectorHost::given_up(const sdk::Event& event) {
  std::lock_guard lock(mutex_);
  if (stopping_) return true;
  // Answered already (fail open): the orchestrator would hold an event whose
  // operation has gone ahead.
  if (event.deferred) return waiting_.count(event.uuid) == 0;
  return unreachable_since_ && std::chrono::steady_clock::now() - *unreachable_since_ > options_.orchestrator_timeout;
}

void RestInspectorHost::poll_loop() {
  struct Done {
    std::atomic<bool>& flag;
    ~Done() { flag = true; }
  } done{poller_done_};
  const std::string path = options_.url.base_path + "/actions/" + options_.entity_id;
  // nmz's endpoint deletes the actions named by `ack` and returns up to
  // `max` at once (one request per batch instead of a GET and a DELETE per
  // action); Namazu's ignores both, which the missing X-Nmz-Batch header
  // shows on the first answer, and gets Namazu's exchange from then on.
  bool batch = true;
  bool probed = false;
  std::vector<std::string> acks;
  int failures = 0;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    std::string target = path;
    if (batch) {
      target += "?max=" + std::to_string(kBatch);
      for (std::size_t i = 0; i < acks.size(); ++i) target += (i == 0 ? "&ack=" : ",") + acks[i];
    }
    auto result = poll_client_->Get(target);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    if (result && result->status == 200) {
      failures = 0;
      note_success();
      if (!probed) {
        probed = true;
        batch = result->get_header_value("X-Nmz-Batch") == "1";
        if (!batch) logger_.info("the orchestrator does not batch actions (Namazu's): a GET and a DELETE per action");
      }
      if (batch) {
        acks = deliver_batch(result->body);
      } else if (auto uuid = deliver_json(result->body); !uuid.empty()) {
        delete_action(uuid);
      }
      continue;
    }
    // A long-poll that timed out only means nothing happened, if the
    // orchestrator still answers.
    if (!result && result.error() == httplib::Error::Read && orchestrator_answers()) {
      note_success();
      continue;
    }
    note_failure("GET " + target + ": " + describe(result));
    if (!back_off(++failures)) return;
  }
}

std::string RestInspectorHost::deliver_json(const std::string& json) {
  auto action = sdk::action_from_json(json);
  if (action) {
    std::string uuid = action->uuid;
    // Before the DELETE, unlike Namazu's client: the held operation goes on
    // one request sooner.
    deliver(std::move(action).value());
    return uuid;
  }
  logger_.error("dropped an action the orchestrator sent: " + action.status().message());
  // Acknowledged all the same, or every later GET would return it again.
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_object() && parsed.contains("uuid") && parsed["uuid"].is_string()) return parsed["uuid"];
  return {};
}

std::vector<std::string> RestInspectorHost::deliver_batch(const std::string& body) {
  std::vector<std::string> uuids;
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_array()) {
    logger_.error("the orchestrator sent a batch that is not a JSON array");
    return uuids;
  }
  for (const auto& element : parsed) {
    if (auto uuid = deliver_json(element.dump()); !uuid.empty()) uuids.push_back(std::move(uuid));
  }
  return uuids;
}

void RestInspectorHost::delete_action(const std::string& uuid) {
  const std::string path = options_.url.base_path + "/actions/" + options_.entity_id + "/" + uuid;
  auto result = poll_client_->Delete(path);
  if (result && result->status == 200) return;
  // The next GET returns it again; the recent set keeps it from being delivered twice.
  std::lock_guard lock(mutex_);
  if (!stopping_) logger_.warn("DELETE " + path + ": " + describe(result));
}

void RestInspectorHost::deliver(sdk::Action action) {
  std::lock_guard lock(delivery_mutex_);
  if (!recent_.insert(action.uuid).second) return;
  recent_order_.push_back(action.uuid);
  if (recent_order_.size() > kRecentActions) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  if (!action.event_uuid.empty()) {
    std::lock_guard state(mutex_);
    if (failed_open_.erase(action.event_uuid) != 0) {
      logger_.debug("dropped " + action.class_name + " for event " + action.event_uuid +
                    ": that event was already let through (fail open)");
      return;
    }
    waiting_.erase(action.event_uuid);
  }
  PluginCallScope call(on_action_label_);
  inspector_.on_action(std::move(action));
}

void RestInspectorHost::note_success() {
  std::lock_guard lock(mutex_);
  if (unreachable_since_ && warned_unreachable_) {
    logger_.warn("the orchestrator at " + options_.url.origin() + " answers again, after " +
                 std::to_string(let_through_) + " event(s) were let through unperturbed");
  }
  unreachable_since_.reset();
  warned_unreachable_ = false;
  let_through_ = 0;
}

void RestInspectorHost::note_failure(const std::string& what) {
  bool expired = false;
  {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (!unreachable_since_) unreachable_since_ = now;
    expired = now - *unreachable_since_ > options_.orchestrator_timeout;
    // Failing open keeps the target running, but the experiment then runs
    // unperturbed: said as an error, and again while it lasts, so that a
    // run's results are not trusted by mistake.
    if (expired && !warned_unreachable_) {
      warned_unreachable_ = true;
      last_outage_log_ = now;
      logger_.error("FAILING OPEN: the orchestrator at " + options_.url.origin() +
                    " has been unreachable for more than " + sdk::format_duration(options_.orchestrator_timeout) +
                    " (orchestratorTimeout); held and new events pass unperturbed until it answers; last error: " +
                    what);
    } else if (expired && now - last_outage_log_ >= kOutageReminder) {
      last_outage_log_ = now;
      logger_.error("FAILING OPEN: the orchestrator at " + options_.url.origin() + " is still unreachable; " +
                    std::to_string(let_through_) + " event(s) let through unperturbed so far; last error: " + what);
    } else if (!expired) {
      logger_.debug(what);
    }
  }
  if (expired) fail_open_waiting("the orchestrator is unreachable");
}

void RestInspectorHost::fail_open_waiting(const std::string& why) {
  std::lock_guard lock(delivery_mutex_);
  std::unordered_map<std::string, sdk::Event> waiting;
  {
    std::lock_guard state(mutex_);
    waiting.swap(waiting_);
    for (const auto& [uuid, event] : waiting) failed_open_.insert(uuid);
    let_through_ += waiting.size();
  }
  if (waiting.empty()) return;
  logger_.warn("answering " + std::to_string(waiting.size()) + " held event(s) with their default action: " + why);
  PluginCallScope call(on_action_label_);
  for (const auto& [uuid, event] : waiting) inspector_.on_action(sdk::default_action(event));
}

bool RestInspectorHost::back_off(int attempt) {
  auto delay = std::min<std::chrono::milliseconds>(kFirstBackOff * (1 << std::min(attempt - 1, 10)), kMaxBackOff);
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, delay, [&] { return stopping_; });
}

bool RestInspectorHost::orchestrator_answers() {
  httplib::Client probe(options_.url.origin());
  probe.set_connection_timeout(std::chrono::seconds(1));
  probe.set_read_timeout(std::chrono::seconds(1));
  auto result = probe.Get("/");
  return result && result->status == 200;
}

}  // namespace nmz::core::rest
