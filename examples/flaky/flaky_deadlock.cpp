// SPDX-License-Identifier: Apache-2.0
// Deadlock (lock-order inversion): a transfer takes the accounts lock, then
// the audit lock; the auditor, which starts later, takes them the other way
// round. They only meet if the auditor arrives while the transfer holds the
// first lock but not yet the second. The auditor sees it when it cannot get
// the accounts lock while holding the audit lock (only the transfer takes
// it, and will wait for the audit lock): the deadlock is then certain and
// reported at once; a watchdog is only a backstop. Fixed: the auditor takes
// the locks in the same order.
#include <mutex>
#include <thread>

#include "flaky.hpp"

namespace {

constexpr long kTransferStart = 1000;  // units of flaky::burn
constexpr long kTransferHold = 4000;
constexpr long kAuditStart = 10000;

std::mutex accounts;
std::mutex audit_log;

}  // namespace

int main() {
  flaky::Watchdog watchdog("flaky-deadlock",
                           "deadlock: the transfer holds the accounts lock and waits for the audit lock, the "
                           "auditor holds the audit lock and waits for the accounts lock",
                           std::chrono::seconds(20));
  std::thread transfer([] {
    flaky::burn(kTransferStart);
    std::lock_guard first(accounts);
    flaky::burn(kTransferHold);
    std::lock_guard second(audit_log);
  });
  std::thread auditor([] {
    flaky::burn(kAuditStart);
#ifdef FIXED
    std::lock_guard first(accounts);
    std::lock_guard second(audit_log);
#else
    std::lock_guard first(audit_log);
    flaky::burn(50);
    if (!accounts.try_lock()) {
      flaky::fail("flaky-deadlock", "deadlock: the transfer holds the accounts lock and waits for the audit lock, "
                                    "the auditor holds the audit lock and waits for the accounts lock");
    }
    std::lock_guard second(accounts, std::adopt_lock);
#endif
  });
  transfer.join();
  auditor.join();
  watchdog.done();
  return 0;
}
