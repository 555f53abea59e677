// SPDX-License-Identifier: Apache-2.0
#include "util/signal_watcher.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace nmz::core {
namespace {
sigset_t watched_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

SignalWatcher::SignalWatcher(std::function<void(int)> on_signal)
    : on_signal_(std::move(on_signal)), wake_fd_(eventfd(0, EFD_CLOEXEC)) {
  sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    // A signalfd and an eventfd in one poll: the destructor ends the thread
    // at once, without a signal to the whole process and without a polling
    // tick, whose up to 100 ms every short `nmz inspectors` run used to wait
    // out at exit.
    int signals = signalfd(-1, &set, SFD_CLOEXEC);
    while (signals >= 0 && wake_fd_ >= 0) {
      pollfd fds[2] = {{signals, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if ((fds[1].revents & POLLIN) != 0) break;
      signalfd_siginfo info{};
      if ((fds[0].revents & POLLIN) != 0 && read(signals, &info, sizeof info) == sizeof info) {
        ++received_;
        on_signal_(static_cast<int>(info.ssi_signo));
      }
    }
    if (signals >= 0) close(signals);
  });
}

SignalWatcher::~SignalWatcher() {
  std::uint64_t one = 1;
  if (wake_fd_ >= 0 && write(wake_fd_, &one, sizeof one) < 0) {
    // Cannot fail on a fresh eventfd; the join below would then wait for a signal.
  }
  thread_.join();
  if (wake_fd_ >= 0) close(wake_fd_);
}

}  // namespace nmz::core
