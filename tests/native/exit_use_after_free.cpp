// SPDX-License-Identifier: Apache-2.0
// A use after free at exit: main starts a journal writer and returns
// without joining it. exit() runs the static destructors, which free the
// journal's buffer, while the writer may still be appending to it: the
// writer then writes through a null pointer and the process dies of
// SIGSEGV. Whether it does depends on where the writer is when main
// returns. `--fixed`: main joins the writer before returning.
#include <pthread.h>

#include "bundled_program.hpp"

namespace {

constexpr int kSlots = 8;
constexpr int kEntries = 4;
pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
int* g_slots = new int[kSlots];

// Frees the journal at exit, after main returned.
struct JournalCleanup {
  ~JournalCleanup() {
    delete[] g_slots;
    g_slots = nullptr;
  }
} g_cleanup;

void* writer(void*) {
  for (int i = 0; i < kEntries; ++i) {
    pthread_mutex_lock(&g_lock);
    g_slots[i % kSlots] = i;
    pthread_mutex_unlock(&g_lock);
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  bool fixed = fixed_twin(argc, argv);
  pthread_t thread;
  pthread_create(&thread, nullptr, writer, nullptr);
  pthread_mutex_lock(&g_lock);
  g_slots[kSlots - 1] = -1;
  pthread_mutex_unlock(&g_lock);
  if (fixed) pthread_join(thread, nullptr);
  return 0;
}
