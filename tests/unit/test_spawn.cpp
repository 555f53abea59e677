// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>

#include <doctest/doctest.h>

#include <nmz/sdk/spawn.hpp>

using nmz::sdk::spawn_process;
using nmz::sdk::wait_for_exit;

TEST_CASE("the command sees the extra environment, replacing nmz's own entries") {
  ::setenv("NMZ_SPAWN_TEST_KEEP", "kept", 1);
  ::setenv("NMZ_SPAWN_TEST_REPLACE", "old", 1);
  auto pid = spawn_process({"sh", "-c", R"(test "$NMZ_SPAWN_TEST_KEEP" = kept && test "$NMZ_SPAWN_TEST_REPLACE" = new)"},
                           {{"NMZ_SPAWN_TEST_REPLACE=new"}, {}});
  REQUIRE(pid.has_value());
  CHECK(wait_for_exit(*pid) == 0);
}

TEST_CASE("signals blocked in nmz are unblocked and at their defaults in the command") {
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &blocked, &previous);
  auto pid = spawn_process({"sh", "-c", "kill -TERM $$; sleep 5"});
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  REQUIRE(pid.has_value());
  CHECK(wait_for_exit(*pid) == 128 + SIGTERM);
}

TEST_CASE("inherited descriptors survive exec even when close-on-exec") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  std::string write_end = std::to_string(fds[1]);
  auto kept = spawn_process({"sh", "-c", "echo ok >&" + write_end}, {{}, {fds[1]}});
  auto closed = spawn_process({"sh", "-c", "echo no >&" + write_end + " 2>/dev/null"});
  REQUIRE(kept.has_value());
  REQUIRE(closed.has_value());
  CHECK(wait_for_exit(*kept) == 0);
  CHECK(wait_for_exit(*closed) != 0);
  ::close(fds[1]);
  char buffer[16] = {};
  CHECK(::read(fds[0], buffer, sizeof buffer) == 3);
  CHECK(std::string(buffer) == "ok\n");
  ::close(fds[0]);
}

TEST_CASE("a missing command is not_found and named") {
  auto pid = spawn_process({"/nonexistent/nmz-test-command"});
  CHECK(pid.status().code() == nmz::sdk::StatusCode::not_found);
  CHECK(pid.status().message() == "cannot run \"/nonexistent/nmz-test-command\": No such file or directory");
  CHECK(spawn_process({}).status().message() == "no command given");
}
