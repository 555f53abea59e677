// SPDX-License-Identifier: Apache-2.0
// libfuse's one process-wide log function, shared by several fs inspectors
// in one process (container mode): each gets the messages of its own
// thread, and none is used after it unregistered.
#include <fuse3/fuse_log.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "fuse_log_routing.hpp"

namespace {

class RecordingLogger final : public nmz::sdk::Logger {
 public:
  void write(nmz::sdk::LogLevel, std::string_view message) noexcept override {
    std::lock_guard lock(mutex_);
    messages_.emplace_back(message);
  }
  [[nodiscard]] bool enabled(nmz::sdk::LogLevel) const noexcept override { return true; }
  std::vector<std::string> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> messages_;
};

}  // namespace

TEST_CASE("each inspector's thread gets its own libfuse messages") {
  RecordingLogger first_logger, second_logger;
  std::thread first([&] {
    nmz::plugins::fs::FuseLogRouting routing(first_logger);
    std::thread second([&] {
      nmz::plugins::fs::FuseLogRouting routing(second_logger);
      fuse_log(FUSE_LOG_ERR, "second: mount failed\n");
    });
    second.join();
    fuse_log(FUSE_LOG_ERR, "first: mount failed\n");
  });
  first.join();
  CHECK(first_logger.messages() == std::vector<std::string>{"first: mount failed"});
  CHECK(second_logger.messages() == std::vector<std::string>{"second: mount failed"});
}

TEST_CASE("messages from other threads go to the latest inspector, none after the last one left") {
  RecordingLogger logger;
  {
    nmz::plugins::fs::FuseLogRouting routing(logger);
    std::thread([] { fuse_log(FUSE_LOG_INFO, "from a worker\n"); }).join();
  }
  std::thread([] { fuse_log(FUSE_LOG_DEBUG, "after the inspector\n"); }).join();
  CHECK(logger.messages() == std::vector<std::string>{"from a worker"});
}

TEST_CASE("inspectors starting and stopping while libfuse logs") {
  RecordingLogger steady, coming_and_going;
  constexpr int kTicks = 2000;
  {
    nmz::plugins::fs::FuseLogRouting always_there(steady);
    std::thread noisy([] {
      for (int i = 0; i < kTicks; ++i) fuse_log(FUSE_LOG_DEBUG, "tick\n");
    });
    for (int i = 0; i < 200; ++i) {
      std::vector<std::thread> inspectors;
      for (int j = 0; j < 4; ++j) {
        inspectors.emplace_back([&] { nmz::plugins::fs::FuseLogRouting routing(coming_and_going); });
      }
      for (auto& t : inspectors) t.join();
    }
    noisy.join();
  }
  // Every message reached exactly one registered logger.
  CHECK(steady.messages().size() + coming_and_going.messages().size() == kTicks);
}
