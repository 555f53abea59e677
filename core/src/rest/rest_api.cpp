// SPDX-License-Identifier: Apache-2.0
#include "rest/rest_api.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <vector>

#include <nlohmann/json.hpp>

#include <nmz/sdk/json_nesting.hpp>
#include <nmz/sdk/signal_json.hpp>

#include "log/logging.hpp"

namespace nmz::core::rest {
namespace {

// Most actions one batched GET returns.
constexpr std::size_t kMaxBatch = 1024;
// Deeper JSON than any event needs; the parse of a deeper one would recurse
// in the tree's destructor and printer.
constexpr std::size_t kMaxJsonDepth = 400;
// An X-Nmz-Client longer than this is not an id.
constexpr std::size_t kMaxClientId = 256;

int http_status_for(const sdk::Status& status) {
  switch (status.code()) {
    case sdk::StatusCode::invalid_argument: return 400;
    case sdk::StatusCode::unavailable: return 503;
    default: return 500;
  }
}

// A path's segments, without allocating (it is split for every request).
// Routes have at most five: a longer path keeps its first kMaxSegments and
// counts as longer than any route.
struct PathSegments {
  static constexpr std::size_t kMaxSegments = 6;
  std::array<std::string_view, kMaxSegments> items;
  std::size_t count = 0;

  [[nodiscard]] bool empty() const noexcept { return count == 0; }
  [[nodiscard]] std::size_t size() const noexcept { return count; }
  std::string_view operator[](std::size_t i) const noexcept { return items[i]; }
  [[nodiscard]] auto begin() const noexcept { return items.begin(); }
};

PathSegments path_segments(std::string_view path) {
  PathSegments segments;
  path.remove_prefix(1);  // the parser guarantees a leading '/'
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);  // a trailing slash is accepted
  while (!path.empty() && segments.count < PathSegments::kMaxSegments) {
    std::size_t slash = path.find('/');
    segments.items[segments.count++] = path.substr(0, slash);
    path.remove_prefix(slash == std::string_view::npos ? path.size() : slash + 1);
  }
  return segments;
}

// A browser page can send these content types without asking the server
// first (a CORS "simple request"); JSON it cannot.
bool is_json_media_type(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  return type == "application/json" || (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

// Compares without returning early, so the time taken says nothing about
// how much of a guessed token was right.
bool same_secret(std::string_view given, std::string_view expected) {
  unsigned char differ = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    differ |= static_cast<unsigned char>(given[i] ^ expected[i % std::max<std::size_t>(expected.size(), 1)]);
  }
  return differ == 0;
}

sdk::Result<sdk::Event> parse_event(std::string_view text) {
  if (sdk::json_nesting_depth(text) > kMaxJsonDepth) {
    return sdk::Status::invalid("JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  // Every malformed input is an error status (1e999999 too); only an
  // allocation failure throws, and the endpoint answers that with 500.
  return sdk::event_from_json(text);
}

}  // namespace

RestApi::RestApi(Orchestrator& orchestrator, Options options)
    : orchestrator_(orchestrator), options_(std::move(options)), log_(named_logger("rest")) {}

RestReply RestApi::error(int status, std::string message) {
  message.push_back('\n');
  return RestReply{status, false, std::move(message), false};
}

void RestApi::close() {
  closed_ = true;
  for (auto& [name, entity] : entities_) entity.queue->close();
}

std::size_t RestApi::expire_idle(std::chrono::steady_clock::time_point now) {
  std::size_t expired = 0;
  for (auto it = entities_.begin(); it != entities_.end();) {
    RestEntityQueue* queue = it->second.queue.get();
    // Detached first: once the orchestrator no longer routes to the queue,
    // nothing else refers to it and it can go.
    if (now - it->second.last_seen < options_.expire_after ||
        !orchestrator_.detach(it->first, queue, [queue] { return queue->idle(); })) {
      ++it;
      continue;
    }
    log_->debug("entity \"{}\" of {} expired", it->first, it->second.owner);
    it = entities_.erase(it);
    ++expired;
  }
  if (expired > 0) log_->info("{} idle REST entit{} expired; {} live", expired, expired == 1 ? "y" : "ies",
                              entities_.size());
  return expired;
}

RestReply RestApi::refuse_beyond_cap(const std::string& name, const std::string& owner) {
  const auto now = std::chrono::steady_clock::now();
  const auto expiry = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options_.expire_after).count());
  ++cap_refusals_unlogged_;
  if (now - cap_logged_ >= std::chrono::seconds(1)) {
    // An inspector refused here fails open: its events go unperturbed.
    log_->error("REST entity limit reached: {} live entities (restMaxEntities); refused entity \"{}\" of {} and {} "
                "more request(s) since the last report; an entity expires {} s after it last held anything",
                options_.max_entities, name.substr(0, 200), owner, cap_refusals_unlogged_ - 1, expiry);
    cap_logged_ = now;
    cap_refusals_unlogged_ = 0;
  }
  return error(503, "too many REST entities: " + std::to_string(options_.max_entities) +
                        " are live (restMaxEntities); entity \"" + name.substr(0, 200) +
                        "\" not registered. An entity expires " + expiry +
                        " s (restEntityExpiry) after its last request once it holds nothing");
}

std::variant<RestEntityQueue*, RestReply> RestApi::entity_for(const std::string& name, const std::string& owner,
                                                              Unknown unknown) {
  const auto now = std::chrono::steady_clock::now();
  auto it = entities_.find(name);
  if (it == entities_.end()) {
    if (unknown == Unknown::refuse) {
      return error(404, "entity \"" + name.substr(0, 200) +
                            "\" is not registered: it never was, or it expired (it held nothing for " +
                            std::to_string(
                                std::chrono::duration_cast<std::chrono::seconds>(options_.expire_after).count()) +
                            " s, restEntityExpiry); nothing of it is left to acknowledge");
    }
    if (entities_.size() >= options_.max_entities) return refuse_beyond_cap(name, owner);
    it = entities_.emplace(name, Entity{std::make_unique<RestEntityQueue>(), owner, now}).first;
    if (closed_) it->second.queue->close();
    orchestrator_.attach(name, it->second.queue.get());
    log_->debug("entity \"{}\" registered by {}", name, owner);
  } else if (it->second.owner != owner) {
    Entity& entity = it->second;
    if (now - entity.last_seen < options_.release_after || !entity.queue->idle()) {
      log_->warn("refused a request for entity \"{}\" from {}: it belongs to {}", name, owner, entity.owner);
      return error(403, "entity \"" + name + "\" belongs to another client (" + entity.owner +
                            "); it is released once that client has been silent for " +
                            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options_.release_after)
                                               .count()) +
                            " s with nothing queued");
    }
    log_->info("entity \"{}\" passes from {} to {}", name, entity.owner, owner);
    entity.owner = owner;
  }
  it->second.last_seen = now;
  return it->second.queue.get();
}

std::variant<RestReply, RestApi::LongPoll> RestApi::handle(const HttpRequest& request, std::string_view peer) {
  if (request.has_origin) {
    // Browsers send Origin with every cross-origin request; Namazu's and
    // nmz's clients never do. A web page must not drive the orchestrator.
    return error(403, "cross-origin requests are refused (Origin: " + request.origin.substr(0, 200) + ")");
  }
  const auto segments = path_segments(request.path);
  if (segments.empty()) {
    if (request.method != "GET") return error(404, "no such route: " + request.method + " / (see docs/rest-api.md)");
    return RestReply{200, false, "Hello Namazu! -- nmz REST endpoint (pid=" + std::to_string(::getpid()) + ")\n"};
  }
  if (!options_.token.empty() && !same_secret(request.authorization, "Bearer " + options_.token)) {
    return error(401, "this endpoint requires its token: Authorization: Bearer <restToken or NMZ_REST_TOKEN>");
  }
  if (!request.body.empty() && !request.content_type.empty() && !is_json_media_type(request.content_type)) {
    return error(415, "Content-Type \"" + request.content_type.substr(0, 200) + "\" refused: expected application/json");
  }
  const std::string client = request.client_id.substr(0, kMaxClientId);
  const std::string owner = client.empty() ? "address " + std::string(peer) : "client " + client;
  const auto is = [&](std::initializer_list<std::string_view> expected) {
    return segments.size() == expected.size() && std::equal(expected.begin(), expected.end(), segments.begin(),
                                                            [](std::string_view e, std::string_view s) {
                                                              return e.empty() ? !s.empty() : e == s;
                                                            });
  };
  // "" matches any non-empty segment.
  if (request.method == "POST" && is({"api", "v3", "events", "", ""})) {
    return post_event(request, std::string(segments[3]), std::string(segments[4]), owner);
  }
  if (request.method == "POST" && is({"api", "v3", "events", ""})) {
    return post_batch(request, std::string(segments[3]), owner);
  }
  if (request.method == "GET" && is({"api", "v3", "actions", ""})) {
    return get_actions(request, std::string(segments[3]), owner);
  }
  if (request.method == "DELETE" && is({"api", "v3", "actions", "", ""})) {
    auto queue = entity_for(std::string(segments[3]), owner, Unknown::refuse);
    if (auto* reply = std::get_if<RestReply>(&queue)) return std::move(*reply);
    std::get<RestEntityQueue*>(queue)->remove(segments[4]);
    return RestReply{};
  }
  if (request.method == "POST" && is({"api", "v3", "control"})) {
    const std::string op = query_value(request.query, "op", nullptr);
    if (op == "enableOrchestration" || op == "disableOrchestration") {
      orchestrator_.set_enabled(op == "enableOrchestration");
      return RestReply{200, false, "", false};
    }
    return error(400, "unknown control op \"" + op.substr(0, 200) +
                          "\" (expected enableOrchestration or disableOrchestration)");
  }
  return error(404, "no such route: " + request.method + " " + request.path.substr(0, 200) +
                        " (see docs/rest-api.md)");
}

RestReply RestApi::post_event(const HttpRequest& request, const std::string& entity, const std::string& uuid,
                              const std::string& owner) {
  auto event = parse_event(request.body);
  if (!event) return error(400, "bad event: " + event.status().message());
  if (event->uuid != uuid) {
    return error(400, "uuid mismatch: the URL says \"" + uuid + "\", the body says \"" + event->uuid + "\"");
  }
  if (event->entity != entity) {
    // Namazu routed actions by the body's entity and silently lost them here.
    return error(400, "entity mismatch: the URL says \"" + entity + "\", the body says \"" + event->entity + "\"");
  }
  auto queue = entity_for(entity, owner);
  if (auto* reply = std::get_if<RestReply>(&queue)) return std::move(*reply);
  if (auto status = orchestrator_.submit(std::move(event).value(), std::get<RestEntityQueue*>(queue)); !status) {
    return error(http_status_for(status), status.message());
  }
  return RestReply{};
}

// nmz extension (docs/rest-api.md): a JSON array of events for one entity
// in one request. All are checked before any is submitted.
RestReply RestApi::post_batch(const HttpRequest& request, const std::string& entity, const std::string& owner) {
  if (sdk::json_nesting_depth(request.body) > kMaxJsonDepth) {
    return error(400, "bad event batch: JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  const auto array = nlohmann::json::parse(request.body, nullptr, false);
  if (array.is_discarded()) return error(400, "bad event batch: not valid JSON");
  if (!array.is_array()) return error(400, "bad event batch: expected a JSON array of events");
  std::vector<sdk::Event> events;
  for (const auto& element : array) {
    auto event = parse_event(element.dump());
    const std::string where = "event " + std::to_string(events.size()) + " of the batch: ";
    if (!event) return error(400, where + event.status().message());
    if (event->entity != entity) {
      return error(400, where + "entity mismatch: the URL says \"" + entity + "\", the body says \"" +
                            event->entity + "\"");
    }
    events.push_back(std::move(event).value());
  }
  auto queue = entity_for(entity, owner);
  if (auto* reply = std::get_if<RestReply>(&queue)) return std::move(*reply);
  nlohmann::json refused = nlohmann::json::array();
  for (auto& event : events) {
    std::string uuid = event.uuid;
    if (auto status = orchestrator_.submit(std::move(event), std::get<RestEntityQueue*>(queue)); !status) {
      refused.push_back({{"uuid", uuid}, {"error", status.message()}});
    }
  }
  return RestReply{200, true, nlohmann::json{{"refused", refused}}.dump() + "\n", true};
}

std::variant<RestReply, RestApi::LongPoll> RestApi::get_actions(const HttpRequest& request, const std::string& entity,
                                                                const std::string& owner) {
  // nmz extension (docs/rest-api.md): `ack` deletes actions before polling,
  // `max` returns up to that many as an array; Namazu's clients send
  // neither and see Namazu's exchange.
  bool has_max = false;
  bool has_ack = false;
  const std::string max_text = query_value(request.query, "max", &has_max);
  const std::string ack_text = query_value(request.query, "ack", &has_ack);
  std::size_t max = 1;
  if (has_max) {
    auto [end, error_code] = std::from_chars(max_text.data(), max_text.data() + max_text.size(), max);
    if (error_code != std::errc() || end != max_text.data() + max_text.size() || max < 1 || max > kMaxBatch) {
      return error(400, "max=\"" + max_text.substr(0, 200) + "\": expected 1 to " + std::to_string(kMaxBatch));
    }
  }
  auto found = entity_for(entity, owner);
  if (auto* reply = std::get_if<RestReply>(&found)) return std::move(*reply);
  RestEntityQueue* queue = std::get<RestEntityQueue*>(found);
  std::string_view acks = ack_text;
  while (!acks.empty()) {
    std::size_t comma = acks.find(',');
    queue->remove(acks.substr(0, comma));
    acks.remove_prefix(comma == std::string_view::npos ? acks.size() : comma + 1);
  }
  return LongPoll{queue, entity, max, has_max || has_ack};
}

RestReply RestApi::reply_for(const LongPoll& poll, const RestEntityQueue::Poll& answer) {
  switch (answer.outcome) {
    case RestEntityQueue::Outcome::action:
      if (!poll.batch) return RestReply{200, true, answer.actions_json.front(), false};
      {
        std::string body = "[";
        for (const auto& json : answer.actions_json) {
          if (body.size() > 1) body.push_back(',');
          body += json;
        }
        body.push_back(']');
        return RestReply{200, true, std::move(body), true};
      }
    case RestEntityQueue::Outcome::superseded:
      return error(409, "superseded by a newer GET for entity \"" + poll.entity +
                            "\" (one long-poll per entity; is the entity id used twice?)");
    case RestEntityQueue::Outcome::closed: break;
  }
  return error(503, "the orchestrator is shutting down");
}

}  // namespace nmz::core::rest
