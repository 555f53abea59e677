// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "rule_set.hpp"

namespace nmz::plugins::ethernet {

inline constexpr const char* kDefaultHookswitchAddress = "ipc:///tmp/namazu-hookswitch-zmq";

// `nmz inspectors ethernet` flags, checked.
struct EthernetOptions {
  // NFQUEUE mode when 0 or more, else hookswitch (ZeroMQ) mode (Namazu's rule).
  std::int64_t nfq_number = -1;
  std::string hookswitch = kDefaultHookswitchAddress;
  std::uint32_t queue_length = 65536;
  bool fail_open = true;
  std::uint32_t payload_bytes = 0xffffffff;  // all of the frame
  std::vector<std::string> nodes;
  // Name the endpoints of flows whose two ends share an address after the
  // processes that own their sockets (NFQUEUE mode: the processes are in
  // this namespace).
  bool name_by_process = true;
  RuleSelector rules;

  [[nodiscard]] bool nfq_mode() const { return nfq_number >= 0; }
};

// Parses with nmz::sdk::FlagSet (Go-style syntax). Errors name the flag.
sdk::Result<EthernetOptions> parse_ethernet_options(const std::vector<std::string>& args);

}  // namespace nmz::plugins::ethernet
