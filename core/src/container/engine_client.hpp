// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include <nmz/sdk/status.hpp>

namespace nmz::core::container {

// The socket the Engine API is reached through: DOCKER_HOST
// ("unix:///path") or /var/run/docker.sock. Other schemes are refused with
// a message saying so (nmz only speaks to a local engine).
sdk::Result<std::string> engine_socket_from_environment();

// A small client of the Docker Engine API (v1.41; Podman's compatible
// service speaks it too) over a unix socket. Each call is one request;
// errors carry the engine's own "message" when it sent one. Every call
// opens its own connection, so calls may come from several threads at once
// (the wait blocks one while the signal thread kills the container).
class EngineClient {
 public:
  explicit EngineClient(std::string socket_path) : socket_path_(std::move(socket_path)) {}

  [[nodiscard]] const std::string& socket_path() const noexcept { return socket_path_; }

  // GET /version: checks that an engine answers on the socket.
  sdk::Result<nlohmann::json> version();
  // GET /info.
  sdk::Result<nlohmann::json> info();
  // GET /images/NAME/json; not_found when the engine has no such image.
  sdk::Result<nlohmann::json> inspect_image(const std::string& image);
  // POST /containers/create; returns the new container's id.
  sdk::Result<std::string> create_container(const nlohmann::json& body, const std::string& name);
  sdk::Status start_container(const std::string& id);
  // GET /containers/ID/json.
  sdk::Result<nlohmann::json> inspect_container(const std::string& id);
  // POST /containers/ID/wait: blocks until the container stops, returns its
  // exit status.
  sdk::Result<int> wait_container(const std::string& id);
  sdk::Status kill_container(const std::string& id, const std::string& signal_name);
  sdk::Status resize_tty(const std::string& id, unsigned rows, unsigned columns);
  // DELETE /containers/ID?force=1&v=1.
  sdk::Status remove_container(const std::string& id);

 private:
  sdk::Result<nlohmann::json> call(const std::string& method, const std::string& path, const nlohmann::json* body);

  std::string socket_path_;
};

// What an engine's error answer says: the "message" of its JSON body, the
// body itself, or the HTTP status when the body is empty.
std::string engine_error_message(int http_status, const std::string& body);

// "/v1.41": the API version nmz speaks; Podman's compatible API and every
// Docker since 20.10 accept it.
inline constexpr const char* kEngineApiPrefix = "/v1.41";

}  // namespace nmz::core::container
