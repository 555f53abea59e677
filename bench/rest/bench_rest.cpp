// SPDX-License-Identifier: Apache-2.0
// Event round trips per second through REST API v3: an inspector's event
// POSTed by the remote transceiver, the dumb policy (the real .so, zero
// interval) answering, the action fetched by long-poll GET and DELETEd,
// then delivered to the inspector. Measured with one event in flight per
// entity (each waits for its action before the next: pure latency) and
// with 32 in flight (an inspector holding a burst of packets: throughput),
// for 1 and 16 entities, each with its own transceiver (two keep-alive
// connections). Baseline, measured in the same run: the same loop through
// the in-process local endpoint, so the ratio is the price of HTTP.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "log/logging.hpp"
#include "orchestrator/local_inspector_host.hpp"
#include "orchestrator/orchestrator_session.hpp"
#include "plugin/plugin_host.hpp"
#include "rest/rest_endpoint.hpp"
#include "rest/rest_inspector_host.hpp"

using Clock = std::chrono::steady_clock;
using namespace nmz;

namespace {

// Keeps `window` events in flight: submits, and waits for an action
// whenever that many are unanswered.
class PingPongInspector final : public sdk::Inspector {
 public:
  sdk::Status configure(const sdk::ComponentContext&, const sdk::InspectorSettings&) noexcept override { return {}; }
  Outcome run(sdk::InspectorHost&) noexcept override { return {}; }
  void request_stop() noexcept override {}
  void on_action(sdk::Action) noexcept override {
    {
      std::lock_guard lock(mutex_);
      ++answered_;
    }
    answered_cv_.notify_one();
  }
  void ping_pong(sdk::InspectorHost& host, long count, long window) {
    std::string entity(host.entity_id());
    for (long i = 0; i < count; ++i) {
      {
        std::unique_lock lock(mutex_);
        answered_cv_.wait(lock, [&] { return answered_ > i - window; });
      }
      (void)host.submit(sdk::make_event(entity, sdk::event_class::packet, true, "{}"));
    }
    std::unique_lock lock(mutex_);
    answered_cv_.wait(lock, [&] { return answered_ >= count; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable answered_cv_;
  long answered_ = 0;
};

enum class Endpoint { local, rest };

double round_trips_per_second(const core::PluginHost& plugins, Endpoint kind, int entities, long per_entity,
                              long window) {
  auto config = core::parse_config("explorePolicy = \"dumb\"\nseed = 1\n", "<bench>").value();
  auto session = core::start_orchestrator(plugins, config, false);
  if (!session) {
    std::fprintf(stderr, "%s\n", session.status().message().c_str());
    std::exit(1);
  }
  core::Orchestrator& orchestrator = *(*session)->orchestrator;
  std::unique_ptr<core::rest::RestEndpoint> endpoint;
  if (kind == Endpoint::rest) {
    auto started = core::rest::RestEndpoint::start(orchestrator, core::rest::RestEndpoint::Options{});
    if (!started) {
      std::fprintf(stderr, "%s\n", started.status().message().c_str());
      std::exit(1);
    }
    endpoint = std::move(started).value();
  }
  std::vector<std::unique_ptr<PingPongInspector>> inspectors;
  std::vector<std::unique_ptr<sdk::InspectorHost>> hosts;
  for (int i = 0; i < entities; ++i) {
    inspectors.push_back(std::make_unique<PingPongInspector>());
    std::string entity = "entity-" + std::to_string(i);
    if (kind == Endpoint::rest) {
      auto url = core::rest::parse_orchestrator_url("http://127.0.0.1:" + std::to_string(endpoint->port()) + "/api/v3");
      hosts.push_back(std::make_unique<core::rest::RestInspectorHost>(
          *inspectors.back(), core::rest::RestInspectorHost::Options{*url, entity, std::chrono::seconds(10)}));
    } else {
      hosts.push_back(std::make_unique<core::LocalInspectorHost>(orchestrator, *inspectors.back(), entity));
    }
  }
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < entities; ++i) threads.emplace_back([&, i] { inspectors[i]->ping_pong(*hosts[i], per_entity, window); });
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  hosts.clear();
  orchestrator.stop();
  endpoint.reset();
  return static_cast<double>(entities) * static_cast<double>(per_entity) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  core::init_logging();
  spdlog::set_level(spdlog::level::warn);
  // --local-only: the baseline of bench/rest/run.sh's Namazu-wire table.
  const bool local_only = argc > 1 && std::string(argv[1]) == "--local-only";
  if (local_only) {
    --argc;
    ++argv;
  }
  long round_trips = argc > 1 ? std::stol(argv[1]) : 32000;
  core::PluginHost plugins;
  if (auto status = plugins.load_file(NMZ_DUMB_PLUGIN); !status) {
    std::fprintf(stderr, "%s\n", status.message().c_str());
    return 1;
  }
  if (local_only) {
    std::printf("local endpoint, 1 entity %.0f\n", round_trips_per_second(plugins, Endpoint::local, 1, round_trips, 1));
    std::printf("local endpoint, 16 entities %.0f\n",
                round_trips_per_second(plugins, Endpoint::local, 16, round_trips / 16, 1));
    return 0;
  }
  std::printf("%-56s %14s %8s\n", "method (dumb, zero delay)", "round trips/s", "ratio");
  double rest_sixteen_burst = 0;
  for (long window : {1L, 32L}) {
    const double local_one = round_trips_per_second(plugins, Endpoint::local, 1, round_trips, window);
    const double local_sixteen = round_trips_per_second(plugins, Endpoint::local, 16, round_trips / 16, window);
    const double rest_one = round_trips_per_second(plugins, Endpoint::rest, 1, round_trips / 4, window);
    const double rest_sixteen = round_trips_per_second(plugins, Endpoint::rest, 16, round_trips / 16, window);
    if (window > 1) rest_sixteen_burst = rest_sixteen;
    const std::string w = ", " + std::to_string(window) + " in flight per entity";
    std::printf("%-56s %14.0f %8.2f\n", ("baseline: local endpoint, 1 entity" + w).c_str(), local_one, 1.0);
    std::printf("%-56s %14.0f %8.3f\n", ("REST POST+GET+DELETE, 1 entity" + w).c_str(), rest_one, rest_one / local_one);
    std::printf("%-56s %14.0f %8.2f\n", ("baseline: local endpoint, 16 entities" + w).c_str(), local_sixteen, 1.0);
    std::printf("%-56s %14.0f %8.3f\n", ("REST POST+GET+DELETE, 16 entities" + w).c_str(), rest_sixteen,
                rest_sixteen / local_sixteen);
  }
  std::printf("\nbatched transceiver, 32 in flight, 16 entities: %s 10000 round trips/s\n",
              rest_sixteen_burst >= 10000 ? "at least" : "below");
  return 0;
}
