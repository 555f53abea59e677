// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "config/config.hpp"
#include "container/attached_inspectors.hpp"
#include "container/engine_client.hpp"
#include "container/realtime_budget.hpp"
#include "container/run_options.hpp"
#include "orchestrator/orchestrator_session.hpp"
#include "plugin/plugin_host.hpp"

namespace nmz::core::container {

// One `nmz container run`: volumes (through fs inspectors), the container,
// the proc, ethernet and java inspectors on it, the wait for its exit status, and
// the teardown of everything set up, whichever way it ends.
class ContainerRun {
 public:
  // Everything is borrowed and must outlive this.
  ContainerRun(EngineClient& engine, const RunOptions& options, const Config& config, const PluginHost& plugins)
      : engine_(engine), options_(options), config_(config), plugins_(plugins) {}
  ContainerRun(const ContainerRun&) = delete;
  ContainerRun& operator=(const ContainerRun&) = delete;
  ~ContainerRun() { tear_down(); }

  // Runs the container to its end and returns its exit status (128+N when
  // nmz stopped it with signal N). Errors are nmz's own (engine, image,
  // inspectors); everything is torn down before it returns.
  sdk::Result<int> execute();

  // SIGINT/SIGTERM/SIGHUP received by nmz (from the signal thread). Before
  // the container started: give up. After: forward the signal to it, and
  // kill it if it is still running after a grace period or at the second
  // signal.
  void on_signal(int signal_number);

 private:
  sdk::Result<int> run_to_exit();
  sdk::Status check_prerequisites();
  sdk::Result<std::vector<std::string>> prepare_volumes();
  sdk::Status wait_for_fuse_mount(const std::string& mount_point, const AttachedInspectors::Running& inspector);
  sdk::Status attach_post_start_inspectors(int pid);
  // The options of the container to create: with enableJavaInspector, the
  // agent in JAVA_TOOL_OPTIONS and its files added to `binds`.
  sdk::Result<RunOptions> with_java_agent(std::vector<std::string>& binds) const;
  sdk::Result<int> wait_for_exit();
  void tear_down();
  bool interrupted() const { return signals_.load() > 0; }
  void kill_after_grace();
  void pass_terminal_size();
  // SIGWINCH (blocked in every thread, see block_window_changes) becomes a
  // resize of the container's terminal until it exits.
  void follow_terminal_size();

  EngineClient& engine_;
  const RunOptions& options_;
  const Config& config_;
  const PluginHost& plugins_;

  std::unique_ptr<OrchestratorSession> session_;
  std::unique_ptr<AttachedInspectors> inspectors_;
  std::vector<std::string> temp_dirs_;
  RealtimeBudget realtime_budget_;
  bool torn_down_ = false;

  std::mutex mutex_;  // guards container_id_, exited_, and the grace wait
  std::condition_variable exited_changed_;
  std::string container_id_;
  bool started_ = false;
  bool exited_ = false;
  std::atomic<int> signals_{0};
  std::atomic<int> first_signal_{0};
  std::thread grace_killer_;
  std::thread resizer_;
};

// Blocks SIGWINCH in the calling thread and the threads it starts later,
// so that ContainerRun can wait for it; call before any thread starts.
void block_window_changes();

}  // namespace nmz::core::container
