// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <vector>

#include <nmz/sdk/status.hpp>

namespace nmz::plugins::proc {

// One process-events notification (fork covers new threads too). exec is
// not needed: a task keeps its id and scheduling attributes across exec, and
// the rare id change of a non-leader thread's exec is fixed by rescans.
struct ProcNotification {
  enum class Kind { fork, exit };
  Kind kind;
  int tid;          // the new or exiting task
  int tgid;         // its process
  int parent_tgid;  // fork only: the process that forked (for a new thread, its process's parent)
};

// The kernel's process-events connector (netlink NETLINK_CONNECTOR,
// CN_IDX_PROC): fork/clone and exit of every task on the machine,
// delivered as they happen. Needs CAP_NET_ADMIN. Not thread-safe.
class ProcConnector {
 public:
  static sdk::Result<ProcConnector> open();
  ProcConnector(ProcConnector&& other) noexcept;
  ProcConnector& operator=(ProcConnector&&) = delete;
  ProcConnector(const ProcConnector&) = delete;
  ~ProcConnector();

  [[nodiscard]] int fd() const noexcept { return fd_; }

  // Appends what is queued, without blocking. Returns false when the kernel
  // dropped notifications (socket buffer overflow): the caller must rescan.
  bool drain(std::vector<ProcNotification>& out);

 private:
  explicit ProcConnector(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace nmz::plugins::proc
