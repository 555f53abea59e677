// SPDX-License-Identifier: Apache-2.0
// A process that starts a child the way nmz does and then waits to be
// killed, for tests of what happens to the child (or to a restore record)
// when its nmz dies.
//   child_process_helper kill|keep|group AFTER_DEATH_FILE -- CMD...
//   child_process_helper record STEP_FILE
// Prints the child's pid (or "recorded") on stdout once ready.
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <nmz/sdk/child_process.hpp>
#include <nmz/sdk/restore_record.hpp>

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "record") == 0) {
    auto record = nmz::sdk::RestoreRecord::create("test helper: touch " + std::string(argv[2]));
    if (!record || !record->set_steps({{{"touch", argv[2]}, ""}})) return 1;
    std::cout << "recorded" << std::endl;
    pause();
    return 0;
  }
  if (argc < 5 || std::strcmp(argv[3], "--") != 0) return 2;
  nmz::sdk::ChildOptions options;
  std::string mode = argv[1];
  options.on_parent_death = mode == "kill"   ? nmz::sdk::OnParentDeath::kill
                            : mode == "keep" ? nmz::sdk::OnParentDeath::keep
                                             : nmz::sdk::OnParentDeath::kill_group;
  options.parent_death_grace = std::chrono::milliseconds(200);
  options.after_parent_death = {"touch", argv[2]};
  auto child = nmz::sdk::ChildProcess::start(std::vector<std::string>(argv + 4, argv + argc), options);
  if (!child) {
    std::cerr << child.status().message() << "\n";
    return 1;
  }
  std::cout << child->pid() << std::endl;
  pause();
  return 0;
}
