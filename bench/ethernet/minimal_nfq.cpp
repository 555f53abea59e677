// SPDX-License-Identifier: Apache-2.0
// The bench's baseline: the least a program can do with NFQUEUE, accept
// every packet at once, bound with the same settings as nmz (whole packets
// copied, GSO, fail-open) so that only nmz's own work differs.
//   minimal_nfq QUEUE [--batch]     runs until SIGTERM/SIGINT
// Plain: one recv and one verdict send a packet, the textbook loop.
// --batch: the system calls nmz makes, one recvmmsg for what is queued and
// one send for the verdicts of the batch, so that the ratio against it is
// nmz's own work alone.
#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>

namespace {

volatile sig_atomic_t stopping = 0;
void on_signal(int) { stopping = 1; }

void send_or_die(mnl_socket* nl, nlmsghdr* msg) {
  if (mnl_socket_sendto(nl, msg, msg->nlmsg_len) < 0) {
    std::perror("mnl_socket_sendto");
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool batch = argc == 3 && std::strcmp(argv[2], "--batch") == 0;
  if (argc != 2 && !batch) {
    std::fprintf(stderr, "usage: minimal_nfq QUEUE [--batch]\n");
    return 2;
  }
  auto queue = static_cast<std::uint16_t>(std::atoi(argv[1]));
  struct sigaction action {};
  action.sa_handler = on_signal;  // no SA_RESTART: recv returns EINTR
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);

  mnl_socket* nl = mnl_socket_open(NETLINK_NETFILTER);
  if (nl == nullptr || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    std::perror("netlink");
    return 1;
  }
  char control[512];
  nlmsghdr* msg = nfq_nlmsg_put(control, NFQNL_MSG_CONFIG, queue);
  nfq_nlmsg_cfg_put_cmd(msg, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
  send_or_die(nl, msg);
  msg = nfq_nlmsg_put(control, NFQNL_MSG_CONFIG, queue);
  nfq_nlmsg_cfg_put_params(msg, NFQNL_COPY_PACKET, 0xffff);
  nfq_nlmsg_cfg_put_qmaxlen(msg, 65536);
  mnl_attr_put_u32(msg, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
  mnl_attr_put_u32(msg, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
  send_or_die(nl, msg);
  int size = 16 * 1024 * 1024;
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  int on = 1;
  setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof on);
  std::fprintf(stderr, "minimal_nfq: bound queue %u\n", queue);

  constexpr std::size_t kBufferSize = 0x10000 + 4096;  // slots back to back stay aligned for nlmsghdr
  constexpr unsigned kBatch = 16;
  unsigned slots = batch ? kBatch : 1;
  std::vector<char> buffers(slots * kBufferSize);
  std::vector<iovec> slices(slots);
  std::vector<mmsghdr> messages(slots);
  for (unsigned i = 0; i < slots; ++i) {
    slices[i] = {buffers.data() + i * kBufferSize, kBufferSize};
    messages[i] = {};
    messages[i].msg_hdr.msg_iov = &slices[i];
    messages[i].msg_hdr.msg_iovlen = 1;
  }
  std::vector<char> verdicts(slots * 512);
  while (stopping == 0) {
    int received = 1;
    if (batch) {
      received = recvmmsg(mnl_socket_get_fd(nl), messages.data(), slots, MSG_WAITFORONE, nullptr);
    } else {
      ssize_t length = mnl_socket_recvfrom(nl, buffers.data(), kBufferSize);
      if (length >= 0) messages[0].msg_len = static_cast<unsigned>(length);
      received = length < 0 ? -1 : 1;
    }
    if (received < 0) {
      if (errno == EINTR || errno == ENOBUFS) continue;
      std::perror("recv");
      return 1;
    }
    std::size_t queued = 0;
    for (int i = 0; i < received; ++i) {
      int remaining = static_cast<int>(messages[i].msg_len);
      for (auto* m = static_cast<nlmsghdr*>(slices[i].iov_base); mnl_nlmsg_ok(m, remaining);
           m = mnl_nlmsg_next(m, &remaining)) {
        nlattr* attrs[NFQA_MAX + 1] = {};
        if (nfq_nlmsg_parse(m, attrs) < 0 || attrs[NFQA_PACKET_HDR] == nullptr) continue;
        const auto* packet = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attrs[NFQA_PACKET_HDR]));
        if (verdicts.size() < queued + 512) verdicts.resize(2 * verdicts.size());
        nlmsghdr* verdict = nfq_nlmsg_put(verdicts.data() + queued, NFQNL_MSG_VERDICT, queue);
        nfq_nlmsg_verdict_put(verdict, static_cast<int>(ntohl(packet->packet_id)), NF_ACCEPT);
        queued += NLMSG_ALIGN(verdict->nlmsg_len);
        if (!batch) {
          send_or_die(nl, verdict);
          queued = 0;
        }
      }
    }
    if (queued > 0 && mnl_socket_sendto(nl, verdicts.data(), queued) < 0) {
      std::perror("mnl_socket_sendto");
      return 1;
    }
  }
  msg = nfq_nlmsg_put(control, NFQNL_MSG_CONFIG, queue);
  nfq_nlmsg_cfg_put_cmd(msg, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
  mnl_socket_sendto(nl, msg, msg->nlmsg_len);
  mnl_socket_close(nl);
  return 0;
}
