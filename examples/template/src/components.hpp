// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/registrar.hpp>

// The factories plugin.cpp registers.
std::unique_ptr<nmz::sdk::ExplorePolicy> make_my_policy() noexcept;
std::unique_ptr<nmz::sdk::Inspector> make_syslog_inspector() noexcept;
