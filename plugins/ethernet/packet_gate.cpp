// SPDX-License-Identifier: Apache-2.0
#include "packet_gate.hpp"

#include <algorithm>
#include <vector>

namespace nmz::plugins::ethernet {

void PacketGate::open(sdk::InspectorHost& host, VerdictPort& port) {
  std::lock_guard lock(mutex_);
  host_ = &host;
  port_ = &port;
  open_ = true;
}

void PacketGate::on_packet(std::uint32_t packet_id, std::string frame, std::size_t ip_offset) {
  std::optional<IpPacket> packet;
  if (ip_offset != std::string::npos && ip_offset <= frame.size()) {
    packet = parse_ip_packet(std::string_view(frame).substr(ip_offset));
  }
  const FlowNames* names = packet && packet->transport != Transport::other ? &flow_names_.names(*packet) : nullptr;
  bool tcp = packet && packet->transport == Transport::tcp;
  std::string flow = tcp ? names->flow_key : std::string();
  if (tcp && filter_.is_retransmission(flow, *packet)) {
    port_->verdict(packet_id, Verdict::drop);
    std::lock_guard lock(mutex_);
    ++counters_.retransmissions_dropped;
    return;
  }
  std::string hint = names    ? PacketNaming::replay_hint(names->hint_flow, *packet)
                     : packet ? naming_.replay_hint(*packet)
                              : "non-ip";
  std::string_view unknown = kUnknownEntity;
  sdk::Event event = sdk::make_packet_event(std::string(host_->entity_id()), names ? names->src_entity : unknown,
                                            names ? names->dst_entity : unknown,
                                            frame.substr(0, payload_bytes_), std::move(hint));
  Held held{packet_id, 0, std::move(flow), std::move(frame),
            packet ? ip_offset : std::string::npos};
  {
    std::lock_guard lock(mutex_);
    if (!open_) {
      port_->verdict(packet_id, Verdict::accept);
      return;
    }
    held.token = next_token_++;
    if (tcp) filter_.hold(held.flow, *packet, held.token);
    // Registered before submit: the action may come back before submit returns.
    held_.emplace(event.uuid, std::move(held));
    ++counters_.events;
  }
  std::string uuid = event.uuid;
  sdk::Status status = host_->submit(std::move(event));
  if (!status) {
    // No action will come: let the packet through rather than wedge its flow.
    host_->logger().warn("packet event not accepted (" + status.message() + "); accepting the packet");
    std::unique_lock lock(mutex_);
    auto node = held_.extract(uuid);
    lock.unlock();
    if (!node.empty()) answer(node.mapped(), Verdict::accept, 0);
  }
}

void PacketGate::on_action(const sdk::Action& action) {
  std::unique_lock lock(mutex_);
  if (!open_) return;
  auto node = held_.extract(action.event_uuid);
  if (!node.empty()) ++answering_;
  lock.unlock();
  if (node.empty()) {
    host_->logger().warn(action.class_name + " for event " + action.event_uuid + ", which holds no packet: ignored");
    return;
  }
  Verdict verdict = Verdict::accept;
  std::int64_t duplicates = 0;
  try {
    if (action.class_name == sdk::action_class::packet_fault) {
      verdict = Verdict::drop;
    } else {
      if (action.class_name != sdk::action_class::event_acceptance) {
        host_->logger().warn("unexpected " + action.class_name + " for a packet: accepting it");
      }
      duplicates = sdk::option_int(action.option, "duplicate").value_or(0);
      if (duplicates < 0 || duplicates > kMaxDuplicates) {
        host_->logger().warn("option duplicate=" + std::to_string(duplicates) + " out of range 0.." +
                             std::to_string(kMaxDuplicates) + ": ignored");
        duplicates = 0;
      }
    }
  } catch (...) {
    // Out of memory while reading the option: plain acceptance.
  }
  answer_action(node.mapped(), verdict, duplicates);
}

std::uint64_t PacketGate::send(Held& held, Verdict verdict, std::int64_t duplicates) {
  if (!held.flow.empty()) filter_.release(held.flow, held.token);
  port_->verdict(held.packet_id, verdict);
  std::uint64_t injected = 0;
  if (duplicates > 0 && injector_ != nullptr && held.ip_offset != std::string::npos) {
    for (std::int64_t i = 0; i < duplicates; ++i) {
      sdk::Status status = injector_->inject(held.frame.substr(held.ip_offset));
      if (!status) {
        host_->logger().warn("duplicate not sent: " + status.message());
        break;
      }
      ++injected;
    }
  }
  return injected;
}

void PacketGate::count_answer(Verdict verdict, std::uint64_t injected) {
  ++(verdict == Verdict::accept ? counters_.accepted : counters_.dropped);
  counters_.duplicated += injected;
}

void PacketGate::answer(Held& held, Verdict verdict, std::int64_t duplicates) {
  std::uint64_t injected = send(held, verdict, duplicates);
  std::lock_guard lock(mutex_);
  count_answer(verdict, injected);
}

void PacketGate::answer_action(Held& held, Verdict verdict, std::int64_t duplicates) {
  std::uint64_t injected = 0;
  try {
    injected = send(held, verdict, duplicates);
  } catch (...) {
    // The verdict went out first; only a duplicate or its log line failed.
  }
  // One lock for the count and the end of the answer: this is every
  // packet's path.
  std::lock_guard lock(mutex_);
  count_answer(verdict, injected);
  if (--answering_ == 0) answered_.notify_all();
}

std::size_t PacketGate::close() {
  std::unordered_map<std::string, Held> held;
  {
    std::lock_guard lock(mutex_);
    open_ = false;
    held.swap(held_);
  }
  // In arrival order, so that a flow released at stop is not reordered.
  std::vector<Held*> order;
  order.reserve(held.size());
  for (auto& [uuid, packet] : held) order.push_back(&packet);
  std::sort(order.begin(), order.end(), [](const Held* a, const Held* b) { return a->token < b->token; });
  for (Held* packet : order) answer(*packet, Verdict::accept, 0);
  std::unique_lock lock(mutex_);
  answered_.wait(lock, [this] { return answering_ == 0; });
  counters_.released_at_stop += held.size();
  return held.size();
}

std::size_t PacketGate::held() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

PacketGate::Counters PacketGate::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace nmz::plugins::ethernet
