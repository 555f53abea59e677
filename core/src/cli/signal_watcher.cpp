// SPDX-License-Identifier: Apache-2.0
#include "cli/signal_watcher.hpp"

#include <pthread.h>
#include <signal.h>

#include <ctime>

namespace nmz::core::cli {
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

SignalWatcher::SignalWatcher(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
  sigset_t set = watched_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    // sigtimedwait rather than sigwait so that the destructor can end the
    // thread without sending a signal to the whole process.
    timespec tick{0, 100'000'000};
    while (!closing_) {
      int signal_number = sigtimedwait(&set, nullptr, &tick);
      if (signal_number > 0) {
        ++received_;
        on_signal_(signal_number);
      }
    }
  });
}

SignalWatcher::~SignalWatcher() {
  closing_ = true;
  thread_.join();
}

}  // namespace nmz::core::cli
