// SPDX-License-Identifier: Apache-2.0
#include "fuse_log_routing.hpp"

#include <fuse3/fuse_log.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

namespace nmz::plugins::fs {
namespace {

struct Route {
  std::thread::id thread;
  sdk::Logger* logger;
};

std::mutex routes_mutex;
std::vector<Route> routes;  // in registration order

void forward_fuse_log(fuse_log_level level, const char* format, va_list args) {
  char text[1024];
  std::vsnprintf(text, sizeof text, format, args);
  std::string_view message(text);
  while (!message.empty() && message.back() == '\n') message.remove_suffix(1);
  std::lock_guard lock(routes_mutex);
  if (routes.empty()) return;
  auto own = std::find_if(routes.begin(), routes.end(),
                          [](const Route& route) { return route.thread == std::this_thread::get_id(); });
  sdk::Logger& logger = own != routes.end() ? *own->logger : *routes.back().logger;
  if (level <= FUSE_LOG_ERR) {
    logger.error(message);
  } else if (level <= FUSE_LOG_NOTICE) {
    logger.info(message);
  } else {
    logger.debug(message);
  }
}

}  // namespace

FuseLogRouting::FuseLogRouting(sdk::Logger& logger) : logger_(logger) {
  std::lock_guard lock(routes_mutex);
  if (routes.empty()) fuse_set_log_func(&forward_fuse_log);
  routes.push_back({std::this_thread::get_id(), &logger_});
}

FuseLogRouting::~FuseLogRouting() {
  std::lock_guard lock(routes_mutex);
  routes.erase(std::find_if(routes.begin(), routes.end(), [this](const Route& route) { return route.logger == &logger_; }));
  if (routes.empty()) fuse_set_log_func(nullptr);
}

}  // namespace nmz::plugins::fs
