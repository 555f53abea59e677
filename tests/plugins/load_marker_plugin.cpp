// SPDX-License-Identifier: Apache-2.0
// Test-only plugin: code that runs as soon as the library is loaded (a
// static constructor, before nmz could call anything) creates the file
// $NMZ_TEST_LOAD_MARKER. A plugin nmz refuses must never get that far.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include <nmz/sdk/plugin.hpp>

namespace {

__attribute__((constructor)) void mark_loaded() {
  if (const char* path = std::getenv("NMZ_TEST_LOAD_MARKER"); path != nullptr) {
    const int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
}

std::unique_ptr<nmz::sdk::ExplorePolicy> no_policy() noexcept { return nullptr; }

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-load-marker", &no_policy, "marks that its library was loaded");
}

}  // namespace

NMZ_PLUGIN("test-load-marker", "0.1.0", "runs code at load time", register_components)
