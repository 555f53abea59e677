// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>

namespace nmz::plugins {

// The node a packet endpoint (a PacketEvent's src_entity or dst_entity)
// belongs to: "entity-10.0.0.1:2181" -> "10.0.0.1", "entity-[::1]:80" ->
// "::1", a node name (-node NAME=...) stays itself; nothing for an empty or
// unknown endpoint (non-TCP/UDP packets).
std::optional<std::string> endpoint_node(const std::string& entity);

}  // namespace nmz::plugins
