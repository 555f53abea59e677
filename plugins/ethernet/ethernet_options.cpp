// SPDX-License-Identifier: Apache-2.0
#include "ethernet_options.hpp"

#include <nmz/sdk/flags.hpp>

namespace nmz::plugins::ethernet {

sdk::Result<EthernetOptions> parse_ethernet_options(const std::vector<std::string>& args) {
  EthernetOptions options;
  std::int64_t queue_length = options.queue_length;
  std::int64_t uid = -1;
  std::int64_t payload_bytes = options.payload_bytes;
  sdk::FlagSet flags("nmz inspectors ethernet");
  flags.add_int("nfq-number", &options.nfq_number, "NFQUEUE number (0-65535); negative or unset: hookswitch (ZeroMQ) mode");
  flags.add_string("hookswitch", &options.hookswitch, "ZeroMQ address to bind for hookswitch");
  flags.add_int("queue-length", &queue_length, "most packets the kernel holds in the queue");
  flags.add_bool("fail-open", &options.fail_open, "when the queue is full the kernel accepts packets instead of dropping them");
  flags.add_int("payload-bytes", &payload_bytes,
                "how many bytes of each frame events carry in \"bytes\" (default: all; less is cheaper for bulk traffic)");
  flags.add_string_list("node", &options.nodes,
                        "NAME=ADDR, NAME=ADDR:PORT, NAME=[IPV6]:PORT or NAME=:PORT: name endpoints after nodes (repeatable)");
  flags.add_bool("name-by-process", &options.name_by_process,
                 "NFQUEUE mode: when a packet's two endpoints share an address (127.0.0.1), name each after the "
                 "process that owns its socket (its lowest listening port), not entity-ADDR:PORT");
  flags.add_string("rule-tcp-ports", &options.rules.tcp_ports, "queue TCP packets from or to these ports (2181,2888:3888)");
  flags.add_string("rule-udp-ports", &options.rules.udp_ports, "queue UDP packets from or to these ports");
  flags.add_int("rule-uid", &uid, "queue packets sent by sockets of this user id");
  flags.add_string("rule-cgroup", &options.rules.cgroup, "queue packets sent by processes of this cgroup v2 path");
  flags.add_string_list("rule-bridge", &options.rules.bridges, "queue packets bridged by this bridge (repeatable)");
  flags.add_bool("rule-all", &options.rules.all, "queue every packet this network namespace sends");
  if (auto status = flags.parse(args); !status) return status;
  if (!flags.positionals().empty()) {
    return sdk::Status::invalid("nmz inspectors ethernet: unexpected argument \"" + flags.positionals().front() +
                                "\" (the ethernet inspector runs no command)");
  }
  if (options.nfq_number > 0xffff) {
    return sdk::Status::invalid("nmz inspectors ethernet: flag -nfq-number: expected a queue number 0-65535, got " +
                                std::to_string(options.nfq_number));
  }
  if (!options.nfq_mode() && options.hookswitch.empty()) {
    return sdk::Status::invalid("nmz inspectors ethernet: flag -hookswitch is invalid: empty address");
  }
  if (options.nfq_mode() && flags.was_set("hookswitch")) {
    return sdk::Status::invalid("nmz inspectors ethernet: -nfq-number and -hookswitch select different modes; give one");
  }
  if (queue_length < 1 || queue_length > 0xffffffffLL) {
    return sdk::Status::invalid("nmz inspectors ethernet: flag -queue-length: expected 1 or more, got " +
                                std::to_string(queue_length));
  }
  options.queue_length = static_cast<std::uint32_t>(queue_length);
  if (payload_bytes < 0 || payload_bytes > 0xffffffffLL) {
    return sdk::Status::invalid("nmz inspectors ethernet: flag -payload-bytes: expected 0 or more, got " +
                                std::to_string(payload_bytes));
  }
  options.payload_bytes = static_cast<std::uint32_t>(payload_bytes);
  if (flags.was_set("rule-uid")) {
    if (uid < 0 || uid > 0xfffffffeLL) {
      return sdk::Status::invalid("nmz inspectors ethernet: flag -rule-uid: expected a user id, got " +
                                  std::to_string(uid));
    }
    options.rules.uid = static_cast<std::uint32_t>(uid);
  }
  if (!options.rules.empty() && !options.nfq_mode()) {
    return sdk::Status::invalid("nmz inspectors ethernet: the -rule-* flags install NFQUEUE rules and need -nfq-number");
  }
  if (auto status = validate_selector(options.rules); !status) {
    return sdk::Status::invalid("nmz inspectors ethernet: " + status.message());
  }
  return options;
}

}  // namespace nmz::plugins::ethernet
