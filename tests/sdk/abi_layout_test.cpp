// SPDX-License-Identifier: Apache-2.0
// The plugin ABI contract, written down: the layout of every value type that
// crosses the boundary between nmz and a plugin, and the vtable slot of every
// interface method. A change here breaks every plugin binary built before it:
// bump NMZ_SDK_ABI_VERSION (docs/abi-policy.md) and record the new layout.
// The numbers are those of the only ABI nmz supports: x86-64, libstdc++'s
// C++11 std::string.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <doctest/doctest.h>

#include <nmz/sdk/abi.hpp>
#include <nmz/sdk/context.hpp>
#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/registrar.hpp>
#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

namespace sdk = nmz::sdk;

static_assert(NMZ_SDK_ABI_VERSION == 3, "the ABI number changed: record the new layouts below");

namespace {

// The number of members of an aggregate: how many initialisers it accepts. A
// member added into padding keeps every size and offset, but a plugin built
// before it never sets it.
struct AnyMember {
  template <class T>
  operator T() const;  // NOLINT(google-explicit-constructor): only used unevaluated
};
template <class T, class... Members>
constexpr std::size_t member_count() {
  if constexpr (requires { T{Members{}..., AnyMember{}}; }) {
    return member_count<T, Members..., AnyMember>();
  } else {
    return sizeof...(Members);
  }
}

}  // namespace

#define NMZ_ASSERT_MEMBERS(Type, count) \
  static_assert(member_count<Type>() == (count), #Type " gained or lost a member: bump NMZ_SDK_ABI_VERSION")
#define NMZ_ASSERT_FIELD(Type, field, offset) \
  static_assert(offsetof(Type, field) == (offset), #Type "::" #field " moved: bump NMZ_SDK_ABI_VERSION")
#define NMZ_ASSERT_SIZE(Type, size) \
  static_assert(sizeof(Type) == (size), "sizeof(" #Type ") changed: bump NMZ_SDK_ABI_VERSION")

static_assert(std::is_same_v<sdk::PluginEntryFn, const sdk::PluginInfo*()>,
              "the entry function type changed: bump NMZ_SDK_ABI_VERSION");
static_assert(std::is_standard_layout_v<sdk::PluginInfo>);
NMZ_ASSERT_MEMBERS(sdk::PluginInfo, 8);
NMZ_ASSERT_SIZE(sdk::PluginInfo, 56);
NMZ_ASSERT_FIELD(sdk::PluginInfo, abi_version, 0);
NMZ_ASSERT_FIELD(sdk::PluginInfo, info_size, 4);
NMZ_ASSERT_FIELD(sdk::PluginInfo, sdk_version, 8);
NMZ_ASSERT_FIELD(sdk::PluginInfo, build_fingerprint, 16);
NMZ_ASSERT_FIELD(sdk::PluginInfo, name, 24);
NMZ_ASSERT_FIELD(sdk::PluginInfo, version, 32);
NMZ_ASSERT_FIELD(sdk::PluginInfo, description, 40);
NMZ_ASSERT_FIELD(sdk::PluginInfo, register_components, 48);

static_assert(std::is_standard_layout_v<sdk::Event>);
NMZ_ASSERT_MEMBERS(sdk::Event, 7);
NMZ_ASSERT_SIZE(sdk::Event, 200);
NMZ_ASSERT_FIELD(sdk::Event, uuid, 0);
NMZ_ASSERT_FIELD(sdk::Event, entity, 32);
NMZ_ASSERT_FIELD(sdk::Event, class_name, 64);
NMZ_ASSERT_FIELD(sdk::Event, deferred, 96);
NMZ_ASSERT_FIELD(sdk::Event, replay_hint, 104);
NMZ_ASSERT_FIELD(sdk::Event, option, 136);
NMZ_ASSERT_FIELD(sdk::Event, payload, 168);

static_assert(std::is_standard_layout_v<sdk::Action>);
NMZ_ASSERT_MEMBERS(sdk::Action, 5);
NMZ_ASSERT_SIZE(sdk::Action, 160);
NMZ_ASSERT_FIELD(sdk::Action, uuid, 0);
NMZ_ASSERT_FIELD(sdk::Action, entity, 32);
NMZ_ASSERT_FIELD(sdk::Action, class_name, 64);
NMZ_ASSERT_FIELD(sdk::Action, event_uuid, 96);
NMZ_ASSERT_FIELD(sdk::Action, option, 128);

static_assert(std::is_standard_layout_v<sdk::InspectorSettings>);
NMZ_ASSERT_MEMBERS(sdk::InspectorSettings, 2);
NMZ_ASSERT_SIZE(sdk::InspectorSettings, 56);
NMZ_ASSERT_FIELD(sdk::InspectorSettings, entity_id, 0);
NMZ_ASSERT_FIELD(sdk::InspectorSettings, args, 32);

static_assert(std::is_standard_layout_v<sdk::Inspector::Outcome>);
NMZ_ASSERT_MEMBERS(sdk::Inspector::Outcome, 2);
NMZ_ASSERT_SIZE(sdk::Inspector::Outcome, 48);
NMZ_ASSERT_FIELD(sdk::Inspector::Outcome, status, 0);
NMZ_ASSERT_FIELD(sdk::Inspector::Outcome, exit_code, 40);

// Status and Result are header-only but returned across the boundary (every
// interface method, every ConfigView getter).
NMZ_ASSERT_SIZE(sdk::Status, 40);
NMZ_ASSERT_SIZE(sdk::Result<std::optional<std::string>>, 88);
NMZ_ASSERT_SIZE(sdk::Result<std::optional<std::int64_t>>, 64);
NMZ_ASSERT_SIZE(sdk::Result<std::optional<double>>, 64);
NMZ_ASSERT_SIZE(sdk::Result<std::optional<bool>>, 48);
NMZ_ASSERT_SIZE(sdk::Result<std::optional<std::chrono::nanoseconds>>, 64);
NMZ_ASSERT_SIZE(sdk::Result<std::optional<std::vector<std::string>>>, 80);

static_assert(sizeof(sdk::StatusCode) == 4 && sdk::StatusCode::internal == sdk::StatusCode{5});
static_assert(sizeof(sdk::LogLevel) == 4 && static_cast<int>(sdk::LogLevel::error) == 3);
static_assert(sizeof(sdk::Inspector::ActionDelivery) == 4 &&
              static_cast<int>(sdk::Inspector::ActionDelivery::inline_allowed) == 1);

namespace {

// Itanium C++ ABI 2.3: a pointer to a virtual member function holds
// 1 + the byte offset of its entry from the vtable's address point. The
// destructor takes slots 0 and 1 (complete and deleting) in every interface.
template <class Member>
std::size_t vtable_slot(Member member) {
  struct Representation {
    std::uintptr_t ptr;
    std::ptrdiff_t adjust;
  };
  static_assert(sizeof(Member) == sizeof(Representation));
  Representation rep{};
  std::memcpy(&rep, &member, sizeof rep);
  REQUIRE((rep.ptr & 1U) == 1U);
  return (rep.ptr - 1) / sizeof(void*);
}

}  // namespace

TEST_CASE("interface methods keep their vtable slots") {
  CHECK(vtable_slot(&sdk::Logger::write) == 2);
  CHECK(vtable_slot(&sdk::Logger::enabled) == 3);

  CHECK(vtable_slot(&sdk::ConfigView::get_string) == 2);
  CHECK(vtable_slot(&sdk::ConfigView::get_int) == 3);
  CHECK(vtable_slot(&sdk::ConfigView::get_double) == 4);
  CHECK(vtable_slot(&sdk::ConfigView::get_bool) == 5);
  CHECK(vtable_slot(&sdk::ConfigView::get_duration) == 6);
  CHECK(vtable_slot(&sdk::ConfigView::get_string_list) == 7);
  CHECK(vtable_slot(&sdk::ConfigView::invalid) == 8);

  CHECK(vtable_slot(&sdk::ComponentContext::component_name) == 2);
  CHECK(vtable_slot(&sdk::ComponentContext::logger) == 3);
  CHECK(vtable_slot(&sdk::ComponentContext::options) == 4);
  CHECK(vtable_slot(&sdk::ComponentContext::seed) == 5);
  CHECK(vtable_slot(&sdk::ComponentContext::seed_text) == 6);

  CHECK(vtable_slot(&sdk::ActionSink::emit) == 2);

  CHECK(vtable_slot(&sdk::ExplorePolicy::configure) == 2);
  CHECK(vtable_slot(&sdk::ExplorePolicy::start) == 3);
  CHECK(vtable_slot(&sdk::ExplorePolicy::queue_event) == 4);
  CHECK(vtable_slot(&sdk::ExplorePolicy::stop) == 5);

  CHECK(vtable_slot(&sdk::InspectorHost::submit) == 2);
  CHECK(vtable_slot(&sdk::InspectorHost::logger) == 3);
  CHECK(vtable_slot(&sdk::InspectorHost::entity_id) == 4);

  CHECK(vtable_slot(&sdk::Inspector::configure) == 2);
  CHECK(vtable_slot(&sdk::Inspector::run) == 3);
  CHECK(vtable_slot(&sdk::Inspector::request_stop) == 4);
  CHECK(vtable_slot(&sdk::Inspector::on_action) == 5);
  CHECK(vtable_slot(&sdk::Inspector::action_delivery) == 6);
  CHECK(vtable_slot(&sdk::OrchestratorOptional::needs_orchestrator) == 2);

  CHECK(vtable_slot(&sdk::Registrar::add_explore_policy) == 2);
  CHECK(vtable_slot(&sdk::Registrar::add_inspector) == 3);
  CHECK(vtable_slot(&sdk::Registrar::fail) == 4);

  CHECK(vtable_slot(&sdk::ParameterRegistrar::declare_parameters) == 2);
}

TEST_CASE("the entry symbol carries the ABI number") {
  CHECK(std::string(NMZ_SDK_ENTRY_ALIAS_STRING) == "nmz_plugin_abi" + std::to_string(NMZ_SDK_ABI_VERSION));
}
