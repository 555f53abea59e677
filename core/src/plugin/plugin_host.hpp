// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/registrar.hpp>
#include <nmz/sdk/status.hpp>

#include "plugin/loaded_library.hpp"

namespace nmz::core {

enum class ComponentKind { explore_policy, inspector };
const char* to_string(ComponentKind kind) noexcept;

struct ComponentRecord {
  std::string name;
  ComponentKind kind = ComponentKind::explore_policy;
  std::string description;
  sdk::ExplorePolicyFactory policy_factory = nullptr;
  sdk::InspectorFactory inspector_factory = nullptr;
  // The parameter names the component declared (ParameterRegistrar);
  // nullopt when it declared none, so its config keys cannot be checked.
  std::optional<std::vector<std::string>> parameters;
  std::shared_ptr<const LoadedLibrary> library;
};

// Loads plugin libraries with Boost.DLL, checks them before calling into
// them, and keeps the registry of the components they registered.
//
// Libraries are never unloaded while the host lives; the host must outlive
// every PluginObject it created (construct it first in main()).
class PluginHost {
 public:
  PluginHost() = default;
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;

  // Full load of one file: when nmz runs as root, a file or directory
  // writable by every user, or owned by someone but root and the user who
  // started nmz (SUDO_UID), is refused; then a symbol check without running plugin code, then
  // dlopen (RTLD_NOW | RTLD_LOCAL), ABI, SDK version and build fingerprint
  // checks, then registration; component names are unique regardless of
  // case. On any error nothing of the plugin is
  // registered and the message names the file and both versions.
  sdk::Status load_file(const std::filesystem::path& path);

  // Loads every *.so of each directory in order (missing directories are
  // skipped). Broken plugins do not stop the others; their errors are
  // returned, one per file.
  std::vector<sdk::Status> load_directories(const std::vector<std::filesystem::path>& directories);

  // Loads only what registers `names`: for each name not registered yet,
  // the first file nmz-NAME.so on `directories` (the naming of every bundled
  // plugin). Loading every plugin costs a dlopen of each one and of its
  // libraries (libzmq, libfuse, ...) per nmz start: most of the start-up of
  // a short `nmz inspectors` run. A name that no such file registers falls
  // back to load_directories, so a plugin named otherwise is still found.
  std::vector<sdk::Status> load_components(const std::vector<std::filesystem::path>& directories,
                                           const std::vector<std::string>& names);

  // Built-in component names (lowercase) that plugins outside nmz's own
  // plugin directories may register (config allowPluginOverride). Without
  // it such a plugin is refused: it would silently replace what the user
  // believes runs. Call before loading.
  void allow_overrides(const std::vector<std::string>& names);

  [[nodiscard]] const ComponentRecord* find(std::string_view name, ComponentKind kind) const;
  [[nodiscard]] std::vector<const ComponentRecord*> components() const;
  [[nodiscard]] std::vector<std::shared_ptr<const LoadedLibrary>> libraries() const { return libraries_; }
  // "dumb, random, replayable": for "unknown policy" messages.
  [[nodiscard]] std::string names(ComponentKind kind) const;

  sdk::Result<PluginObject<sdk::ExplorePolicy>> create_policy(std::string_view name) const;
  // The inspector comes wrapped in a GuardedInspector: every caller gets
  // its calls labelled and its exceptions caught.
  sdk::Result<PluginObject<sdk::Inspector>> create_inspector(std::string_view name) const;

 private:
  [[nodiscard]] std::string searched() const;  // for "unknown ..." messages
  // Allowed overrides (allowPluginOverride) of a bundled component.
  struct NameCheck {
    std::vector<std::string> replaced;  // registered bundled names the new plugin takes over
    std::vector<std::string> skipped;   // the new (bundled) plugin's names already overridden
  };
  // Checks `records` (one plugin's) against the registry and the built-in names.
  sdk::Result<NameCheck> check_names(const std::filesystem::path& path,
                                                    const std::vector<ComponentRecord>& records) const;

  std::vector<std::filesystem::path> searched_;
  // Declared before the registry: records hold libraries, never the reverse.
  [[nodiscard]] bool loaded(const std::filesystem::path& file) const;

  std::vector<std::shared_ptr<const LoadedLibrary>> libraries_;
  std::vector<std::string> allowed_overrides_;  // lowercase
  std::map<std::string, ComponentRecord, std::less<>> registry_;
};

// Whether an in-tree plugin registers `name` (compared without case).
bool is_builtin_component_name(std::string_view name);

// Whether `library` lies in nmz's own plugin directories (the build tree's
// plugins/ or the installed plugin directory).
bool is_bundled(const std::filesystem::path& library);

// Where plugins are looked for, in order: NMZ_PLUGIN_PATH (colon-separated),
// the config's pluginPath, the build tree when nmz runs uninstalled, and the
// installed plugin directory.
std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& config_plugin_path);

// The NMZ_PLUGIN_PATH that gives an nmz started by this one (an inspector
// that run.sh starts, the java inspector asked for agent options) the same
// user plugin directories in the same order: NMZ_PLUGIN_PATH, then the
// config's pluginPath. Empty when both are.
std::string plugin_path_for_children(const std::vector<std::string>& config_plugin_path);

}  // namespace nmz::core
