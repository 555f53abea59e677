// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <filesystem>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

// How an inspector undoes what it changed on the machine when nmz is killed
// before it could undo it itself (SIGKILL, a crash): it leaves a restore
// record saying how, which the next nmz start or `nmz tools cleanup` applies
// once the process that wrote it is dead. Records live in
// restore_record_dir(); a live process holds a lock on each of its own, so
// no nmz ever applies another live nmz's record.
namespace nmz::sdk {

// One command that undoes a change: argv[0] looked up in PATH, `input` on
// its stdin. Steps must be harmless when the change is already gone
// (the process may have died after undoing part of it).
struct RestoreStep {
  std::vector<std::string> argv;
  std::string input;
};

// $NMZ_RESTORE_DIR if set (tests), else /run/nmz, else <temp>/nmz-restore.
std::filesystem::path restore_record_dir();

// A record owned by this process. Thread: one owner thread at a time; the
// calls write a small file and may block on the disk.
class RestoreRecord {
 public:
  // `what` names the change for people (`nmz tools cleanup` lists it), e.g.
  // "fs inspector: FUSE mount on /mnt/x". The record has no steps yet.
  static Result<RestoreRecord> create(const std::string& what);
  RestoreRecord(RestoreRecord&& other) noexcept;
  RestoreRecord& operator=(RestoreRecord&&) = delete;
  RestoreRecord(const RestoreRecord&) = delete;
  RestoreRecord& operator=(const RestoreRecord&) = delete;
  // Removes the record: its owner undid the change itself.
  ~RestoreRecord();

  // Replaces the steps (atomically: a reader sees the old or the new list).
  Status set_steps(const std::vector<RestoreStep>& steps);
  // Extra members for nmz itself (`nmz run` records the run it was in).
  Status set_steps(const std::vector<RestoreStep>& steps, const std::string& extra_json_object);

 private:
  RestoreRecord(std::filesystem::path base, int lock_fd, std::string what)
      : base_(std::move(base)), lock_fd_(lock_fd), what_(std::move(what)) {}
  std::filesystem::path base_;  // <dir>/<pid>-<n>: .lock and .json
  int lock_fd_ = -1;
  std::string what_;
};

}  // namespace nmz::sdk
