// SPDX-License-Identifier: Apache-2.0
// `nmz inspectors fs`: mirrors -original-dir on -mount-point through FUSE and
// turns the chosen operations into deferred FilesystemEvents; actions let
// them proceed, fail, write short, lose unsynced data or slow fsync down.
#include <poll.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nmz/sdk/child_process.hpp>
#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/plugin.hpp>
#include <nmz/sdk/restore_record.hpp>
#include <nmz/sdk/stop_signal.hpp>

#include "descriptor_limit.hpp"
#include "event_gate.hpp"
#include "fs_inspector_flags.hpp"
#include "fuse_device_hold.hpp"
#include "fuse_log_routing.hpp"
#include "mount_checks.hpp"
#include "passthrough_fs.hpp"

namespace nmz::plugins::fs {
namespace {

constexpr auto kTargetGrace = std::chrono::seconds(5);
// Below this, a target with a few thousand files runs into the limit.
constexpr rlim_t kDescriptorsWanted = 8192;

std::string escape_option(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

class FsInspector final : public sdk::Inspector {
 public:
  sdk::Status configure(const sdk::ComponentContext& context, const sdk::InspectorSettings& settings) noexcept override {
    return nmz::sdk::guarded("nmz inspectors fs: ", [&]() -> sdk::Status {
      auto flags = parse_fs_inspector_flags(settings.args);
      if (!flags) return flags.status();
      auto dirs = check_mount_dirs(flags->original_dir, flags->mount_point);
      if (!dirs) return dirs.status();
      if (!stop_.ok()) return sdk::Status::error(sdk::StatusCode::internal, "nmz inspectors fs: eventfd failed");
      flags_ = std::move(*flags);
      dirs_ = std::move(*dirs);
      verdicts_ = std::make_unique<FaultVerdicts>(flags_.faults, context.seed());
      gate_ = std::make_unique<EventGate>(flags_.gate, *verdicts_);
      return sdk::Status::ok();
    });
  }

  Outcome run(sdk::InspectorHost& host) noexcept override {
    return nmz::sdk::guarded("nmz inspectors fs: ", [&]() -> Outcome {
      return serve(host);
    });
  }

  void request_stop() noexcept override { stop_.raise(); }

  // ActionWaiter registers the waiting operation before it submits and
  // holds no lock across submit; on_action only hands the action over.
  ActionDelivery action_delivery() const noexcept override { return ActionDelivery::inline_allowed; }

  void on_action(sdk::Action action) noexcept override {
    if (gate_) gate_->deliver(std::move(action));
  }

 private:
  Outcome serve(sdk::InspectorHost& host) {
    sdk::Logger& log = host.logger();
    PassthroughSettings settings{dirs_.original_dir,
                                 std::chrono::duration<double>(flags_.cache_timeout).count(), flags_.writeback,
                                 flags_.track_unsynced};
    PassthroughFs filesystem(settings, *gate_, [&log](std::string_view message) { log.warn(message); });
    if (int error = filesystem.open_root()) {
      return failure("cannot open -original-dir \"" + dirs_.original_dir + "\": " + std::strerror(error));
    }

    // auto_unmount: fusermount3 stays behind and unmounts if nmz dies, even by SIGKILL.
    std::vector<std::string> argv{"nmz-fs", "-o",
                                  "fsname=" + escape_option(dirs_.original_dir) +
                                      ",subtype=nmz,default_permissions,allow_other,auto_unmount"};
    std::vector<char*> raw;
    for (auto& arg : argv) raw.push_back(arg.data());
    fuse_args args = FUSE_ARGS_INIT(static_cast<int>(raw.size()), raw.data());
    FuseLogRouting log_routing(log);
    fuse_session* session =
        fuse_session_new(&args, &PassthroughFs::operations(), sizeof(fuse_lowlevel_ops), &filesystem);
    if (!session) return failure("cannot create the FUSE session (see the log above)");
    filesystem.set_session(session);
    if (fuse_session_mount(session, dirs_.mount_point.c_str()) != 0) {
      fuse_session_destroy(session);
      return failure("cannot mount on \"" + dirs_.mount_point + "\" (see the log above)");
    }
    log.info("mounted " + dirs_.original_dir + " on " + dirs_.mount_point);
    FuseDeviceHold device_hold(fuse_session_fd(session));
    if (!device_hold.held()) {
      log.warn(std::string("if nmz is killed, fusermount3 may leave the mount behind: cannot duplicate the FUSE "
                           "device: ") + std::strerror(errno));
    }
    // fusermount3 unmounts when nmz dies; this is for when it was killed too.
    auto mount_record = sdk::RestoreRecord::create("fs inspector: FUSE mount on " + dirs_.mount_point);
    if (mount_record) {
      if (auto recorded = mount_record->set_steps({{{"fusermount3", "-u", "-z", dirs_.mount_point}, ""}}); !recorded) {
        log.warn(recorded.message());
      }
    } else {
      log.warn("if nmz is killed, `nmz tools cleanup` will not know the mount: " + mount_record.status().message());
    }
    gate_->attach(host);

    sdk::StopSignal loop_done;
    fuse_loop_config* loop_config = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(loop_config, static_cast<unsigned>(flags_.max_threads));
    std::thread loop([&] {
      fuse_session_loop_mt(session, loop_config);
      loop_done.raise();
    });

    std::optional<sdk::ChildProcess> target;
    int exit_code = 0;
    sdk::Status status;
    if (!flags_.command.empty()) {
      // Started after the mount: it must not inherit libfuse's auto_unmount
      // socket (ChildProcess closes it), or the mount would outlive nmz as
      // long as the target lives.
      auto spawned = sdk::ChildProcess::start(flags_.command);
      if (spawned) {
        target.emplace(std::move(*spawned));
      } else {
        status = sdk::Status::invalid("nmz inspectors fs: " + spawned.status().message());
      }
    }
    // After the command is started, which keeps the limit it was given.
    rlim_t descriptors = raise_descriptor_limit();
    if (descriptors < kDescriptorsWanted) {
      log.warn("only " + std::to_string(descriptors) +
               " file descriptors (RLIMIT_NOFILE): nmz holds one per file the kernel caches and per open file, "
               "so beyond about that many, operations on the mount fail with EMFILE; raise the hard limit "
               "(ulimit -Hn) to avoid it");
    }
    if (status) {
      std::vector<pollfd> watched{{stop_.fd(), POLLIN, 0}, {loop_done.fd(), POLLIN, 0}};
      if (target) watched.push_back({target->pidfd(), POLLIN, 0});
      while (::poll(watched.data(), watched.size(), -1) < 0 && errno == EINTR) {
      }
      if (target && watched[2].revents) {
        exit_code = target->wait().status;
        target.reset();
        log.info("target exited with " + std::to_string(exit_code) + "; unmounting");
      } else if (watched[1].revents) {
        log.warn("the mount on " + dirs_.mount_point + " was removed from outside nmz");
      }
    }
    // Held operations proceed from now on, so a target being stopped is not
    // wedged by its own filesystem.
    gate_->detach();
    if (target) {
      exit_code = target->terminate(kTargetGrace).status;
      target.reset();
    }

    filesystem.stop_watching();
    // The loop leaves once a worker sees the exit flag after a request; a
    // statfs (never cached by the kernel) is such a request.
    fuse_session_exit(session);
    std::thread poke;
    if (!loop_done.raised()) {
      std::string mount_point = dirs_.mount_point;
      poke = std::thread([mount_point] {
        struct statfs st {};
        ::statfs(mount_point.c_str(), &st);
      });
    }
    loop.join();
    device_hold.release();
    fuse_session_unmount(session);
    if (poke.joinable()) poke.join();
    filesystem.join_background();
    fuse_session_destroy(session);
    fuse_loop_cfg_destroy(loop_config);
    fuse_opt_free_args(&args);
    log.info("unmounted " + dirs_.mount_point);
    return {status, exit_code};
  }

  static Outcome failure(const std::string& message) {
    return {sdk::Status::error(sdk::StatusCode::unavailable, "nmz inspectors fs: " + message), 1};
  }

  FsInspectorFlags flags_;
  CheckedDirs dirs_;
  std::unique_ptr<FaultVerdicts> verdicts_;
  std::unique_ptr<EventGate> gate_;
  sdk::StopSignal stop_;
};

void register_components(sdk::Registrar& registrar) {
  registrar.add_inspector("fs", &sdk::make_inspector<FsInspector>,
                          "FUSE passthrough of a directory; FilesystemEvent / EventAcceptanceAction, "
                          "FilesystemFaultAction (errno, short-write, lose-unsynced, slow-fsync)");
}

}  // namespace
}  // namespace nmz::plugins::fs

NMZ_PLUGIN("fs", "0.3.0", "Filesystem inspector (FUSE)", nmz::plugins::fs::register_components)
