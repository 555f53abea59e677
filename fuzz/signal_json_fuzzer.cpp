// SPDX-License-Identifier: Apache-2.0
// The signal JSON parser (what REST clients POST) on arbitrary bytes: an
// event, an action or a clear error, and whatever parses serialises again.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nmz/sdk/signal_json.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto event = nmz::sdk::event_from_json(text)) (void)nmz::sdk::to_json(*event);
  if (auto action = nmz::sdk::action_from_json(text)) (void)nmz::sdk::to_json(*action);
  return 0;
}
