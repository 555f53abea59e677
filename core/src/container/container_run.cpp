// SPDX-License-Identifier: Apache-2.0
#include "container/container_run.hpp"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <fstream>

#include <nmz/sdk/duration.hpp>

#include "container/attach_stream.hpp"
#include "container/java_agent.hpp"
#include "container/raw_terminal.hpp"
#include "log/logging.hpp"

namespace nmz::core::container {
namespace {

using sdk::Status;

constexpr auto kMountTimeout = std::chrono::seconds(10);
// How long a container has to end after nmz forwarded SIGINT/SIGTERM to it:
// a PID 1 without a handler ignores them.
constexpr auto kGracePeriod = std::chrono::seconds(3);
constexpr auto kStartedTimeout = std::chrono::seconds(10);
// The engine closes the attached output once the container exited; this
// bounds the wait for that last output should it not.
constexpr auto kOutputDrainTimeout = std::chrono::seconds(5);

const char* signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT: return "SIGINT";
    case SIGHUP: return "SIGHUP";
    default: return "SIGTERM";
  }
}

bool is_mount_point(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    if (mount_point == path) return true;
  }
  return false;
}

sdk::Result<std::string> make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/nmz-container-fs-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Status::error(sdk::StatusCode::unavailable,
                         "cannot create a mount point for a volume (" + pattern + "): " + std::strerror(errno));
  }
  return pattern;
}

// The "State" object of an inspect answer; an empty object if the engine
// sent none, so that lookups give their defaults.
nlohmann::json state_of(const nlohmann::json& inspected) {
  auto it = inspected.find("State");
  return it != inspected.end() && it->is_object() ? *it : nlohmann::json::object();
}

// Whether the process `pid` has ended: gone, a zombie its parent (the
// engine's monitor) has not reaped yet, or on its way there. An exiting
// task drops its namespaces before it turns zombie, so for a moment its
// /proc/PID/ns/net is gone while /proc/PID/stat still says running.
bool process_ended(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat(dir + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  const std::size_t after_name = line.rfind(')');
  if (after_name == std::string::npos || line.size() < after_name + 3 || line[after_name + 2] == 'Z' ||
      line[after_name + 2] == 'X') {
    return true;
  }
  // The link itself stays; reading it fails once the namespace is dropped.
  char target[64];
  return ::readlink((dir + "/ns/net").c_str(), target, sizeof target) < 0 && errno == ENOENT;
}

std::string bind_of(const std::string& source, const VolumeSpec& volume) {
  return source + ":" + volume.destination + (volume.read_only ? ":ro" : "");
}

}  // namespace

void block_window_changes() {
  sigset_t winch;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  pthread_sigmask(SIG_BLOCK, &winch, nullptr);
}

Status ContainerRun::check_prerequisites() {
  // The container's terminal would wait for input a pipe cannot give it (a
  // terminal sends no end of file): refused, as docker does.
  if (options_.tty && options_.interactive && !options_.detach && ::isatty(STDIN_FILENO) == 0) {
    return Status::invalid("-it: the input is not a terminal; use -i without -t to pipe input into the container");
  }
  const ContainerConfig& wanted = config_.container;
  if (wanted.enable_ethernet_inspector) {
    if (wanted.ethernet_nfq_number < 0 || wanted.ethernet_nfq_number > 65535) {
      return Status::invalid(config_.source + ": [container] ethernetNFQNumber: expected a queue number 0-65535, got " +
                             std::to_string(wanted.ethernet_nfq_number));
    }
    if (options_.network == "host") {
      return Status::invalid("[container] enableEthernetInspector with --net host would queue every packet this host "
                             "sends; use another network mode or set enableEthernetInspector = false");
    }
  }
  if (wanted.enable_proc_inspector && wanted.proc_watch_interval <= std::chrono::nanoseconds::zero()) {
    return Status::invalid(config_.source + ": [container] procWatchInterval: expected a positive duration");
  }
  return Status::ok();
}

Status ContainerRun::wait_for_fuse_mount(const std::string& mount_point, const AttachedInspectors::Running& inspector) {
  const auto deadline = std::chrono::steady_clock::now() + kMountTimeout;
  while (!is_mount_point(mount_point)) {
    if (inspector.finished()) {
      return Status::error(sdk::StatusCode::unavailable,
                           "the fs inspector for " + mount_point + " ended before mounting: " +
                               (inspector.outcome().status ? std::string("no error given")
                                                           : inspector.outcome().status.message()));
    }
    if (interrupted()) return Status::error(sdk::StatusCode::unavailable, "interrupted");
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::error(sdk::StatusCode::unavailable, "the fs inspector did not mount " + mount_point + " within " +
                                                             sdk::format_duration(kMountTimeout));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Status::ok();
}

sdk::Result<std::vector<std::string>> ContainerRun::prepare_volumes() {
  std::vector<std::string> binds;
  for (const VolumeSpec& volume : options_.volumes) {
    if (!config_.container.enable_fs_inspector) {
      binds.push_back(bind_of(volume.source, volume));
      continue;
    }
    if (!volume.source_is_directory) {
      named_logger("container")->info("-v {}: the fs inspector mirrors directories; this file is bound directly",
                                      volume.source);
      binds.push_back(bind_of(volume.source, volume));
      continue;
    }
    auto mount_point = make_temp_dir();
    if (!mount_point) return mount_point.status();
    temp_dirs_.push_back(*mount_point);
    auto running = inspectors_->start("fs", "_namazu_container_fs_inspector_" + volume.source,
                                      {"-original-dir", volume.source, "-mount-point", *mount_point});
    if (!running) return running.status();
    if (auto status = wait_for_fuse_mount(*mount_point, **running); !status) return status;
    binds.push_back(bind_of(*mount_point, volume));
  }
  return binds;
}

Status ContainerRun::attach_post_start_inspectors(int pid) {
  const ContainerConfig& wanted = config_.container;
  if (wanted.enable_proc_inspector) {
    const RealtimeBudget::Grant budget = realtime_budget_.grant(pid);
    if (budget.needed && budget.granted) {
      named_logger("container")->info("gave the container's cgroup {} a realtime budget of {} us/s (it had none; "
                                      "SCHED_RR/SCHED_FIFO would fail with EPERM)",
                                      budget.cgroup, kContainerRealtimeRuntimeUs);
    } else if (budget.needed) {
      named_logger("container")->warn(
          "the container's cgroup {} has no realtime budget and nmz could not give it one ({}): realtime policies "
          "(SCHED_RR, SCHED_FIFO) fail with EPERM for its threads, which keep their scheduling attributes",
          budget.cgroup, budget.problem);
    }
    auto running = inspectors_->start("proc", "_namazu_container_proc_inspector",
                                      {"-pid", std::to_string(pid), "-watch-interval",
                                       sdk::format_duration(wanted.proc_watch_interval)});
    if (!running) return running.status();
  }
  if (wanted.enable_ethernet_inspector) {
    auto running = inspectors_->start("ethernet", "_namazu_container_ethernet_inspector",
                                      {"-nfq-number", std::to_string(wanted.ethernet_nfq_number), "-rule-all"},
                                      "/proc/" + std::to_string(pid) + "/ns/net");
    if (!running) return running.status();
  }
  if (wanted.enable_java_inspector) {
    // Its listener lives in the container's network namespace, where the
    // agent looks for it (127.0.0.1:javaPBPort) whatever the network mode.
    // A JVM that calls a ruled method before this point proceeds and tries
    // again a second later (the agent fails open).
    std::vector<std::string> args{"-pb-address", "127.0.0.1", "-pb-port", std::to_string(wanted.java_pb_port)};
    for (const auto& rule : wanted.java_rules) {
      args.push_back("-rules");
      args.push_back(rule);
    }
    auto running = inspectors_->start("java", kContainerJavaEntity, std::move(args),
                                      "/proc/" + std::to_string(pid) + "/ns/net");
    if (!running) return running.status();
  }
  return Status::ok();
}

sdk::Result<RunOptions> ContainerRun::with_java_agent(std::vector<std::string>& binds) const {
  RunOptions request = options_;
  if (!config_.container.enable_java_inspector) return request;
  auto agent = java_agent_for_container(config_.container, config_.plugin_path);
  if (!agent) return agent.status();
  binds.insert(binds.end(), agent->binds.begin(), agent->binds.end());
  // Options the user gave the container's JVMs stay, before the agent's.
  constexpr std::string_view kName = "JAVA_TOOL_OPTIONS=";
  auto given = std::find_if(request.env.begin(), request.env.end(),
                            [&](const std::string& entry) { return entry.rfind(kName, 0) == 0; });
  if (given == request.env.end()) {
    request.env.push_back(std::string(kName) + agent->tool_options);
  } else {
    *given += (given->size() > kName.size() ? " " : "") + agent->tool_options;
  }
  return request;
}

sdk::Result<int> ContainerRun::execute() {
  auto result = run_to_exit();
  tear_down();
  return result;
}

sdk::Result<int> ContainerRun::run_to_exit() {
  if (auto status = check_prerequisites(); !status) return status;
  auto session = start_orchestrator(plugins_, config_, /*collect_trace=*/false);
  if (!session) return session.status();
  session_ = std::move(*session);
  inspectors_ = std::make_unique<AttachedInspectors>(plugins_, config_, *session_);

  auto binds = prepare_volumes();
  if (!binds) return binds.status();
  if (interrupted()) return 128 + first_signal_.load();

  auto request = with_java_agent(*binds);
  if (!request) return request.status();
  auto created = engine_.create_container(create_request(*request, *binds), options_.name);
  if (!created) return Status::error(created.status().code(), "cannot create the container: " + created.status().message());
  {
    std::lock_guard lock(mutex_);
    container_id_ = *created;
  }
  std::unique_ptr<AttachStream> attach;
  if (!options_.detach) {
    auto opened = AttachStream::open(engine_.socket_path(), *created, options_.interactive, options_.tty);
    if (!opened) return opened.status();
    attach = std::move(*opened);
  }
  if (interrupted()) return 128 + first_signal_.load();
  if (auto status = engine_.start_container(*created); !status) {
    return Status::error(status.code(), "cannot start the container: " + status.message());
  }
  {
    std::lock_guard lock(mutex_);
    started_ = true;
  }
  if (options_.detach) std::cout << *created << std::endl;
  // The terminal goes raw only now, so that nmz's own errors before this
  // point print normally.
  std::unique_ptr<RawTerminal> raw_terminal;
  if (attach) {
    if (options_.tty && options_.interactive) raw_terminal = std::make_unique<RawTerminal>(STDIN_FILENO);
    if (options_.tty && ::isatty(STDOUT_FILENO) != 0) {
      pass_terminal_size();
      resizer_ = std::thread([this] { follow_terminal_size(); });
    }
    attach->start();
  }

  // The init PID appears with the start; poll briefly, as an engine may
  // report the container started a moment before its process exists.
  // An inspect may also fail outright when it catches the container mid-exit
  // (podman reads the process's /proc/PID/cgroup): the next one says exited.
  int pid = 0;
  Status inspect_error = Status::ok();
  const auto deadline = std::chrono::steady_clock::now() + kStartedTimeout;
  while (pid == 0 && std::chrono::steady_clock::now() < deadline) {
    auto inspected = engine_.inspect_container(*created);
    inspect_error = inspected.status();
    if (!inspected) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    const nlohmann::json state = state_of(*inspected);
    pid = std::max(state.value("Pid", 0), 0);
    if (!state.value("Running", false) && state.value("Status", "") == "exited") break;
    if (pid == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!inspect_error) return inspect_error;
  if (pid > 0) {
    if (auto status = attach_post_start_inspectors(pid); !status) {
      // A short container may end while its inspectors attach: it just ran
      // (partly) uninspected, and its own exit status is the answer.
      if (!process_ended(pid)) {
        (void)engine_.kill_container(*created, "SIGKILL");
        return status;
      }
      named_logger("container")->info("the container ended before its inspectors could attach ({}); it ran uninspected",
                                      status.message());
    }
  } else {
    named_logger("container")->info("the container ended before its inspectors could attach");
  }

  auto exit_status = engine_.wait_container(*created);
  {
    std::lock_guard lock(mutex_);
    exited_ = true;
  }
  exited_changed_.notify_all();
  if (attach && !attach->wait_for_output_end(kOutputDrainTimeout)) {
    named_logger("container")->warn("the engine kept the container's output open after it exited; closing it");
  }
  raw_terminal.reset();
  if (!exit_status) return Status::error(exit_status.status().code(), "waiting for the container: " + exit_status.status().message());
  return *exit_status;
}

void ContainerRun::pass_terminal_size() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0) {
    (void)engine_.resize_tty(container_id_, size.ws_row, size.ws_col);  // cosmetic: 80x24 still works
  }
}

void ContainerRun::follow_terminal_size() {
  sigset_t winch;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  const timespec poll_interval{0, 200'000'000};  // how soon the end of the container is noticed
  for (;;) {
    const bool resized = ::sigtimedwait(&winch, nullptr, &poll_interval) == SIGWINCH;
    {
      std::lock_guard lock(mutex_);
      if (exited_) return;
    }
    if (resized) pass_terminal_size();
  }
}

void ContainerRun::on_signal(int signal_number) {
  const int count = ++signals_;
  if (count == 1) first_signal_ = signal_number;
  std::lock_guard lock(mutex_);
  if (!started_ || exited_) return;  // execute() sees interrupted() and gives up
  if (count == 1) {
    (void)engine_.kill_container(container_id_, signal_name(signal_number));
    grace_killer_ = std::thread([this] { kill_after_grace(); });
  } else {
    (void)engine_.kill_container(container_id_, "SIGKILL");
  }
}

void ContainerRun::kill_after_grace() {
  std::unique_lock lock(mutex_);
  if (exited_changed_.wait_for(lock, kGracePeriod, [this] { return exited_; })) return;
  named_logger("container")->warn("the container ignored {}: killing it", signal_name(first_signal_.load()));
  (void)engine_.kill_container(container_id_, "SIGKILL");
}

void ContainerRun::tear_down() {
  if (torn_down_) return;
  torn_down_ = true;
  std::string id;
  bool started = false;
  {
    std::lock_guard lock(mutex_);
    id = container_id_;
    started = started_;
    exited_ = true;  // from here on nobody waits for it
  }
  exited_changed_.notify_all();
  if (grace_killer_.joinable()) grace_killer_.join();
  if (resizer_.joinable()) resizer_.join();
  if (!id.empty() && started) {
    // After an error the container may still run: it must not outlive nmz's
    // inspectors silently.
    auto inspected = engine_.inspect_container(id);
    if (inspected && state_of(*inspected).value("Running", false)) {
      (void)engine_.kill_container(id, "SIGKILL");
      (void)engine_.wait_container(id);
    }
  }
  if (inspectors_) {
    if (std::string error = inspectors_->stop_all(); !error.empty()) named_logger("container")->warn("{}", error);
  }
  if (!id.empty() && (options_.remove || !started)) {
    if (auto status = engine_.remove_container(id); !status) {
      named_logger("container")->warn("cannot remove container {}: {}", id.substr(0, 12), status.message());
    }
  }
  for (const std::string& dir : temp_dirs_) {
    std::error_code ignored;
    if (!std::filesystem::remove(dir, ignored)) {
      named_logger("container")->warn("cannot remove the volume mount point {}: {}", dir, ignored.message());
    }
  }
  realtime_budget_.restore();
}

}  // namespace nmz::core::container
