// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include <nmz/sdk/child_process.hpp>

using nmz::sdk::ChildOptions;
using nmz::sdk::ChildProcess;

namespace {

const std::string kHelper = CHILD_PROCESS_HELPER;

// Waits until `predicate` holds, up to 10 s.
template <class Predicate>
bool eventually(Predicate predicate) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool process_gone(pid_t pid) {
  std::FILE* stat = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (stat == nullptr) return true;
  int ignored = 0;
  char state = '?';
  int fields = std::fscanf(stat, "%d %*s %c", &ignored, &state);
  std::fclose(stat);
  return fields == 2 && state == 'Z';
}

// No process of `group` is left but zombies (whoever reaps orphans may be slow).
bool group_gone(pid_t group) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::FILE* stat = std::fopen((entry.path() / "stat").c_str(), "r");
    if (stat == nullptr) continue;
    char state = '?';
    int parent = 0;
    int process_group = 0;
    int fields = std::fscanf(stat, "%*d %*s %c %d %d", &state, &parent, &process_group);
    std::fclose(stat);
    if (fields == 3 && process_group == group && state != 'Z') return false;
  }
  return true;
}

struct Helper {
  ChildProcess process;
  pid_t reported = -1;  // what the helper printed
};

// Starts the helper with its stdout captured; reads its first line.
Helper start_helper(const std::vector<std::string>& args) {
  int fds[2];
  REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
  ChildOptions options;
  options.on_parent_death = nmz::sdk::OnParentDeath::kill;
  options.inherit_fds = {fds[1]};
  std::vector<std::string> argv{"sh", "-c", "exec \"$@\" >&" + std::to_string(fds[1]), "sh", kHelper};
  argv.insert(argv.end(), args.begin(), args.end());
  auto started = ChildProcess::start(argv, options);
  close(fds[1]);
  REQUIRE(started.has_value());
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  close(fds[0]);
  Helper helper{std::move(started).value()};
  helper.reported = line == "recorded" ? 0 : std::atoi(line.c_str());
  return helper;
}

}  // namespace

TEST_CASE("a descriptor nmz holds without close-on-exec does not reach the child") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);  // deliberately inheritable, like libfuse's auto_unmount socket
  auto child = ChildProcess::start({"sh", "-c", "echo leaked >&" + std::to_string(fds[1]) + " 2>/dev/null"});
  REQUIRE(child.has_value());
  CHECK(child->wait().status != 0);
  close(fds[0]);
  close(fds[1]);
}

TEST_CASE("input goes to stdin and stdout+stderr are captured") {
  ChildOptions options;
  options.input = "hello\n";
  options.capture_output = true;
  auto child = ChildProcess::start({"sh", "-c", "read line; echo \"got $line\"; echo err >&2; exit 3"}, options);
  REQUIRE(child.has_value());
  auto [exit, output] = child->wait_with_output();
  CHECK(exit.status == 3);
  CHECK(output == "got hello\nerr\n");
}

TEST_CASE("a missing command is not_found, named") {
  auto child = ChildProcess::start({"/nonexistent/nmz-child"});
  REQUIRE(!child.has_value());
  CHECK(child.status().code() == nmz::sdk::StatusCode::not_found);
  CHECK(child.status().message().find("/nonexistent/nmz-child") != std::string::npos);
}

TEST_CASE("a held child does not run before release") {
  auto marker = std::filesystem::temp_directory_path() / ("nmz-held-" + std::to_string(getpid()));
  ChildOptions options;
  options.hold_before_exec = true;
  auto child = ChildProcess::start({"touch", marker.string()}, options);
  REQUIRE(child.has_value());
  pollfd exited{child->pidfd(), POLLIN, 0};
  CHECK(poll(&exited, 1, 200) == 0);  // still held: it cannot have exited
  CHECK(!std::filesystem::exists(marker));
  child->release();
  CHECK(child->wait().status == 0);
  CHECK(std::filesystem::remove(marker));
}

TEST_CASE("wait_for gives up at the timeout; terminate ends it") {
  auto child = ChildProcess::start({"sleep", "100"});
  REQUIRE(child.has_value());
  CHECK(!child->wait_for(std::chrono::milliseconds(50)).has_value());
  CHECK(child->terminate(std::chrono::milliseconds(2000)).status == 128 + SIGTERM);
}

TEST_CASE("the child dies with the process that started it (kill), or outlives it (keep)") {
  auto marker = std::filesystem::temp_directory_path() / ("nmz-death-" + std::to_string(getpid()));
  for (const char* mode : {"kill", "keep"}) {
    CAPTURE(mode);
    auto helper = start_helper({mode, marker.string(), "--", "sleep", "100"});
    REQUIRE(helper.reported > 0);
    helper.process.signal(SIGKILL);
    helper.process.wait();
    if (std::string(mode) == "kill") {
      CHECK(eventually([&] { return process_gone(helper.reported); }));
    } else {
      CHECK(!process_gone(helper.reported));
      kill(helper.reported, SIGKILL);
    }
  }
}

TEST_CASE("kill_group: the whole group dies with nmz, then the after-death command runs") {
  auto marker = std::filesystem::temp_directory_path() / ("nmz-group-" + std::to_string(getpid()));
  std::filesystem::remove(marker);
  auto helper = start_helper({"group", marker.string(), "--", "sh", "-c", "sleep 100 & sleep 100 & wait"});
  REQUIRE(helper.reported > 0);
  const pid_t group = helper.reported;
  REQUIRE(eventually([&] { return kill(-group, 0) == 0; }));
  helper.process.signal(SIGKILL);
  helper.process.wait();
  CHECK(eventually([&] { return group_gone(group); }));
  CHECK(eventually([&] { return std::filesystem::exists(marker); }));
  std::filesystem::remove(marker);
}

TEST_CASE("kill_group: a normal exit passes the command's status through the supervisor") {
  ChildOptions options;
  options.on_parent_death = nmz::sdk::OnParentDeath::kill_group;
  auto child = ChildProcess::start({"sh", "-c", "exit 5"}, options);
  REQUIRE(child.has_value());
  CHECK(child->wait().status == 5);
  auto missing = ChildProcess::start({"/nonexistent/nmz-child"}, options);
  CHECK(missing.status().code() == nmz::sdk::StatusCode::not_found);
}
