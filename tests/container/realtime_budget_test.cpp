// SPDX-License-Identifier: Apache-2.0
// RealtimeBudget on a cpu hierarchy laid out in a temp dir (the same files
// cgroup v1 has): several nmz runs share Podman's parent cgroup, each adds
// its share and takes back only that.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "container/realtime_budget.hpp"

namespace fs = std::filesystem;
using nmz::core::container::kContainerRealtimeRuntimeUs;
using nmz::core::container::RealtimeBudget;

namespace {

class FakeHierarchy {
 public:
  FakeHierarchy() {
    std::string pattern = (fs::temp_directory_path() / "nmz-rt-XXXXXX").string();
    root_ = ::mkdtemp(pattern.data());
    set("libpod_parent", "0");
  }
  FakeHierarchy(const FakeHierarchy&) = delete;
  FakeHierarchy& operator=(const FakeHierarchy&) = delete;
  ~FakeHierarchy() { fs::remove_all(root_); }

  void set(const std::string& cgroup, const std::string& value) {
    fs::create_directories(root_ / cgroup);
    std::ofstream(root_ / cgroup / "cpu.rt_runtime_us") << value << "\n";
  }
  long get(const std::string& cgroup) {
    std::string value;
    std::ifstream(root_ / cgroup / "cpu.rt_runtime_us") >> value;
    return std::stol(value);
  }
  [[nodiscard]] std::string mount() const { return root_.string(); }

 private:
  fs::path root_;
};

}  // namespace

TEST_CASE("two runs share the parent cgroup; each takes back only its own share") {
  FakeHierarchy cpu;
  cpu.set("libpod_parent/libpod-a", "0");
  cpu.set("libpod_parent/libpod-b", "0");
  auto first = std::make_unique<RealtimeBudget>();
  auto grant = first->grant_in(cpu.mount(), "/libpod_parent/libpod-a");
  CHECK(grant.needed);
  CHECK(grant.granted);
  CHECK(cpu.get("libpod_parent") == kContainerRealtimeRuntimeUs);
  CHECK(cpu.get("libpod_parent/libpod-a") == kContainerRealtimeRuntimeUs);

  RealtimeBudget second;
  CHECK(second.grant_in(cpu.mount(), "/libpod_parent/libpod-b").granted);
  CHECK(cpu.get("libpod_parent") == 2 * kContainerRealtimeRuntimeUs);

  // The first run ends while the second still runs: the parent keeps the
  // second's share (restoring it to its old 0 would fail the second's
  // SCHED_RR threads, or the write, with EBUSY on a real kernel).
  first.reset();
  CHECK(cpu.get("libpod_parent") == kContainerRealtimeRuntimeUs);
  CHECK(cpu.get("libpod_parent/libpod-a") == 0);
  CHECK(cpu.get("libpod_parent/libpod-b") == kContainerRealtimeRuntimeUs);
  second.restore();
  CHECK(cpu.get("libpod_parent") == 0);
}

TEST_CASE("a budget someone else gave the parent is left to them") {
  FakeHierarchy cpu;
  cpu.set("libpod_parent", "400000");
  cpu.set("libpod_parent/libpod-a", "0");
  {
    RealtimeBudget budget;
    CHECK(budget.grant_in(cpu.mount(), "/libpod_parent/libpod-a").granted);
    CHECK(cpu.get("libpod_parent") == 400000 + kContainerRealtimeRuntimeUs);
    cpu.set("libpod_parent", "900000");  // another user raised it meanwhile
  }
  CHECK(cpu.get("libpod_parent") == 900000 - kContainerRealtimeRuntimeUs);
}

TEST_CASE("a container that has a budget, or no realtime groups, is left alone") {
  FakeHierarchy cpu;
  cpu.set("libpod_parent/libpod-a", "100000");
  RealtimeBudget budget;
  auto grant = budget.grant_in(cpu.mount(), "/libpod_parent/libpod-a");
  CHECK_FALSE(grant.needed);
  CHECK(cpu.get("libpod_parent") == 0);
  CHECK_FALSE(budget.grant_in(cpu.mount(), "/libpod_parent/no-such-cgroup").needed);
}

TEST_CASE("concurrent runs never lose each other's share") {
  FakeHierarchy cpu;
  constexpr int kRuns = 8;
  for (int i = 0; i < kRuns; ++i) cpu.set("libpod_parent/c" + std::to_string(i), "0");
  std::vector<std::thread> runs;
  for (int i = 0; i < kRuns; ++i) {
    runs.emplace_back([&cpu, i] {
      for (int round = 0; round < 20; ++round) {
        RealtimeBudget budget;
        CHECK(budget.grant_in(cpu.mount(), "/libpod_parent/c" + std::to_string(i)).granted);
      }
    });
  }
  for (auto& run : runs) run.join();
  CHECK(cpu.get("libpod_parent") == 0);
}
