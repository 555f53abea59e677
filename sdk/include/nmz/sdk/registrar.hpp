// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <exception>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/export.hpp>
#include <nmz/sdk/inspector.hpp>

namespace nmz::sdk {

// Plain function pointers, not std::function: the host keeps them after the
// registration call and must know they need no state from the plugin.
// A factory may return nullptr (the component's constructor failed); it must
// not throw. Before returning nullptr it may call
// detail::record_creation_failure(why): the host shows `why` to the user.
using ExplorePolicyFactory = std::unique_ptr<ExplorePolicy> (*)();
using InspectorFactory = std::unique_ptr<Inspector> (*)();

// Implemented by the host and lent to a plugin's register function, on the
// host's main thread, for the duration of that call only.
class NMZ_SDK_API Registrar {
 public:
  virtual ~Registrar();
  // Component names are lowercase ("random", "proc", "mypolicy") and unique
  // across all loaded plugins; the host refuses a second one, naming both
  // files. `description` is shown by `nmz plugins list`.
  virtual void add_explore_policy(std::string_view name, ExplorePolicyFactory factory,
                                  std::string_view description) noexcept = 0;
  virtual void add_inspector(std::string_view name, InspectorFactory factory,
                             std::string_view description) noexcept = 0;
  // Reports that registration failed; the host refuses the whole plugin
  // with this message.
  virtual void fail(std::string_view message) noexcept = 0;
};

// Since SDK 0.5: the host's Registrar implements this interface too (a
// separate interface, so that Registrar's vtable stays as plugins built
// before know it). A component that declares the parameter names it reads
// lets the host warn about the others in its config table (a misspelled
// `[explorePolicyParam]` key, with the closest declared name). A component
// that declares nothing gets no such warnings.
class NMZ_SDK_API ParameterRegistrar {
 public:
  virtual ~ParameterRegistrar();
  // `names[0..count)` are the keys `component` reads from its table,
  // compared without case; nested tables dotted ("procPolicyParam.useBatch").
  // The host copies them. Called by the plugin's register function, on the
  // host's main thread, after the component was added; never blocks.
  virtual void declare_parameters(std::string_view component, const std::string_view* names,
                                  std::size_t count) noexcept = 0;
};

// Declares `component`'s parameter names (see ParameterRegistrar). Does
// nothing with a host whose Registrar predates the declaration.
inline void declare_parameters(Registrar& registrar, std::string_view component,
                               std::initializer_list<std::string_view> names) noexcept {
  if (auto* parameters = dynamic_cast<ParameterRegistrar*>(&registrar)) {
    parameters->declare_parameters(component, names.begin(), names.size());
  }
}

namespace detail {
// Why the factory running on this thread returns nullptr. Called by the
// plugin's factory (make_component_as does it), read once by the host right
// after the factory returned, on the same thread. Thread-local storage in
// libnmz_sdk, which host and plugin share.
NMZ_SDK_API void record_creation_failure(std::string_view why) noexcept;
// The last recorded reason, cleared; empty when none was recorded.
NMZ_SDK_API std::string take_creation_failure() noexcept;
}  // namespace detail

// The factory for a component type with a default constructor. An exception
// from the constructor becomes nullptr, its message recorded for the host.
template <class Component>
std::unique_ptr<Component> make_component_as() noexcept {
  try {
    return std::make_unique<Component>();
  } catch (const std::exception& e) {
    detail::record_creation_failure(e.what());
  } catch (...) {
    detail::record_creation_failure("unknown exception");
  }
  return nullptr;
}

template <class Policy>
std::unique_ptr<ExplorePolicy> make_policy() noexcept {
  return make_component_as<Policy>();
}

template <class InspectorType>
std::unique_ptr<Inspector> make_inspector() noexcept {
  return make_component_as<InspectorType>();
}

}  // namespace nmz::sdk
