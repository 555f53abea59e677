// SPDX-License-Identifier: Apache-2.0
// call_plugin and the fatal-signal handler: which crashes return to the
// plugin call (and fail it), and which stay fatal (checked in a child
// process, which dies of them).
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "../plugins/deliberate_crashes.hpp"
#include "plugin/plugin_call.hpp"

using namespace nmz;

namespace {

using test::recurse_without_end;
using test::store_to_nowhere;

const core::PluginCallLabel crashing("policy", "crashing", "/test/crashing.so", "queue_event");
const core::PluginCallLabel outer("inspector", "outer", "/test/outer.so", "run");

struct ChildOutcome {
  int status = 0;
  std::string error_output;
};

// Runs `body` in a child process with the crash report installed; how it
// ended, and what it wrote to stderr.
template <class Body>
ChildOutcome in_child(Body body) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    core::install_plugin_crash_report();
    body();
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  ChildOutcome outcome;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) outcome.error_output.append(buffer, n);
  ::close(pipe_fds[0]);
  REQUIRE(::waitpid(pid, &outcome.status, 0) == pid);
  return outcome;
}

bool died_of(const ChildOutcome& outcome, int signal_number) {
  return WIFSIGNALED(outcome.status) && WTERMSIG(outcome.status) == signal_number;
}

sigset_t current_mask() {
  sigset_t mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return mask;
}

}  // namespace

TEST_CASE("a fatal signal that plugin code raises inside call_plugin fails the call, naming it, every time") {
  core::install_plugin_crash_report();
  const sigset_t mask_before = current_mask();
  for (int round = 0; round < 2; ++round) {
    auto segfault = core::call_plugin(crashing, [] { store_to_nowhere(); });
    REQUIRE(segfault);
    CHECK(segfault->crashed);
    CHECK(segfault->reason == "SIGSEGV in plugin policy \"crashing\" (/test/crashing.so), call queue_event");
    auto aborted = core::call_plugin(crashing, [] { std::abort(); });
    REQUIRE(aborted);
    CHECK(aborted->crashed);
    CHECK(aborted->reason == "SIGABRT in plugin policy \"crashing\" (/test/crashing.so), call queue_event");
  }
  // The handler runs on the thread's alternate stack.
  auto overflow = core::call_plugin(crashing, [] { recurse_without_end(0); });
  REQUIRE(overflow);
  CHECK(overflow->reason == "SIGSEGV in plugin policy \"crashing\" (/test/crashing.so), call queue_event");
  // So on another thread, whose first plugin call this is.
  std::thread([] {
    auto failure = core::call_plugin(crashing, [] { recurse_without_end(0); });
    CHECK((failure && failure->crashed));
  }).join();
  const sigset_t mask_after = current_mask();
  for (int signal_number : {SIGSEGV, SIGABRT, SIGINT, SIGTERM}) {
    CHECK(sigismember(&mask_after, signal_number) == sigismember(&mask_before, signal_number));
  }
  CHECK_FALSE(core::call_plugin(crashing, [] {}));
  auto thrown = core::call_plugin(crashing, [] { throw std::runtime_error("bad index"); });
  REQUIRE(thrown);
  CHECK_FALSE(thrown->crashed);
  CHECK(thrown->reason == "exception in plugin policy \"crashing\" (/test/crashing.so), call queue_event: bad index");
}

TEST_CASE("a crash returns to the innermost plugin call, past host code that is not abandoned") {
  core::install_plugin_crash_report();
  bool host_went_on = false;
  auto failure = core::call_plugin(outer, [&] {
    core::HostCallbackScope host_code;
    auto inner = core::call_plugin(crashing, [] { store_to_nowhere(); });
    CHECK((inner && inner->reason == "SIGSEGV in plugin policy \"crashing\" (/test/crashing.so), call queue_event"));
    host_went_on = true;
  });
  CHECK_FALSE(failure);
  CHECK(host_went_on);
}

TEST_CASE("a fatal signal in host code a plugin calls back stays fatal and is reported") {
  auto outcome = in_child([] {
    (void)core::call_plugin(crashing, [] {
      core::HostCallbackScope host_code;
      store_to_nowhere();
    });
  });
  CHECK(died_of(outcome, SIGSEGV));
  CHECK(outcome.error_output ==
        "nmz: fatal: SIGSEGV in nmz, called back by plugin policy \"crashing\" (/test/crashing.so), call "
        "queue_event\n");
}

TEST_CASE("a fatal signal outside any plugin call, or on a thread a plugin started, stays fatal") {
  for (bool on_plugin_thread : {false, true}) {
    auto outcome = in_child([on_plugin_thread] {
      if (on_plugin_thread) {
        (void)core::call_plugin(crashing, [] { std::thread(store_to_nowhere).join(); });
      } else {
        store_to_nowhere();
      }
    });
    CHECK(died_of(outcome, SIGSEGV));
    CHECK(outcome.error_output ==
          "nmz: fatal: SIGSEGV outside any call into a plugin (in nmz, or on a thread a plugin started)\n");
  }
}

TEST_CASE("a fatal signal sent from outside, or std::terminate, in a plugin call stays fatal") {
  auto killed = in_child([] { (void)core::call_plugin(crashing, [] { ::kill(::getpid(), SIGSEGV); }); });
  CHECK(died_of(killed, SIGSEGV));
  CHECK(killed.error_output == "nmz: fatal: SIGSEGV in plugin policy \"crashing\" (/test/crashing.so), call queue_event\n");
  auto terminated = in_child([] { (void)core::call_plugin(crashing, [] { std::terminate(); }); });
  CHECK(died_of(terminated, SIGABRT));
  CHECK(terminated.error_output ==
        "nmz: fatal: SIGABRT in plugin policy \"crashing\" (/test/crashing.so), call queue_event: uncaught exception: "
        "std::terminate without an exception\n");
}
