// SPDX-License-Identifier: Apache-2.0
#include "rest/rest_endpoint.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <nmz/sdk/signal_json.hpp>

#include "log/logging.hpp"
#include "rest/growing_task_queue.hpp"

namespace nmz::core::rest {
namespace {

constexpr const char* kJson = "application/json; charset=UTF-8";
constexpr const char* kText = "text/plain; charset=UTF-8";
// Far above what the inspectors of one experiment open; a bound only so a
// runaway client cannot exhaust the process.
constexpr std::size_t kMaxServerThreads = 1024;
// Most actions one batched GET returns.
constexpr std::size_t kMaxBatch = 1024;

void reply_ok(httplib::Response& res, const std::string& body = "{}\n") { res.set_content(body, kJson); }

void reply_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(message + "\n", kText);
}

int http_status_for(const sdk::Status& status) {
  switch (status.code()) {
    case sdk::StatusCode::invalid_argument: return 400;
    case sdk::StatusCode::unavailable: return 503;
    default: return 500;
  }
}

}  // namespace

RestEndpoint::RestEndpoint(Orchestrator& orchestrator, Options options)
    : orchestrator_(orchestrator),
      options_(std::move(options)),
      log_(named_logger("rest")),
      server_(std::make_unique<httplib::Server>()) {}

sdk::Result<std::unique_ptr<RestEndpoint>> RestEndpoint::start(Orchestrator& orchestrator, Options options) {
  if (options.port < 0 || options.port > 65535) {
    return sdk::Status::invalid("REST port " + std::to_string(options.port) + " is out of range (0 to 65535)");
  }
  std::unique_ptr<RestEndpoint> endpoint(new RestEndpoint(orchestrator, std::move(options)));
  httplib::Server& server = *endpoint->server_;
  server.new_task_queue = [] { return new GrowingTaskQueue(kMaxServerThreads); };
  // Inspectors keep one connection for events and one for polling; the
  // library's default of 5 requests per connection would reconnect all the time.
  server.set_keep_alive_max_count(std::numeric_limits<std::size_t>::max());
  // Bounds how long stop() waits for idle keep-alive connections.
  server.set_keep_alive_timeout(2);
  server.set_tcp_nodelay(true);
  server.set_payload_max_length(endpoint->options_.max_body_bytes);
  endpoint->install_routes();
  // The library listens with a backlog of 5 (compiled into Debian's
  // libcpp-httplib); bursts of new connections from many inspectors then
  // overflow it and get reset under load. Keep the socket to listen again
  // with the system's limit (on Linux a second listen() sets the backlog).
  int listening_socket = -1;
  server.set_socket_options([&listening_socket](socket_t sock) {
    httplib::default_socket_options(sock);
    listening_socket = sock;
  });
  const auto& address = endpoint->options_.address;
  if (endpoint->options_.port == 0) {
    endpoint->port_ = server.bind_to_any_port(address);
  } else if (server.bind_to_port(address, endpoint->options_.port)) {
    endpoint->port_ = endpoint->options_.port;
  }
  if (endpoint->port_ <= 0) {
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              "cannot listen for REST on " + address + ":" + std::to_string(endpoint->options_.port) +
                                  " (address not local, or port in use; restAddress/restPort in the config)");
  }
  // The lambda refers to a local: the server must not keep it.
  server.set_socket_options(httplib::default_socket_options);
  if (listening_socket >= 0) ::listen(listening_socket, SOMAXCONN);
  endpoint->listener_ = std::thread([&server] { server.listen_after_bind(); });
  // Server::stop() does nothing until the listener runs; wait for it so that
  // an early stop() cannot leave the listener behind.
  for (int i = 0; i < 5000 && !server.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  endpoint->log_->info("REST API v3 listening on http://{}:{}/api/v3", address, endpoint->port_);
  return endpoint;
}

RestEndpoint::~RestEndpoint() { stop(); }

void RestEndpoint::stop() {
  {
    std::lock_guard lock(queues_mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [entity, queue] : queues_) queue->close();
  }
  server_->stop();
  if (listener_.joinable()) listener_.join();
}

RestEntityQueue& RestEndpoint::queue_for(const std::string& entity) {
  std::lock_guard lock(queues_mutex_);
  auto [it, inserted] = queues_.try_emplace(entity);
  if (inserted) {
    it->second = std::make_unique<RestEntityQueue>();
    if (stopping_) it->second->close();
    orchestrator_.attach(entity, it->second.get());
    log_->debug("entity \"{}\" registered", entity);
  }
  return *it->second;
}

void RestEndpoint::install_routes() {
  httplib::Server& server = *server_;

  server.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Hello Namazu! -- nmz REST endpoint (pid=" + std::to_string(::getpid()) + ")\n", kText);
  });

  server.Post(R"(/api/v3/events/([^/]+)/([^/]+)/?)", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string& entity = req.matches[1];
    const std::string& uuid = req.matches[2];
    auto event = sdk::event_from_json(req.body);
    if (!event) return reply_error(res, 400, "bad event: " + event.status().message());
    if (event->uuid != uuid) {
      return reply_error(res, 400, "uuid mismatch: the URL says \"" + uuid + "\", the body says \"" + event->uuid + "\"");
    }
    if (event->entity != entity) {
      // Namazu routed actions by the body's entity and silently lost them here.
      return reply_error(res, 400,
                         "entity mismatch: the URL says \"" + entity + "\", the body says \"" + event->entity + "\"");
    }
    RestEntityQueue& queue = queue_for(entity);
    if (auto status = orchestrator_.submit(std::move(event).value(), &queue); !status) {
      return reply_error(res, http_status_for(status), status.message());
    }
    reply_ok(res);
  });

  // nmz extension (docs/rest-api.md): a JSON array of events for one
  // entity in one request. All are checked before any is submitted.
  server.Post(R"(/api/v3/events/([^/]+)/?)", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string& entity = req.matches[1];
    auto array = nlohmann::json::parse(req.body, nullptr, false);
    if (!array.is_array()) return reply_error(res, 400, "bad event batch: expected a JSON array of events");
    std::vector<sdk::Event> events;
    for (const auto& element : array) {
      auto event = sdk::event_from_json(element.dump());
      const std::string where = "event " + std::to_string(events.size()) + " of the batch: ";
      if (!event) return reply_error(res, 400, where + event.status().message());
      if (event->entity != entity) {
        return reply_error(res, 400, where + "entity mismatch: the URL says \"" + entity + "\", the body says \"" +
                                         event->entity + "\"");
      }
      events.push_back(std::move(event).value());
    }
    RestEntityQueue& queue = queue_for(entity);
    nlohmann::json refused = nlohmann::json::array();
    for (auto& event : events) {
      std::string uuid = event.uuid;
      if (auto status = orchestrator_.submit(std::move(event), &queue); !status) {
        refused.push_back({{"uuid", uuid}, {"error", status.message()}});
      }
    }
    res.set_header("X-Nmz-Batch", "1");
    reply_ok(res, nlohmann::json{{"refused", refused}}.dump() + "\n");
  });

  server.Get(R"(/api/v3/actions/([^/]+)/?)", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string& entity = req.matches[1];
    RestEntityQueue& queue = queue_for(entity);
    // nmz extension (docs/rest-api.md): `ack` deletes actions before
    // polling, `max` returns up to that many as an array; Namazu's clients
    // send neither and see Namazu's exchange.
    const bool batch = req.has_param("max") || req.has_param("ack");
    std::size_t max = 1;
    if (req.has_param("max")) {
      const std::string text = req.get_param_value("max");
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), max);
      if (error != std::errc() || end != text.data() + text.size() || max < 1 || max > kMaxBatch) {
        return reply_error(res, 400, "max=\"" + text + "\": expected 1 to " + std::to_string(kMaxBatch));
      }
    }
    if (req.has_param("ack")) {
      const std::string ack_text = req.get_param_value("ack");
      std::string_view acks = ack_text;
      while (!acks.empty()) {
        std::size_t comma = acks.find(',');
        queue.remove(std::string(acks.substr(0, comma)));
        acks.remove_prefix(comma == std::string_view::npos ? acks.size() : comma + 1);
      }
    }
    auto poll = queue.poll(max);
    switch (poll.outcome) {
      case RestEntityQueue::Outcome::action:
        if (!batch) return reply_ok(res, poll.actions_json.front());
        {
          std::string body = "[";
          for (const auto& json : poll.actions_json) body += (body.size() > 1 ? "," : "") + json;
          res.set_header("X-Nmz-Batch", "1");
          return reply_ok(res, body + "]");
        }
      case RestEntityQueue::Outcome::superseded:
        return reply_error(res, 409, "superseded by a newer GET for entity \"" + entity +
                                         "\" (one long-poll per entity; is the entity id used twice?)");
      case RestEntityQueue::Outcome::closed: return reply_error(res, 503, "the orchestrator is shutting down");
    }
  });

  server.Delete(R"(/api/v3/actions/([^/]+)/([^/]+)/?)", [this](const httplib::Request& req, httplib::Response& res) {
    queue_for(req.matches[1]).remove(req.matches[2]);
    reply_ok(res);
  });

  server.Post(R"(/api/v3/control/?)", [this](const httplib::Request& req, httplib::Response& res) {
    const std::string op = req.get_param_value("op");
    if (op == "enableOrchestration" || op == "disableOrchestration") {
      orchestrator_.set_enabled(op == "enableOrchestration");
      return res.set_content("", kText);
    }
    reply_error(res, 400, "unknown control op \"" + op + "\" (expected enableOrchestration or disableOrchestration)");
  });

  // Fills in a message for what the library rejected itself (no route 404,
  // oversized body 413, unparsable request 400); handlers' own errors
  // already carry one.
  server.set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message;
    if (res.status == 404) {
      message = "no such route: " + req.method + " " + req.path + " (see docs/rest-api.md)";
    } else if (res.status == 413) {
      message = "request body larger than " + std::to_string(options_.max_body_bytes) + " bytes";
    } else {
      message = "bad request: " + req.method + " " + req.path;
    }
    res.set_content(message + "\n", kText);
    return httplib::Server::HandlerResponse::Handled;
  }));

  server.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
    std::string what = "unknown error";
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log_->error("REST handler failed: {}", what);
    reply_error(res, 500, "internal error: " + what);
  });
}

sdk::Result<std::unique_ptr<RestEndpoint>> start_rest_endpoint(Orchestrator& orchestrator, const Config& config,
                                                               int port_override) {
  int port = port_override >= 0 ? port_override : static_cast<int>(config.rest_port);
  if (port < 0) return std::unique_ptr<RestEndpoint>();
  auto endpoint = RestEndpoint::start(orchestrator, {config.rest_address, port});
  if (!endpoint) {
    std::string where = config.source.empty() ? "" : config.source + ": ";
    return sdk::Status::error(endpoint.status().code(), where + endpoint.status().message());
  }
  return endpoint;
}

}  // namespace nmz::core::rest
