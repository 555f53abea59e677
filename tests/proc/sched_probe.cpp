// SPDX-License-Identifier: Apache-2.0
// The target of the proc inspector's tests: creates threads and processes
// at known moments and checks from the inside what scheduling they got.
//
//   sched_probe births N DELAY_MS POLICY NICE MAX_MS
//       after DELAY_MS, creates N threads one after the other, N at once,
//       and a child process with two threads; each checks that it gets
//       POLICY/NICE within MAX_MS. The creating thread resets itself to
//       SCHED_OTHER nice 0 before, so that inheritance cannot explain it.
//   sched_probe hold SECONDS N       N sleeping threads; prints "ready"
//   sched_probe orphan SECONDS       forks a grandchild with 2 threads that
//       outlives it, prints its pid, and exits 300 ms later
//   sched_probe spin MS              3 busy threads for MS milliseconds
//   sched_probe first POLICY NICE    exits 0 if main() already runs with them
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Policy and nice of the calling thread, read through glibc rather than the
// inspector's own syscall code, so that the test checks it independently.
struct ThreadSched {
  std::uint32_t sched_policy;
  std::int32_t sched_nice;
};

ThreadSched current() {
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  return {static_cast<std::uint32_t>(sched_getscheduler(0) & ~SCHED_RESET_ON_FORK), nice};
}

void reset_self() {
  sched_param none{};
  if (sched_setscheduler(0, SCHED_OTHER, &none) != 0 ||
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 0) != 0) {
    std::perror("resetting own thread to SCHED_OTHER nice 0");
    std::exit(2);
  }
}

struct Expectation {
  std::uint32_t policy;
  std::int32_t nice;
  long max_ms;
};

// Waits until this thread has the expected attributes; returns the delay in
// microseconds, or -1 after 5 s.
long wait_for(const Expectation& e) {
  auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(5)) {
    auto a = current();
    if (a.sched_policy == e.policy && a.sched_nice == e.nice) {
      return static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return -1;
}

std::atomic<long> worst_us{0};
std::atomic<int> failures{0};

void checked_thread(const Expectation& e, const char* what) {
  long us = wait_for(e);
  if (us < 0 || us > e.max_ms * 1000) {
    std::fprintf(stderr, "%s thread %ld: expected policy %u nice %d within %ld ms, %s %ld us\n", what,
                 static_cast<long>(gettid()), e.policy, e.nice, e.max_ms, us < 0 ? "never got it" : "took", us);
    ++failures;
  }
  long seen = worst_us.load();
  while (us > seen && !worst_us.compare_exchange_weak(seen, us)) {
  }
}

int births(int n, int delay_ms, const Expectation& e) {
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  // Each decision covers the whole tree, main included: main resets itself
  // again before each creation, once the previous decision has landed.
  for (int i = 0; i < n; ++i) {
    reset_self();
    std::thread(checked_thread, e, "sequential").join();
  }
  reset_self();
  std::vector<std::thread> burst;
  for (int i = 0; i < n; ++i) burst.emplace_back(checked_thread, e, "burst");
  for (auto& t : burst) t.join();
  pid_t child = fork();
  if (child == 0) {
    checked_thread(e, "child process main");
    reset_self();
    std::thread a(checked_thread, e, "child process"), b(checked_thread, e, "child process");
    a.join();
    b.join();
    std::_Exit(failures.load() == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  std::printf("slowest decision for a new thread: %ld us\n", worst_us.load());
  return failures.load() == 0 ? 0 : 1;
}

int hold(int seconds, int n) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([seconds] { std::this_thread::sleep_for(std::chrono::seconds(seconds)); });
  std::printf("ready\n");
  std::fflush(stdout);
  for (auto& t : threads) t.join();
  return 0;
}

int orphan(int seconds) {
  pid_t grandchild = fork();
  if (grandchild == 0) {
    setsid();
    // Do not hold the test's pipes open after the probe itself exited.
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    std::thread a([seconds] { std::this_thread::sleep_for(std::chrono::seconds(seconds)); });
    std::thread b([seconds] { std::this_thread::sleep_for(std::chrono::seconds(seconds)); });
    a.join();
    b.join();
    std::_Exit(0);
  }
  std::printf("%d\n", grandchild);
  std::fflush(stdout);
  // Long enough for the inspector to decide the grandchild's threads.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return 0;
}

int spin(int ms) {
  auto end = Clock::now() + std::chrono::milliseconds(ms);
  std::vector<std::thread> threads;
  std::atomic<std::uint64_t> sink{0};
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      std::uint64_t x = 0;
      while (Clock::now() < end) x += 1;
      sink += x;
    });
  }
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  auto num = [&](std::size_t i) { return i < a.size() ? std::atoi(a[i].c_str()) : 0; };
  if (a.size() == 6 && a[0] == "births") {
    return births(num(1), num(2),
                  {static_cast<std::uint32_t>(num(3)), static_cast<std::int32_t>(num(4)), static_cast<long>(num(5))});
  }
  if (a.size() == 3 && a[0] == "hold") return hold(num(1), num(2));
  if (a.size() == 2 && a[0] == "orphan") return orphan(num(1));
  if (a.size() == 2 && a[0] == "spin") return spin(num(1));
  if (a.size() == 3 && a[0] == "first") {
    auto now = current();
    if (now.sched_policy == static_cast<std::uint32_t>(num(1)) && now.sched_nice == num(2)) return 0;
    std::fprintf(stderr, "main() started with policy %u nice %d\n", now.sched_policy, now.sched_nice);
    return 1;
  }
  std::fprintf(stderr, "usage: sched_probe births N DELAY_MS POLICY NICE MAX_MS | hold S N | orphan S | spin MS | first P N\n");
  return 2;
}
