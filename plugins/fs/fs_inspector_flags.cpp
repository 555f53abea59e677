// SPDX-License-Identifier: Apache-2.0
#include "fs_inspector_flags.hpp"

#include <algorithm>

#include <nmz/sdk/flags.hpp>

namespace nmz::plugins::fs {
namespace {

// Repeatable list flags also take comma-separated values.
std::vector<std::string> split_commas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::size_t begin = 0;
    while (begin <= item.size()) {
      std::size_t comma = std::min(item.find(',', begin), item.size());
      out.push_back(item.substr(begin, comma - begin));
      begin = comma + 1;
    }
  }
  return out;
}

sdk::Status flag_error(const std::string& flag, const sdk::Status& status) {
  return sdk::Status::invalid("nmz inspectors fs: flag -" + flag + ": " + status.message());
}

}  // namespace

sdk::Result<FsInspectorFlags> parse_fs_inspector_flags(const std::vector<std::string>& args) {
  FsInspectorFlags flags;
  // List flags append to their target: a default is dropped once the flag is given.
  std::vector<std::string> ops{"default"};
  std::vector<std::string> errnos{"EIO"};
  std::vector<std::string> kinds{"errno"};
  sdk::FlagSet set("nmz inspectors fs");
  set.add_string("original-dir", &flags.original_dir, "the directory to mirror (required)");
  set.add_string("mount-point", &flags.mount_point, "where to mount the mirror (required)");
  set.add_string_list("ops", &ops,
                      "operations to inspect, comma-separated or repeated: names (pre-write, write), "
                      "groups (default, namazu, all, none), -NAME to remove");
  set.add_string_list("paths", &flags.gate.path_globs,
                      "inspect only paths (relative to the mount) matching one of these fnmatch(3) globs; * "
                      "matches / too; when not given: all paths");
  set.add_string_list("exclude-paths", &flags.gate.exclude_globs, "never inspect paths matching these globs");
  set.add_string_list("fault-errno", &errnos,
                      "errno(s) for FilesystemFaultActions that name none, picked at random per fault");
  set.add_string_list("fault-kinds", &kinds,
                      "kind(s) for FilesystemFaultActions that name none, picked at random among those that fit the "
                      "operation: errno, short-write, lose-unsynced, slow-fsync");
  set.add_duration("fsync-delay", &flags.faults.fsync_delay, "delay of a slow-fsync fault that names none");
  set.add_bool("track-unsynced", &flags.track_unsynced,
               "log unsynced writes so that a lose-unsynced fault can undo them (implied by -fault-kinds "
               "lose-unsynced)");
  set.add_duration("action-timeout", &flags.gate.action_timeout,
                   "longest wait for an action before the operation proceeds anyway (0: no limit)");
  set.add_duration("cache-timeout", &flags.cache_timeout, "how long the kernel may cache attributes and names");
  set.add_bool("writeback", &flags.writeback,
               "kernel writeback cache (faster small writes; write faults then surface at fsync/close)");
  set.add_int("max-threads", &flags.max_threads, "FUSE worker threads at most (each held operation uses one)");
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg == "-h" || arg == "-help" || arg == "--help") {
      return sdk::Status::invalid(
          "usage: nmz inspectors fs -original-dir DIR -mount-point MNT [-autopilot config.toml] [-entity-id ID] "
          "[flags] [-- CMD ARGS...]\n" + set.usage());
    }
  }
  if (auto status = set.parse(args); !status) return status;
  if (!set.positionals().empty() && !set.saw_double_dash()) {
    return sdk::Status::invalid("nmz inspectors fs: unexpected argument \"" + set.positionals().front() +
                                "\" (put the command to run after --)");
  }
  flags.command = set.positionals();
  for (auto [name, list] : {std::pair{"ops", &ops}, std::pair{"fault-errno", &errnos}, std::pair{"fault-kinds", &kinds}}) {
    if (set.was_set(name)) list->erase(list->begin());
  }
  if (set.saw_double_dash() && flags.command.empty()) {
    return sdk::Status::invalid("nmz inspectors fs: -- must be followed by a command to run");
  }

  auto op_set = parse_fs_ops(ops);
  if (!op_set) return sdk::Status::invalid("nmz inspectors fs: " + op_set.status().message());
  flags.gate.ops = *op_set;
  for (const auto& text : split_commas(errnos)) {
    auto number = parse_errno(text);
    if (!number) return flag_error("fault-errno", number.status());
    flags.faults.errnos.push_back(*number);
  }
  for (const auto& text : split_commas(kinds)) {
    auto kind = parse_fault_kind(text);
    if (!kind) return flag_error("fault-kinds", kind.status());
    flags.faults.kinds.push_back(*kind);
    if (*kind == FaultKind::lose_unsynced) flags.track_unsynced = true;
  }
  if (flags.faults.fsync_delay.count() < 0) {
    return sdk::Status::invalid("nmz inspectors fs: flag -fsync-delay must not be negative");
  }
  if (flags.gate.action_timeout.count() < 0) {
    return sdk::Status::invalid("nmz inspectors fs: flag -action-timeout must not be negative");
  }
  if (flags.cache_timeout.count() < 0) {
    return sdk::Status::invalid("nmz inspectors fs: flag -cache-timeout must not be negative");
  }
  if (flags.max_threads < 2 || flags.max_threads > 100000) {
    return sdk::Status::invalid("nmz inspectors fs: flag -max-threads: expected 2-100000, got " +
                                std::to_string(flags.max_threads));
  }
  return flags;
}

}  // namespace nmz::plugins::fs
