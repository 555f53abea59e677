// SPDX-License-Identifier: Apache-2.0
#include <poll.h>

#include <thread>

#include <doctest/doctest.h>

#include <nmz/sdk/stop_signal.hpp>

TEST_CASE("a stop signal wakes a poll() on another thread and stays raised") {
  nmz::sdk::StopSignal stop;
  REQUIRE(stop.ok());
  CHECK_FALSE(stop.raised());
  std::thread raiser([&] { stop.raise(); });
  pollfd watched{stop.fd(), POLLIN, 0};
  CHECK(::poll(&watched, 1, 10000) == 1);
  raiser.join();
  CHECK(stop.raised());
  stop.raise();  // again: request_stop may come more than once
  CHECK(stop.raised());
  CHECK(::poll(&watched, 1, 0) == 1);
}
