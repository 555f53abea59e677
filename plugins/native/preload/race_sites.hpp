// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

// The instructions known to race, for race-directed scheduling (`-tsan
// -races FILE`): the pairs the races file lists (see race_file.hpp), which
// the happens-before detector's finds are added to. Only accesses made by
// these instructions are scheduling points, so PCT's few preemptions land
// where they can split a racing pair instead of among thousands of
// harmless accesses.
namespace nmz::native::preload {

// Reads the races file named by the environment (NMZ_NATIVE_RACES), when
// there is one, and keeps it open to append new pairs. Called once, by the
// claiming thread before any other thread is controlled. Returns whether
// race-directed mode is on. A file that cannot be read or has malformed
// lines turns the mode off with a message (the inspector checks it before
// the run, so that means it changed meanwhile).
bool load_race_sites();

// Whether race-directed mode is on.
bool race_directed();

// Whether the instruction at `pc` (an absolute address) is known to race.
// Lock-free: called at every instrumented access.
bool racy_instruction(std::uintptr_t pc);

// The detector saw `earlier_pc` and `pc` race: the pair is appended to the
// races file unless it is already there. They become scheduling points in
// the next runs, not in this one, whose points depend on the file as it was
// at the start only (a seed replays with the same file). The caller
// serialises calls.
void report_race(std::uintptr_t earlier_pc, std::uintptr_t pc);

}  // namespace nmz::native::preload
