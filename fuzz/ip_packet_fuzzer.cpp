// SPDX-License-Identifier: Apache-2.0
// The ethernet inspector's packet handling on arbitrary bytes as NFQUEUE
// hands them over (an IP packet, no link-layer header): parsing, naming
// the endpoints, the replay hint, the flow cache, the TCP retransmission
// filter and the checksum fix of injected copies. Never a crash or a
// sanitizer report; a packet whose checksums were fixed parses as before.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "flow_names.hpp"
#include "ip_packet.hpp"
#include "packet_naming.hpp"
#include "tcp_retransmission_filter.hpp"

namespace {

using namespace nmz::plugins::ethernet;

// Every form of -node mapping, so each lookup path is reached.
const PacketNaming& naming() {
  static const PacketNaming instance =
      *PacketNaming::create({"zk1=10.0.0.1", "zk2=10.0.0.2:2888", "v6=[::1]:9", "web=:80"}, 32768);
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto packet = parse_ip_packet(bytes);
  if (!packet) return 0;
  (void)naming().entity(*packet, packet->src);
  (void)naming().entity(*packet, packet->dst);
  (void)naming().replay_hint(*packet);
  if (packet->transport != Transport::other) {
    FlowNameCache cache(naming());
    const FlowNames& names = cache.names(*packet);
    if (PacketNaming::replay_hint(names.hint_flow, *packet) != naming().replay_hint(*packet)) std::abort();
    if (packet->transport == Transport::tcp) {
      TcpRetransmissionFilter filter;
      filter.hold(names.flow_key, *packet, 1);
      (void)filter.is_retransmission(names.flow_key, *packet);
      filter.release(names.flow_key, 1);
    }
  }
  std::string copy = bytes;
  fix_checksums(copy);
  auto fixed = parse_ip_packet(copy);
  if (!fixed || fixed->transport != packet->transport || fixed->src != packet->src || fixed->dst != packet->dst) {
    std::abort();
  }
  return 0;
}
