// SPDX-License-Identifier: Apache-2.0
#include "container/attached_inspectors.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nmz::core::container {

AttachedInspectors::Running::~Running() {
  if (thread_.joinable()) {
    inspector_->request_stop();
    thread_.join();
  }
}

sdk::Result<AttachedInspectors::Running*> AttachedInspectors::start(const std::string& name,
                                                                    const std::string& entity_id,
                                                                    std::vector<std::string> args,
                                                                    const std::string& netns_path) {
  auto inspector = plugins_.create_inspector(name);
  if (!inspector) {
    return sdk::Status::error(inspector.status().code(), "the " + name + " inspector: " + inspector.status().message());
  }
  auto context = std::make_unique<HostComponentContext>(
      "inspector." + name, std::make_unique<TomlConfigView>(nullptr, nullptr, config_.source, name), session_.seed);
  sdk::InspectorSettings settings{entity_id, std::move(args)};
  if (auto status = (*inspector)->configure(*context, settings); !status) {
    return sdk::Status::error(status.code(), "the " + name + " inspector: " + status.message());
  }
  int netns_fd = -1;
  if (!netns_path.empty()) {
    netns_fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) {
      return sdk::Status::error(sdk::StatusCode::unavailable, "the " + name + " inspector: cannot open the network "
                                                              "namespace " + netns_path + ": " + std::strerror(errno));
    }
  }
  auto running = std::make_unique<Running>(name, std::move(context), std::move(*inspector));
  Running* raw = running.get();
  raw->endpoint_ = std::make_unique<LocalInspectorHost>(*session_.orchestrator, *raw->inspector_, entity_id);
  raw->thread_ = std::thread([raw, netns_fd] {
    if (netns_fd >= 0) {
      const bool entered = ::setns(netns_fd, CLONE_NEWNET) == 0;
      const int error = errno;
      ::close(netns_fd);
      if (!entered) {
        raw->outcome_.status = sdk::Status::error(sdk::StatusCode::permission_denied,
                                                  std::string("cannot enter the container's network namespace: ") +
                                                      std::strerror(error));
        raw->finished_ = true;
        return;
      }
    }
    raw->outcome_ = raw->inspector_->run(*raw->endpoint_);
    raw->finished_ = true;
  });
  running_.push_back(std::move(running));
  return raw;
}

std::string AttachedInspectors::stop_all() {
  for (auto& running : running_) running->inspector_->request_stop();
  std::string first_error;
  for (auto& running : running_) {
    if (running->thread_.joinable()) running->thread_.join();
    if (!running->outcome_.status && first_error.empty()) {
      first_error = "the " + running->name_ + " inspector: " + running->outcome_.status.message();
    }
  }
  // Only now: actions may reach an inspector until its orchestrator stopped.
  session_.orchestrator->stop();
  return first_error;
}

}  // namespace nmz::core::container
