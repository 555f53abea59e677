// SPDX-License-Identifier: Apache-2.0
// Events per second through the local endpoint: inspector submit -> dumb
// policy (zero interval, the real .so) -> orchestrator -> the inspector's
// on_action, for 1 and 16 entities, each entity with its own submitting
// thread and a bounded number of events in flight (as an inspector holding
// packets would). The baseline, measured in the same run, is the cheapest
// possible version of the same hop: a producer handing items to a consumer
// thread through a mutex-protected queue.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "log/logging.hpp"
#include "orchestrator/local_inspector_host.hpp"
#include "orchestrator/orchestrator_session.hpp"
#include "plugin/plugin_host.hpp"

using Clock = std::chrono::steady_clock;
using namespace nmz;

namespace {

constexpr int kInFlight = 1024;

// Counts answers and lets its submitting thread keep kInFlight outstanding.
class CountingInspector final : public sdk::Inspector {
 public:
  sdk::Status configure(const sdk::ComponentContext&, const sdk::InspectorSettings&) noexcept override { return {}; }
  Outcome run(sdk::InspectorHost&) noexcept override { return {}; }
  void request_stop() noexcept override {}
  void on_action(sdk::Action) noexcept override {
    answered.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex);
    window.notify_one();
  }
  void submit_all(sdk::InspectorHost& host, long count) {
    std::string entity(host.entity_id());
    for (long sent = 0; sent < count; ++sent) {
      if (sent - answered.load(std::memory_order_relaxed) >= kInFlight) {
        std::unique_lock lock(mutex);
        window.wait(lock, [&] { return sent - answered.load(std::memory_order_relaxed) < kInFlight; });
      }
      (void)host.submit(sdk::make_event(entity, sdk::event_class::packet, true, "{}"));
    }
    std::unique_lock lock(mutex);
    window.wait(lock, [&] { return answered.load() >= count; });
  }
  std::atomic<long> answered{0};
  std::mutex mutex;
  std::condition_variable window;
};

double orchestrator_rate(const core::PluginHost& plugins, int entities, long events_per_entity) {
  auto config = core::parse_config("explorePolicy = \"dumb\"\nseed = 1\n", "<bench>").value();
  auto session = core::start_orchestrator(plugins, config, false);
  if (!session) {
    std::fprintf(stderr, "%s\n", session.status().message().c_str());
    std::exit(1);
  }
  std::vector<std::unique_ptr<CountingInspector>> inspectors;
  std::vector<std::unique_ptr<core::LocalInspectorHost>> hosts;
  for (int i = 0; i < entities; ++i) {
    inspectors.push_back(std::make_unique<CountingInspector>());
    hosts.push_back(std::make_unique<core::LocalInspectorHost>(*(*session)->orchestrator, *inspectors.back(),
                                                               "entity-" + std::to_string(i)));
  }
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < entities; ++i) {
    threads.emplace_back([&, i] { inspectors[i]->submit_all(*hosts[i], events_per_entity); });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*session)->orchestrator->stop();
  return static_cast<double>(entities) * static_cast<double>(events_per_entity) / seconds;
}

double baseline_rate(long items) {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::string> queue;
  bool done = false;
  long consumed = 0;
  auto start = Clock::now();
  std::thread consumer([&] {
    std::deque<std::string> batch;
    std::unique_lock lock(mutex);
    while (!done || !queue.empty()) {
      ready.wait(lock, [&] { return done || !queue.empty(); });
      batch.swap(queue);
      lock.unlock();
      consumed += static_cast<long>(batch.size());
      batch.clear();
      lock.lock();
    }
  });
  for (long i = 0; i < items; ++i) {
    std::string item = sdk::new_uuid();
    std::lock_guard lock(mutex);
    queue.push_back(std::move(item));
    ready.notify_one();
  }
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  ready.notify_one();
  consumer.join();
  return static_cast<double>(consumed) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  core::init_logging();
  spdlog::set_level(spdlog::level::warn);
  long events = argc > 1 ? std::stol(argv[1]) : 400000;
  core::PluginHost plugins;
  if (auto status = plugins.load_file(NMZ_DUMB_PLUGIN); !status) {
    std::fprintf(stderr, "%s\n", status.message().c_str());
    return 1;
  }
  double baseline = baseline_rate(events);
  double one = orchestrator_rate(plugins, 1, events);
  double sixteen = orchestrator_rate(plugins, 16, events / 16);
  std::printf("%-44s %14s %10s\n", "method", "events/s", "ratio");
  std::printf("%-44s %14.0f %10.2f\n", "baseline: bare thread handoff (uuid + queue)", baseline, 1.0);
  std::printf("%-44s %14.0f %10.2f\n", "nmz local endpoint, dumb, 1 entity", one, one / baseline);
  std::printf("%-44s %14.0f %10.2f\n", "nmz local endpoint, dumb, 16 entities", sixteen, sixteen / baseline);
  std::printf("\n16 entities / 1 entity, per event: %.2f (>= 1 means no slower)\n", sixteen / one);
  std::printf("target: >= 200000 events/s -> 1 entity %s, 16 entities %s\n", one >= 200000 ? "met" : "NOT met",
              sixteen >= 200000 ? "met" : "NOT met");
  return 0;
}
