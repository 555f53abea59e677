// SPDX-License-Identifier: Apache-2.0
// Use-after-free in a short-lived thread: each request gets a handler
// thread and a session from a pool; main assumes the handler is done after
// a while and recycles the session (bumps its generation, poisons its
// canary) before joining the handler. A handler held back long enough then
// touches a recycled session, which the generation/canary check catches
// (the pool never really frees memory: no crash, no undefined behaviour).
// Fixed: join the handler before recycling.
#include <atomic>
#include <cstdint>
#include <thread>

#include "flaky.hpp"

namespace {

constexpr int kRequests = 5;
constexpr long kHandlerWork = 1500;  // units of flaky::burn
constexpr long kMainPatience = 7000;
constexpr std::uint32_t kLive = 0x11feu;
constexpr std::uint32_t kFreed = 0xdeadu;

struct Session {
  std::atomic<std::uint64_t> generation{0};
  std::atomic<std::uint32_t> canary{kFreed};
};

Session pool[1];

void handle(Session& session, std::uint64_t generation) {
  flaky::burn(kHandlerWork);
  if (session.canary.load() != kLive || session.generation.load() != generation) {
    flaky::fail("flaky-uaf", "a request handler used its session after main had recycled it");
  }
}

}  // namespace

int main() {
  for (int request = 0; request < kRequests; ++request) {
    Session& session = pool[0];
    std::uint64_t generation = session.generation.load();
    session.canary = kLive;
    std::thread handler(handle, std::ref(session), generation);
    flaky::burn(kMainPatience);
#ifdef FIXED
    handler.join();
#endif
    session.canary = kFreed;
    ++session.generation;
#ifndef FIXED
    handler.join();
#endif
  }
  return 0;
}
