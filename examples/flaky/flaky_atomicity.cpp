// SPDX-License-Identifier: Apache-2.0
// Atomicity violation (check-then-act): two buyers each check that a seat
// is left, pay, then take it. The second buyer browses longer, so it checks
// after the first has taken the seat, unless the first is delayed inside
// its check..take window. Fixed: check and take under one lock.
#include <atomic>
#include <mutex>
#include <thread>

#include "flaky.hpp"

namespace {

constexpr long kFirstBrowse = 2000;  // units of flaky::burn
constexpr long kSecondBrowse = 16000;
constexpr long kPay = 5000;

std::atomic<int> seats{1};
std::atomic<int> sold{0};
[[maybe_unused]] std::mutex seat_lock;

void buy(long browse) {
  flaky::burn(browse);
#ifdef FIXED
  std::lock_guard lock(seat_lock);
#endif
  if (seats.load() > 0) {
    flaky::burn(kPay);
    seats.store(seats.load() - 1);
    ++sold;
  }
}

}  // namespace

int main() {
  std::thread first(buy, kFirstBrowse);
  std::thread second(buy, kSecondBrowse);
  first.join();
  second.join();
  if (sold.load() != 1) {
    flaky::fail("flaky-atomicity", "the last seat was sold " + std::to_string(sold.load()) + " times");
  }
  return 0;
}
