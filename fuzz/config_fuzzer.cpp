// SPDX-License-Identifier: Apache-2.0
// The config loader on arbitrary bytes: any input must give a Config or a
// clear error, never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = nmz::core::parse_config(text, "fuzz.toml");
  if (config) {
    // What a policy does with its parameters, on whatever keys came in.
    auto view = nmz::core::TomlConfigView::for_policy(*config);
    for (const auto* key : {"interval", "minInterval", "maxInterval", "faultActionProbability", "seed"}) {
      (void)view->get_duration(key);
      (void)view->get_double(key);
      (void)view->get_int(key);
      (void)view->get_string_list(key);
    }
  }
  return 0;
}
