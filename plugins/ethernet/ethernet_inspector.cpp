// SPDX-License-Identifier: Apache-2.0
// `ethernet`: holds packets (NFQUEUE, or hookswitch over ZeroMQ) until the
// policy answers their PacketEvent: accept, drop, or accept with duplicates.
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>

#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/plugin.hpp>
#include <nmz/sdk/stop_signal.hpp>

#include "ethernet_options.hpp"
#include "hookswitch_server.hpp"
#include "nfq_queue.hpp"
#include "packet_gate.hpp"
#include "packet_injector.hpp"
#include "packet_naming.hpp"
#include "process_namer.hpp"
#include "rule_set.hpp"

namespace nmz::plugins::ethernet {
namespace {

// NFQUEUE hands over the IP packet; events carry an Ethernet frame as
// Namazu's did: broadcast destination, zero source, the IP ethertype.
std::string dummy_ethernet_frame(std::string_view ip_packet) {
  std::string frame;
  frame.reserve(14 + ip_packet.size());
  frame.append(6, '\xff');
  frame.append(6, '\0');
  bool v6 = !ip_packet.empty() && (static_cast<unsigned char>(ip_packet[0]) >> 4) == 6;
  frame += v6 ? "\x86\xdd" : std::string("\x08\x00", 2);
  frame.append(ip_packet);
  return frame;
}

class EthernetInspector final : public sdk::Inspector {
 public:
  sdk::Status configure(const sdk::ComponentContext& /*context*/, const sdk::InspectorSettings& settings) noexcept override {
    return nmz::sdk::guarded("", [&]() -> sdk::Status {
      if (!stop_.ok()) return sdk::Status::error(sdk::StatusCode::internal, "eventfd failed");
      auto options = parse_ethernet_options(settings.args);
      if (!options) return options.status();
      options_ = std::move(*options);
      auto naming = PacketNaming::create(options_.nodes, read_ephemeral_port_low());
      if (!naming) return sdk::Status::invalid("nmz inspectors ethernet: " + naming.status().message());
      naming_ = std::move(*naming);
      return sdk::Status::ok();
    });
  }

  Outcome run(sdk::InspectorHost& host) noexcept override {
    return nmz::sdk::guarded("", [&]() -> Outcome {
      return options_.nfq_mode() ? run_nfq(host) : run_hookswitch(host);
    });
  }

  void request_stop() noexcept override {
    stopping_ = true;
    stop_.raise();
  }

  // PacketGate registers a packet before submitting its event and holds no
  // lock across submit, and on_action only sends a verdict.
  ActionDelivery action_delivery() const noexcept override { return ActionDelivery::inline_allowed; }

  void on_action(sdk::Action action) noexcept override {
    try {
      if (gate_) gate_->on_action(action);
    } catch (...) {
      // Out of memory while logging; the packet is released at stop.
    }
  }

 private:
  Outcome run_nfq(sdk::InspectorHost& host) {
    auto queue = NfqQueue::open({static_cast<std::uint16_t>(options_.nfq_number), options_.queue_length,
                                 options_.fail_open});
    if (!queue) return {queue.status(), 1};
    RuleSet rules(options_.rules, static_cast<std::uint16_t>(options_.nfq_number), host.logger());
    if (auto status = rules.install(); !status) return {status, 1};
    if (auto status = injector_.open(); !status) {
      host.logger().warn("duplicate faults disabled: " + status.message());
    }
    ProcessNodeLookup process_nodes;
    if (options_.name_by_process) {
      // Opened here, in the namespace of the traffic the queue sees.
      auto sockets = SockDiag::open();
      if (!sockets) {
        return {sdk::Status::error(sockets.status().code(),
                                   "naming endpoints after their processes: " + sockets.status().message() +
                                       " (-name-by-process=false names them by address)"),
                1};
      }
      process_namer_.emplace(read_ephemeral_port_low(), std::move(*sockets));
      process_nodes = [this](Transport transport, const Endpoint& local, const Endpoint& remote) {
        return process_namer_->name(transport, local, remote);
      };
    }
    start_gate(host, **queue, std::move(process_nodes));
    host.logger().info("inspecting NFQUEUE " + std::to_string(options_.nfq_number));
    sdk::Status status = (*queue)->receive(stopping_, [this](std::uint32_t id, std::string_view ip_packet) {
      gate_->on_packet(id, dummy_ethernet_frame(ip_packet), 14);
    });
    finish_gate(host);
    if (process_namer_) {
      host.logger().info("named endpoints after their processes with " + std::to_string(process_namer_->scans()) +
                         " scan(s) of /proc");
    }
    rules.remove();
    // What arrived between the last receive and the rules' removal would be
    // dropped by the unbind: accept it first.
    (*queue)->drain_accept();
    if ((*queue)->overruns() > 0) {
      host.logger().warn(std::to_string((*queue)->overruns()) + " netlink overruns (socket buffer full)");
    }
    return {status, 0};
  }

  Outcome run_hookswitch(sdk::InspectorHost& host) {
    auto server = HookswitchServer::bind(options_.hookswitch, host.logger());
    if (!server) return {server.status(), 1};
    start_gate(host, **server);
    host.logger().info("serving hookswitch at " + options_.hookswitch);
    sdk::Status status = (*server)->serve(stop_.fd(), [this](std::uint32_t id, std::string frame) {
      std::size_t offset = ip_offset_in_frame(frame);
      gate_->on_packet(id, std::move(frame), offset);
    });
    finish_gate(host);
    (*server)->flush();
    return {status, 0};
  }

  void start_gate(sdk::InspectorHost& host, VerdictPort& port, ProcessNodeLookup process_nodes = {}) {
    gate_ = std::make_unique<PacketGate>(naming_, injector_.ready() ? &injector_ : nullptr, options_.payload_bytes,
                                         std::move(process_nodes));
    gate_->open(host, port);
  }

  void finish_gate(sdk::InspectorHost& host) {
    std::size_t released = gate_->close();
    PacketGate::Counters c = gate_->counters();
    host.logger().info("released " + std::to_string(released) + " held packet(s); " + std::to_string(c.events) +
                       " events, " + std::to_string(c.accepted) + " accepted, " + std::to_string(c.dropped) +
                       " dropped, " + std::to_string(c.duplicated) + " duplicated, " +
                       std::to_string(c.retransmissions_dropped) + " retransmissions dropped");
  }

  EthernetOptions options_;
  PacketNaming naming_;
  PacketInjector injector_;
  std::optional<ProcessNamer> process_namer_;  // NFQUEUE mode with -name-by-process
  // Created in run() and kept until the destructor: on_action may still come
  // after run() returned, and the gate then ignores it.
  std::unique_ptr<PacketGate> gate_;
  sdk::StopSignal stop_;  // hookswitch mode polls it
  std::atomic<bool> stopping_{false};
};

void register_components(sdk::Registrar& registrar) {
  registrar.add_inspector("ethernet", &sdk::make_inspector<EthernetInspector>,
                          "packets through NFQUEUE (-nfq-number) or hookswitch/ZeroMQ (-hookswitch): "
                          "PacketEvent / EventAcceptanceAction, PacketFaultAction");
}

}  // namespace
}  // namespace nmz::plugins::ethernet

NMZ_PLUGIN("ethernet", "0.3.0", "Ethernet inspector (NFQUEUE, hookswitch)",
           nmz::plugins::ethernet::register_components)
