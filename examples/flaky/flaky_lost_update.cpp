// SPDX-License-Identifier: Apache-2.0
// Lost update (read-modify-write without a lock): a depositor credits an
// account every few ms while another thread reads the balance, computes the
// interest and writes the new balance back. A deposit that lands between
// that read and write is lost. The deposits fall well clear of the window
// unless one thread runs ahead of the other. Fixed: both under one lock.
#include <atomic>
#include <mutex>
#include <thread>

#include "flaky.hpp"

namespace {

constexpr int kDeposits = 4;
constexpr long kDepositGap = 16000;      // units of flaky::burn
constexpr long kBeforeInterest = 5000;  // the window sits halfway between two deposits
constexpr long kComputeInterest = 6000;
constexpr long kAmount = 100;

std::atomic<long> balance{1000};
std::atomic<long> interest_paid{0};
[[maybe_unused]] std::mutex account_lock;

}  // namespace

int main() {
  std::thread depositor([] {
    for (int i = 0; i < kDeposits; ++i) {
      {
#ifdef FIXED
        std::lock_guard lock(account_lock);
#endif
        balance.store(balance.load() + kAmount);
      }
      flaky::burn(kDepositGap);
    }
  });
  std::thread interest([] {
    flaky::burn(kBeforeInterest);
#ifdef FIXED
    std::lock_guard lock(account_lock);
#endif
    long seen = balance.load();
    flaky::burn(kComputeInterest);
    interest_paid = seen / 10;
    balance.store(seen + seen / 10);
  });
  depositor.join();
  interest.join();
  long expected = 1000 + kDeposits * kAmount + interest_paid.load();
  if (balance.load() != expected) {
    flaky::fail("flaky-lost-update", "balance " + std::to_string(balance.load()) + ", expected " +
                                         std::to_string(expected) + ": a deposit was lost");
  }
  return 0;
}
