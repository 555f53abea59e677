// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

namespace nmz::core {

// The seed every random decision of a run is drawn from.
struct RunSeed {
  std::string text;         // as written by the user, or the decimal of a chosen one
  std::uint64_t value = 0;  // the integer itself, or FNV-1a-64 of non-numeric text
  bool chosen = false;      // nmz picked it (nothing was configured)
};

// In order: NMZ_SEED, NMZ_REPLAY_SEED (Namazu's), `configured` (from the
// config), else a fresh random one.
RunSeed resolve_seed(const std::string& configured);

}  // namespace nmz::core
