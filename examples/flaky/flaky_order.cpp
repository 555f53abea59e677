// SPDX-License-Identifier: Apache-2.0
// Ordering bug, very short-running (a few ms): main starts the worker and
// only then publishes the configuration the worker reads. The worker has
// more to do first, so it nearly always reads after the publication, unless
// main is held back for several milliseconds right after creating it.
// Fixed: publish before starting the worker.
#include <atomic>
#include <thread>

#include "flaky.hpp"

namespace {

struct Config {
  int retries = 3;
};

constexpr long kWorkerSetup = 12000;  // units of flaky::burn
constexpr long kMainInit = 5000;

std::atomic<const Config*> published{nullptr};

}  // namespace

int main() {
  static const Config config;
#ifdef FIXED
  published.store(&config, std::memory_order_release);
#endif
  std::thread worker([] {
    flaky::burn(kWorkerSetup);
    if (published.load(std::memory_order_acquire) == nullptr) {
      flaky::fail("flaky-order", "the worker read the configuration before main published it");
    }
  });
  flaky::burn(kMainInit);
#ifndef FIXED
  published.store(&config, std::memory_order_release);
#endif
  worker.join();
  return 0;
}
