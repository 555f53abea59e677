// SPDX-License-Identifier: Apache-2.0
#include "nfq_queue.hpp"

#include <arpa/inet.h>
#include <sys/time.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

namespace nmz::plugins::ethernet {
namespace {

// A GSO super-packet is up to 64 KiB; the netlink headers come on top. A
// multiple of the netlink alignment: receive slots are laid back to back and
// each must start aligned for nlmsghdr.
constexpr std::size_t kReceiveBufferSize = 0x10000 + 4096;
static_assert(kReceiveBufferSize % NLMSG_ALIGNTO == 0);
constexpr int kSocketBufferBytes = 16 * 1024 * 1024;
constexpr int kControlBufferSize = 512;
// Packets taken by one recvmmsg. Beyond a few the saving per packet is
// small, and each slot is a receive buffer of its own.
constexpr unsigned kReceiveBatch = 16;

std::string queue_name(std::uint16_t number) { return "NFQUEUE " + std::to_string(number); }

// The kernel answers EPERM both without CAP_NET_ADMIN and when another
// socket owns the queue; its list of bound queues tells the two apart.
bool queue_bound_elsewhere(std::uint16_t number) {
  std::ifstream list("/proc/net/netfilter/nfnetlink_queue");
  unsigned queue = 0;
  std::string rest;
  while (list >> queue && std::getline(list, rest)) {
    if (queue == number) return true;
  }
  return false;
}

sdk::Status errno_status(std::uint16_t number, const char* what, int error) {
  if ((error == EPERM || error == EBUSY) && queue_bound_elsewhere(number)) error = EBUSY;
  if (error == EPERM || error == EACCES) {
    return sdk::Status::error(sdk::StatusCode::permission_denied,
                              queue_name(number) + ": " + what + ": " + std::strerror(error) +
                                  " (binding a queue needs CAP_NET_ADMIN in this network namespace: run as root)");
  }
  if (error == EBUSY) {
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              queue_name(number) + ": " + what +
                                  ": the queue is already bound by another process (another nmz, or "
                                  "hookswitch-nfq); pick another -nfq-number");
  }
  return sdk::Status::error(sdk::StatusCode::unavailable,
                            queue_name(number) + ": " + what + ": " + std::strerror(error));
}

}  // namespace

sdk::Result<std::unique_ptr<NfqQueue>> NfqQueue::open(const Options& options) {
  std::unique_ptr<NfqQueue> queue(new NfqQueue(options));
  queue->socket_ = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (queue->socket_ == nullptr) return errno_status(options.number, "opening the netlink socket", errno);
  if (mnl_socket_bind(queue->socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    return errno_status(options.number, "binding the netlink socket", errno);
  }
  queue->port_id_ = mnl_socket_get_portid(queue->socket_);
  if (sdk::Status status = queue->configure(); !status) return status;
  return queue;
}

sdk::Status NfqQueue::request(char* buffer, const char* what) {
  auto* header = reinterpret_cast<nlmsghdr*>(buffer);
  header->nlmsg_flags |= NLM_F_ACK;
  header->nlmsg_seq = sequence_++;
  if (mnl_socket_sendto(socket_, header, header->nlmsg_len) < 0) return errno_status(options_.number, what, errno);
  // Packets of a rule the user already installed may arrive before the
  // acknowledgement: accept them (we are not inspecting yet).
  std::vector<char> reply(kReceiveBufferSize);
  for (;;) {
    ssize_t length = mnl_socket_recvfrom(socket_, reply.data(), reply.size());
    if (length < 0) return errno_status(options_.number, what, errno);
    for (auto* msg = reinterpret_cast<nlmsghdr*>(reply.data()); mnl_nlmsg_ok(msg, static_cast<int>(length));
         msg = mnl_nlmsg_next(msg, reinterpret_cast<int*>(&length))) {
      if (msg->nlmsg_type == NLMSG_ERROR && msg->nlmsg_seq == header->nlmsg_seq) {
        const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(msg));
        if (error->error == 0) return sdk::Status::ok();
        return errno_status(options_.number, what, -error->error);
      }
      nlattr* attrs[NFQA_MAX + 1] = {};
      if (nfq_nlmsg_parse(msg, attrs) >= 0 && attrs[NFQA_PACKET_HDR] != nullptr) {
        const auto* packet = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attrs[NFQA_PACKET_HDR]));
        verdict(ntohl(packet->packet_id), Verdict::accept);
      }
    }
  }
}

sdk::Status NfqQueue::configure() {
  char buffer[kControlBufferSize];
  nlmsghdr* msg = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, options_.number);
  nfq_nlmsg_cfg_put_cmd(msg, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
  if (sdk::Status status = request(buffer, "bind"); !status) return status;

  msg = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, options_.number);
  nfq_nlmsg_cfg_put_params(msg, NFQNL_COPY_PACKET, 0xffff);
  nfq_nlmsg_cfg_put_qmaxlen(msg, options_.max_length);
  std::uint32_t flags = NFQA_CFG_F_GSO | (options_.fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
  mnl_attr_put_u32(msg, NFQA_CFG_FLAGS, htonl(flags));
  mnl_attr_put_u32(msg, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
  if (sdk::Status status = request(buffer, "set copy mode, queue length and flags"); !status) return status;

  int fd = mnl_socket_get_fd(socket_);
  int size = kSocketBufferBytes;
  // FORCE ignores rmem_max (we are root); fall back to the capped size.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  int on = 1;
  // Without this a burst that overflows the socket buffer makes recv fail
  // with ENOBUFS; the packets themselves stay queued or fail open.
  setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
  return sdk::Status::ok();
}

NfqQueue::~NfqQueue() {
  if (socket_ == nullptr) return;
  char buffer[kControlBufferSize];
  nlmsghdr* msg = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, options_.number);
  nfq_nlmsg_cfg_put_cmd(msg, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
  mnl_socket_sendto(socket_, msg, msg->nlmsg_len);
  mnl_socket_close(socket_);
}

sdk::Status NfqQueue::receive(const std::atomic<bool>& stop, const PacketHandler& handler) {
  std::vector<char> buffers(kReceiveBatch * kReceiveBufferSize);
  iovec slices[kReceiveBatch];
  mmsghdr messages[kReceiveBatch];
  for (unsigned i = 0; i < kReceiveBatch; ++i) {
    slices[i] = {buffers.data() + i * kReceiveBufferSize, kReceiveBufferSize};
    messages[i] = {};
    messages[i].msg_hdr.msg_iov = &slices[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  int fd = mnl_socket_get_fd(socket_);
  // A blocking receive with a timeout rather than poll + receive: fewer
  // system calls on the path every packet takes.
  timeval timeout{0, static_cast<suseconds_t>(std::chrono::microseconds(kStopLatency).count())};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  {
    std::lock_guard lock(verdict_mutex_);
    receiving_thread_ = std::this_thread::get_id();
  }
  while (!stop.load(std::memory_order_relaxed)) {
    // MSG_WAITFORONE: block for the first packet only, then take what is
    // already queued.
    int received = recvmmsg(fd, messages, kReceiveBatch, MSG_WAITFORONE, nullptr);
    if (received < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ENOBUFS) {
        ++overruns_;
        continue;
      }
      return errno_status(options_.number, "receiving", errno);
    }
    VerdictBatch batch(*this);
    for (int i = 0; i < received; ++i) {
      int remaining = static_cast<int>(messages[i].msg_len);
      for (auto* msg = static_cast<nlmsghdr*>(slices[i].iov_base); mnl_nlmsg_ok(msg, remaining);
           msg = mnl_nlmsg_next(msg, &remaining)) {
        if (msg->nlmsg_type == NLMSG_ERROR || msg->nlmsg_type == NLMSG_DONE) continue;
        nlattr* attrs[NFQA_MAX + 1] = {};
        if (nfq_nlmsg_parse(msg, attrs) < 0 || attrs[NFQA_PACKET_HDR] == nullptr) continue;
        const auto* packet = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attrs[NFQA_PACKET_HDR]));
        std::uint32_t id = ntohl(packet->packet_id);
        if (attrs[NFQA_PAYLOAD] == nullptr) {
          verdict(id, Verdict::accept);
          continue;
        }
        handler(id, std::string_view(static_cast<const char*>(mnl_attr_get_payload(attrs[NFQA_PAYLOAD])),
                                     mnl_attr_get_payload_len(attrs[NFQA_PAYLOAD])));
      }
    }
  }
  return sdk::Status::ok();
}

NfqQueue::VerdictBatch::VerdictBatch(NfqQueue& queue) : queue_(queue) {
  std::lock_guard lock(queue_.verdict_mutex_);
  queue_.batching_ = true;
}

NfqQueue::VerdictBatch::~VerdictBatch() {
  std::lock_guard lock(queue_.verdict_mutex_);
  queue_.batching_ = false;
  queue_.flush_verdicts();
}

void NfqQueue::drain_accept() {
  std::vector<char> buffer(kReceiveBufferSize);
  int fd = mnl_socket_get_fd(socket_);
  for (;;) {
    ssize_t length = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (length < 0) {
      if (errno == EINTR || errno == ENOBUFS) continue;
      return;
    }
    int remaining = static_cast<int>(length);
    for (auto* msg = reinterpret_cast<nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(msg, remaining);
         msg = mnl_nlmsg_next(msg, &remaining)) {
      nlattr* attrs[NFQA_MAX + 1] = {};
      if (nfq_nlmsg_parse(msg, attrs) < 0 || attrs[NFQA_PACKET_HDR] == nullptr) continue;
      const auto* packet = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attrs[NFQA_PACKET_HDR]));
      verdict(ntohl(packet->packet_id), Verdict::accept);
    }
  }
}

void NfqQueue::verdict(std::uint32_t packet_id, Verdict verdict) noexcept {
  char buffer[kControlBufferSize];
  nlmsghdr* msg = nfq_nlmsg_put(buffer, NFQNL_MSG_VERDICT, options_.number);
  nfq_nlmsg_verdict_put(msg, static_cast<int>(packet_id), verdict == Verdict::accept ? NF_ACCEPT : NF_DROP);
  std::lock_guard lock(verdict_mutex_);
  try {
    verdicts_.insert(verdicts_.end(), buffer, buffer + NLMSG_ALIGN(msg->nlmsg_len));
  } catch (...) {
    // Out of memory: what was queued goes out below; this packet stays
    // queued in the kernel until the unbind at exit releases it.
  }
  if (!batching_ || std::this_thread::get_id() != receiving_thread_) flush_verdicts();
}

void NfqQueue::flush_verdicts() noexcept {
  if (verdicts_.empty()) return;
  // The kernel keeps a packet queued if its verdict is lost; the unbind at
  // exit then releases it. Nothing better can be done from here.
  mnl_socket_sendto(socket_, verdicts_.data(), verdicts_.size());
  verdicts_.clear();
}

}  // namespace nmz::plugins::ethernet
