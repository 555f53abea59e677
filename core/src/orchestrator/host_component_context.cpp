// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/host_component_context.hpp"

namespace nmz::core {

HostComponentContext::HostComponentContext(std::string name, std::unique_ptr<sdk::ConfigView> options, RunSeed seed)
    : name_(std::move(name)), logger_(name_), options_(std::move(options)), seed_(std::move(seed)) {}

}  // namespace nmz::core
