// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "fault_verdict.hpp"
#include "fs_op.hpp"

namespace nmz::plugins::fs {

// Where the passthrough filesystem asks whether an operation may go on. The
// filesystem knows FUSE; the gate knows events, policies and faults.
class OperationGate {
 public:
  OperationGate() = default;
  OperationGate(const OperationGate&) = delete;
  OperationGate& operator=(const OperationGate&) = delete;
  virtual ~OperationGate() = default;

  // Cheap: decides whether the path must be computed at all.
  [[nodiscard]] virtual bool inspects(FsOp op) const noexcept = 0;
  // Whether `op` is among the operations to inspect at all (while attached
  // or not): what the kernel may skip sending depends on it.
  [[nodiscard]] virtual bool may_inspect(FsOp op) const noexcept = 0;
  // Blocks the calling FUSE worker until the operation's verdict is known.
  // `path` is relative to the mount point ("" for its root).
  virtual Verdict inspect(FsOp op, std::string_view path) noexcept = 0;
};

}  // namespace nmz::plugins::fs
