// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace nmz::core::experiment {

// What a dead nmz left on the machine, from its restore records
// (nmz::sdk::RestoreRecord, in nmz::sdk::restore_record_dir()).
struct Leftover {
  std::string what;
  int owner_pid = 0;
  std::vector<std::string> steps;  // the commands, for people
  std::string interrupted_run;  // the run directory `nmz run` was in, if any
};

// Finds the records whose owner is dead (records of live processes are
// locked and never touched). With `apply`, runs each record's steps, marks
// its run `interrupted` (unless the run had recorded an outcome) and
// removes the record; `report` gets one line per leftover and per failed step.
std::vector<Leftover> clean_leftovers(bool apply, const std::function<void(const std::string&)>& report);

}  // namespace nmz::core::experiment
