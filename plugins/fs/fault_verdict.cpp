// SPDX-License-Identifier: Apache-2.0
#include "fault_verdict.hpp"

#include <cerrno>
#include <charconv>
#include <utility>

#include <nmz/sdk/duration.hpp>

#include "errno_names.hpp"

namespace nmz::plugins::fs {
namespace {

constexpr std::pair<std::string_view, FaultKind> kKinds[] = {{"errno", FaultKind::error},
                                                             {"short-write", FaultKind::short_write},
                                                             {"lose-unsynced", FaultKind::lose_unsynced},
                                                             {"slow-fsync", FaultKind::slow_fsync}};

bool fits(FaultKind kind, FsOp op) {
  switch (kind) {
    case FaultKind::short_write: return op == FsOp::write;
    case FaultKind::slow_fsync: return is_fsync_op(op);
    default: return true;
  }
}

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

std::string_view fault_kind_name(FaultKind kind) noexcept {
  for (const auto& [name, value] : kKinds) {
    if (value == kind) return name;
  }
  return "errno";
}

sdk::Result<FaultKind> parse_fault_kind(std::string_view text) {
  for (const auto& [name, value] : kKinds) {
    if (name == text) return value;
  }
  return sdk::Status::invalid("unknown fault kind \"" + std::string(text) +
                              "\" (expected errno, short-write, lose-unsynced or slow-fsync)");
}

sdk::Result<int> parse_errno(std::string_view text) {
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (number > 0 && number < 4096) return number;
  } else {
    std::string name(text);
    for (char& c : name) c = upper(c);
    if (auto known = errno_from_name(name)) return *known;
  }
  return sdk::Status::invalid("unknown errno \"" + std::string(text) +
                              "\" (expected a name such as EIO, ENOSPC, EDQUOT, EROFS, EACCES or a number 1-4095)");
}

FaultVerdicts::FaultVerdicts(FaultDefaults defaults, std::uint64_t seed)
    : defaults_(std::move(defaults)), random_(seed) {}

std::size_t FaultVerdicts::pick(std::size_t count) {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(random_.below(count));
}

sdk::Result<Verdict> FaultVerdicts::decide(FsOp op, const sdk::Action& action) {
  if (action.class_name == sdk::action_class::event_acceptance) return Verdict{};
  if (action.class_name != sdk::action_class::filesystem_fault) {
    return sdk::Status::invalid("unexpected " + action.class_name + " for a FilesystemEvent");
  }
  if (auto kind_text = sdk::option_string(action.option, "kind")) {
    auto kind = parse_fault_kind(*kind_text);
    if (!kind) return kind.status();
    // Asked for explicitly but meaningless here: a slow fsync of a non-fsync
    // operation is no fault at all, a short write of a non-write a failure.
    if (!fits(*kind, op)) return *kind == FaultKind::slow_fsync ? Verdict{} : fault(FaultKind::error, action);
    return fault(*kind, action);
  }
  std::vector<FaultKind> candidates;
  for (FaultKind kind : defaults_.kinds) {
    if (fits(kind, op)) candidates.push_back(kind);
  }
  // No kind the user allowed fits (a mkdir under -fault-kinds short-write):
  // faulting it anyway would be a kind of fault nobody asked for.
  if (candidates.empty()) return Verdict{};
  return fault(candidates[pick(candidates.size())], action);
}

sdk::Result<Verdict> FaultVerdicts::fault(FaultKind kind, const sdk::Action& action) {
  Verdict verdict;
  switch (kind) {
    case FaultKind::error:
    case FaultKind::lose_unsynced: {
      verdict.kind = kind == FaultKind::error ? Verdict::Kind::fail : Verdict::Kind::lose_unsynced;
      if (auto number = sdk::option_int(action.option, "errno")) {
        if (*number <= 0 || *number >= 4096) {
          return sdk::Status::invalid("FilesystemFaultAction option errno " + std::to_string(*number) +
                                      " is out of range 1-4095");
        }
        verdict.error = static_cast<int>(*number);
      } else if (auto name = sdk::option_string(action.option, "errno")) {
        auto parsed = parse_errno(*name);
        if (!parsed) return parsed.status();
        verdict.error = *parsed;
      } else {
        verdict.error = defaults_.errnos[pick(defaults_.errnos.size())];
      }
      break;
    }
    case FaultKind::short_write:
      verdict.kind = Verdict::Kind::short_write;
      if (auto bytes = sdk::option_int(action.option, "bytes")) {
        if (*bytes < 0) return sdk::Status::invalid("FilesystemFaultAction option bytes must not be negative");
        verdict.keep_bytes = static_cast<std::uint64_t>(*bytes);
      }
      break;
    case FaultKind::slow_fsync:
      verdict.kind = Verdict::Kind::delay_then_proceed;
      verdict.delay = defaults_.fsync_delay;
      if (auto text = sdk::option_string(action.option, "delay")) {
        auto delay = sdk::parse_duration(*text);
        if (!delay) return delay.status();
        verdict.delay = *delay;
      } else if (auto nanos = sdk::option_int(action.option, "delay")) {
        verdict.delay = std::chrono::nanoseconds(*nanos);
      }
      if (verdict.delay.count() < 0) return sdk::Status::invalid("FilesystemFaultAction option delay is negative");
      break;
  }
  return verdict;
}

}  // namespace nmz::plugins::fs
