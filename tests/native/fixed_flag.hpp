// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstring>

// Every bundled buggy program has a fixed twin, selected by `--fixed`,
// which must never fail under any schedule.
inline bool fixed_twin(int argc, char** argv) { return argc > 1 && std::strcmp(argv[1], "--fixed") == 0; }
