// SPDX-License-Identifier: Apache-2.0
#include "container/engine_client.hpp"

#include <sys/socket.h>

#include <chrono>
#include <cstdlib>

#include <httplib.h>

namespace nmz::core::container {
namespace {

constexpr const char* kDefaultSocket = "/var/run/docker.sock";

std::unique_ptr<httplib::Client> connect(const std::string& socket_path, std::chrono::seconds read_timeout) {
  auto client = std::make_unique<httplib::Client>(socket_path);
  client->set_address_family(AF_UNIX);
  // httplib would send the socket path as Host, which engines reject.
  client->set_default_headers({{"Host", "docker"}});
  client->set_connection_timeout(std::chrono::seconds(5));
  client->set_read_timeout(read_timeout);
  client->set_write_timeout(std::chrono::seconds(30));
  return client;
}

sdk::StatusCode code_for(int http_status) {
  switch (http_status) {
    case 400: return sdk::StatusCode::invalid_argument;
    case 404: return sdk::StatusCode::not_found;
    case 409: return sdk::StatusCode::invalid_argument;  // name in use, container not running
    default: return sdk::StatusCode::internal;
  }
}

}  // namespace

std::string engine_error_message(int http_status, const std::string& body) {
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string()) return parsed["message"];
  return body.empty() ? "HTTP " + std::to_string(http_status) : body;
}

sdk::Result<std::string> engine_socket_from_environment() {
  const char* host = std::getenv("DOCKER_HOST");
  if (host == nullptr || *host == '\0') return std::string(kDefaultSocket);
  std::string value(host);
  constexpr std::string_view scheme = "unix://";
  if (value.rfind(scheme, 0) != 0 || value.size() == scheme.size()) {
    return sdk::Status::invalid("DOCKER_HOST=\"" + value +
                                "\": nmz container talks to a local engine only; expected unix:///path/to/socket");
  }
  return value.substr(scheme.size());
}

sdk::Result<nlohmann::json> EngineClient::call(const std::string& method, const std::string& path,
                                               const nlohmann::json* body) {
  // Only the wait may legitimately take as long as the container runs.
  const bool waits = path.find("/wait") != std::string::npos;
  auto client = connect(socket_path_, waits ? std::chrono::hours(24 * 365) : std::chrono::seconds(60));
  const std::string url = std::string(kEngineApiPrefix) + path;
  httplib::Result result = [&] {
    if (method == "GET") return client->Get(url);
    if (method == "DELETE") return client->Delete(url);
    return client->Post(url, body != nullptr ? body->dump() : std::string(), "application/json");
  }();
  if (!result) {
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              "cannot reach a container engine at " + socket_path_ + " (" +
                                  httplib::to_string(result.error()) +
                                  "): start dockerd or `podman system service`, or point DOCKER_HOST=unix:///path at "
                                  "its socket");
  }
  if (result->status < 200 || result->status > 299) {
    return sdk::Status::error(code_for(result->status), engine_error_message(result->status, result->body));
  }
  if (result->body.empty()) return nlohmann::json();
  auto parsed = nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return sdk::Status::error(sdk::StatusCode::internal,
                              "the engine at " + socket_path_ + " answered " + method + " " + path + " with non-JSON");
  }
  return parsed;
}

sdk::Result<nlohmann::json> EngineClient::version() { return call("GET", "/version", nullptr); }

sdk::Result<nlohmann::json> EngineClient::info() { return call("GET", "/info", nullptr); }

sdk::Result<nlohmann::json> EngineClient::inspect_image(const std::string& image) {
  return call("GET", "/images/" + image + "/json", nullptr);
}

sdk::Result<std::string> EngineClient::create_container(const nlohmann::json& body, const std::string& name) {
  std::string path = "/containers/create";
  if (!name.empty()) path += "?name=" + name;
  auto created = call("POST", path, &body);
  if (!created) return created.status();
  if (!created->contains("Id") || !(*created)["Id"].is_string()) {
    return sdk::Status::error(sdk::StatusCode::internal, "the engine created a container but sent no Id");
  }
  return (*created)["Id"].get<std::string>();
}

sdk::Status EngineClient::start_container(const std::string& id) {
  return call("POST", "/containers/" + id + "/start", nullptr).status();
}

sdk::Result<nlohmann::json> EngineClient::inspect_container(const std::string& id) {
  return call("GET", "/containers/" + id + "/json", nullptr);
}

sdk::Result<int> EngineClient::wait_container(const std::string& id) {
  auto waited = call("POST", "/containers/" + id + "/wait", nullptr);
  if (!waited) return waited.status();
  if (!waited->contains("StatusCode") || !(*waited)["StatusCode"].is_number_integer()) {
    return sdk::Status::error(sdk::StatusCode::internal, "the engine's wait answer has no StatusCode: " + waited->dump());
  }
  return (*waited)["StatusCode"].get<int>();
}

sdk::Status EngineClient::kill_container(const std::string& id, const std::string& signal_name) {
  return call("POST", "/containers/" + id + "/kill?signal=" + signal_name, nullptr).status();
}

sdk::Status EngineClient::resize_tty(const std::string& id, unsigned rows, unsigned columns) {
  return call("POST", "/containers/" + id + "/resize?h=" + std::to_string(rows) + "&w=" + std::to_string(columns),
              nullptr)
      .status();
}

sdk::Status EngineClient::remove_container(const std::string& id) {
  return call("DELETE", "/containers/" + id + "?force=1&v=1", nullptr).status();
}

}  // namespace nmz::core::container
