// SPDX-License-Identifier: Apache-2.0
// A lock that guards the wrong variable: deposits update the balance under
// the balance lock, but withdrawals take the log's lock, so a deposit and a
// withdrawal can interleave inside their read-modify-write of the balance
// and one update is lost. Both critical sections are free of other calls:
// only memory accesses as scheduling points (`-tsan`) can split them.
// `--fixed`: withdrawals take the balance lock too. Exit status 1 when the
// final balance is wrong.
#include <pthread.h>

#include <cstdio>

#include "bundled_program.hpp"

namespace {

pthread_mutex_t g_balance_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
bool g_fixed = false;
int g_balance = 100;
int g_log_entries = 0;

void* deposit(void*) {
  pthread_mutex_lock(&g_balance_lock);
  g_balance = g_balance + 10;
  pthread_mutex_unlock(&g_balance_lock);
  return nullptr;
}

void* withdraw(void*) {
  pthread_mutex_t* lock = g_fixed ? &g_balance_lock : &g_log_lock;
  pthread_mutex_lock(lock);
  g_balance = g_balance - 10;
  g_log_entries = g_log_entries + 1;
  pthread_mutex_unlock(lock);
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  g_fixed = fixed_twin(argc, argv);
  pthread_t threads[2];
  pthread_create(&threads[0], nullptr, deposit, nullptr);
  pthread_create(&threads[1], nullptr, withdraw, nullptr);
  for (pthread_t& t : threads) pthread_join(t, nullptr);
  if (g_balance != 100) {
    std::fprintf(stderr, "lost update: balance is %d, expected 100\n", g_balance);
    return 1;
  }
  return 0;
}
