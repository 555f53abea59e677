// SPDX-License-Identifier: Apache-2.0
// The bench's baseline: the least a program can do with NFQUEUE, accept
// every packet at once, bound with the same settings as nmz (whole packets
// copied, GSO, fail-open) so that only nmz's own work differs.
//   minimal_nfq QUEUE     runs until SIGTERM/SIGINT
#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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
  if (argc != 2) {
    std::fprintf(stderr, "usage: minimal_nfq QUEUE\n");
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

  std::vector<char> buffer(0xffff + 4096);
  while (stopping == 0) {
    ssize_t length = mnl_socket_recvfrom(nl, buffer.data(), buffer.size());
    if (length < 0) {
      if (errno == EINTR || errno == ENOBUFS) continue;
      std::perror("recv");
      return 1;
    }
    int remaining = static_cast<int>(length);
    for (auto* m = reinterpret_cast<nlmsghdr*>(buffer.data()); mnl_nlmsg_ok(m, remaining);
         m = mnl_nlmsg_next(m, &remaining)) {
      nlattr* attrs[NFQA_MAX + 1] = {};
      if (nfq_nlmsg_parse(m, attrs) < 0 || attrs[NFQA_PACKET_HDR] == nullptr) continue;
      const auto* packet = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attrs[NFQA_PACKET_HDR]));
      char out[512];
      nlmsghdr* verdict = nfq_nlmsg_put(out, NFQNL_MSG_VERDICT, queue);
      nfq_nlmsg_verdict_put(verdict, static_cast<int>(ntohl(packet->packet_id)), NF_ACCEPT);
      send_or_die(nl, verdict);
    }
  }
  msg = nfq_nlmsg_put(control, NFQNL_MSG_CONFIG, queue);
  nfq_nlmsg_cfg_put_cmd(msg, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
  mnl_socket_sendto(nl, msg, msg->nlmsg_len);
  mnl_socket_close(nl);
  return 0;
}
