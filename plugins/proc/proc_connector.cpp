// SPDX-License-Identifier: Apache-2.0
#include "proc_connector.hpp"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace nmz::plugins::proc {
namespace {

bool send_mcast_op(int fd, proc_cn_mcast_op op) {
  alignas(nlmsghdr) char buffer[NLMSG_SPACE(sizeof(cn_msg) + sizeof(op))] = {};
  auto* header = reinterpret_cast<nlmsghdr*>(buffer);
  header->nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof(op));
  header->nlmsg_type = NLMSG_DONE;
  auto* message = static_cast<cn_msg*>(NLMSG_DATA(header));
  message->id.idx = CN_IDX_PROC;
  message->id.val = CN_VAL_PROC;
  message->len = sizeof(op);
  std::memcpy(message->data, &op, sizeof(op));
  return send(fd, buffer, header->nlmsg_len, 0) >= 0;
}

sdk::Status failure(const char* step) {
  int error = errno;
  return sdk::Status::error(error == EPERM || error == EACCES ? sdk::StatusCode::permission_denied
                                                                : sdk::StatusCode::unavailable,
                            std::string("process-events connector: ") + step + ": " + std::strerror(error));
}

}  // namespace

sdk::Result<ProcConnector> ProcConnector::open() {
  int fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
  if (fd < 0) return failure("socket");
  ProcConnector connector(fd);
  // Every task on the machine is reported: a large buffer keeps bursts
  // (a build running next to the target) from overflowing it.
  int size = 8 << 20;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = CN_IDX_PROC;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return failure("bind");
  if (!send_mcast_op(fd, PROC_CN_MCAST_LISTEN)) return failure("subscribe");
  return connector;
}

ProcConnector::ProcConnector(ProcConnector&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

ProcConnector::~ProcConnector() {
  if (fd_ < 0) return;
  send_mcast_op(fd_, PROC_CN_MCAST_IGNORE);
  close(fd_);
}

bool ProcConnector::drain(std::vector<ProcNotification>& out) {
  alignas(nlmsghdr) char buffer[16384];
  bool complete = true;
  for (;;) {
    ssize_t length = recv(fd_, buffer, sizeof buffer, 0);
    if (length < 0) {
      if (errno == ENOBUFS) {
        complete = false;
        continue;
      }
      if (errno == EINTR) continue;
      return complete;  // EAGAIN: all read
    }
    auto remaining = static_cast<unsigned>(length);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, remaining);
         header = NLMSG_NEXT(header, remaining)) {
      if (header->nlmsg_type == NLMSG_ERROR || header->nlmsg_type == NLMSG_NOOP) continue;
      const auto* message = static_cast<const cn_msg*>(NLMSG_DATA(header));
      if (message->id.idx != CN_IDX_PROC || message->len < sizeof(proc_event)) continue;
      proc_event event;
      std::memcpy(&event, message->data, sizeof event);
      switch (event.what) {
        case proc_event::PROC_EVENT_FORK:
          out.push_back({ProcNotification::Kind::fork, event.event_data.fork.child_pid,
                         event.event_data.fork.child_tgid, event.event_data.fork.parent_tgid});
          break;
        case proc_event::PROC_EVENT_EXIT:
          out.push_back({ProcNotification::Kind::exit, event.event_data.exit.process_pid,
                         event.event_data.exit.process_tgid, 0});
          break;
        default: break;
      }
    }
  }
}

}  // namespace nmz::plugins::proc
