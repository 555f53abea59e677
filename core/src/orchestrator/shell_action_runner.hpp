// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <spdlog/logger.h>

namespace nmz::core {

// Runs ShellAction commands (`sh -c`) one after another on a thread of its
// own, so that a slow fault script delays neither the policy nor any
// inspector. Inherits nmz's environment (NMZ_WORKING_DIR and
// NMZ_MATERIALS_DIR in `nmz run`). A failing command is logged only, as in
// Namazu.
class ShellActionRunner {
 public:
  ShellActionRunner();
  ShellActionRunner(const ShellActionRunner&) = delete;
  ShellActionRunner& operator=(const ShellActionRunner&) = delete;
  // Runs what is queued, then joins.
  ~ShellActionRunner();

  void enqueue(std::string command);

 private:
  void run();

  std::shared_ptr<spdlog::logger> log_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> commands_;
  bool closing_ = false;
  std::thread worker_;
};

}  // namespace nmz::core
