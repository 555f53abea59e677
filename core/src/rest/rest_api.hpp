// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include <spdlog/logger.h>

#include "orchestrator/orchestrator.hpp"
#include "rest/http_request_parser.hpp"
#include "rest/rest_entity_queue.hpp"

namespace nmz::core::rest {

// What one request is answered with.
struct RestReply {
  int status = 200;
  bool json = true;  // application/json, else text/plain
  std::string body = "{}\n";
  bool batch = false;  // X-Nmz-Batch: 1
};

// Namazu's REST API v3 (docs/rest-api.md) as request -> reply, with no
// sockets: the endpoint's event loop calls it, and so does the fuzzer.
//   POST   /api/v3/events/{entity}/{uuid}      submit an event (returns at once)
//   GET    /api/v3/actions/{entity}            long-poll: the head action, not removed
//   DELETE /api/v3/actions/{entity}/{uuid}     remove an action
//   POST   /api/v3/control?op=enableOrchestration|disableOrchestration
// plus nmz's batches. Refuses what a browser page could send (an Origin
// header, a form content type), requests without the shared token when one
// is set, and requests for an entity from a client other than the one it
// is bound to.
//
// Thread: one at a time (the endpoint's loop thread); deliveries into the
// entity queues come from any thread.
class RestApi {
 public:
  struct Options {
    std::string token;  // "" : no token required
    std::size_t max_entities = 4096;
    // An entity's binding to its client is released when the entity holds
    // nothing (no action queued, no GET parked) and its client has been
    // silent this long: a restarted inspector gets its entity back.
    std::chrono::steady_clock::duration release_after = std::chrono::seconds(10);
    // An entity that holds nothing (no action queued, no GET parked, no
    // event pending in the orchestrator) and has seen no request this long
    // is forgotten: names come and go, memory stays bounded.
    std::chrono::steady_clock::duration expire_after = std::chrono::seconds(60);
  };
  // A GET that waits for its entity's queue.
  struct LongPoll {
    RestEntityQueue* queue;
    std::string entity;
    std::size_t max;
    bool batch;
  };

  RestApi(Orchestrator& orchestrator, Options options);
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  // `peer` identifies the client's address when it sends no X-Nmz-Client.
  std::variant<RestReply, LongPoll> handle(const HttpRequest& request, std::string_view peer);
  // The reply to a long-poll once its queue answered.
  static RestReply reply_for(const LongPoll& poll, const RestEntityQueue::Poll& answer);
  // Error reply with a message.
  static RestReply error(int status, std::string message);
  // Ends every parked long-poll with 503 and refuses later ones.
  void close();
  // Forgets the entities that expired by `now` (Options::expire_after).
  // Returns how many.
  std::size_t expire_idle(std::chrono::steady_clock::time_point now);
  [[nodiscard]] std::size_t entity_count() const noexcept { return entities_.size(); }

 private:
  struct Entity {
    std::unique_ptr<RestEntityQueue> queue;
    std::string owner;
    std::chrono::steady_clock::time_point last_seen;
  };
  enum class Unknown { register_it, refuse };
  // The entity's queue, registering it for `owner` if asked, or an error
  // reply.
  std::variant<RestEntityQueue*, RestReply> entity_for(const std::string& entity, const std::string& owner,
                                                       Unknown unknown = Unknown::register_it);
  RestReply refuse_beyond_cap(const std::string& entity, const std::string& owner);
  RestReply post_event(const HttpRequest& request, const std::string& entity, const std::string& uuid,
                       const std::string& owner);
  RestReply post_batch(const HttpRequest& request, const std::string& entity, const std::string& owner);
  std::variant<RestReply, LongPoll> get_actions(const HttpRequest& request, const std::string& entity,
                                                const std::string& owner);

  Orchestrator& orchestrator_;
  Options options_;
  std::shared_ptr<spdlog::logger> log_;
  std::unordered_map<std::string, Entity> entities_;
  bool closed_ = false;
  // Refusals at the entity cap are logged as errors, at most once a second.
  std::chrono::steady_clock::time_point cap_logged_;
  std::size_t cap_refusals_unlogged_ = 0;
};

}  // namespace nmz::core::rest
