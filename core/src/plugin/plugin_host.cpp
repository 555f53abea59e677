// SPDX-License-Identifier: Apache-2.0
#include "plugin/plugin_host.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include <boost/dll/library_info.hpp>

#include <nmz/sdk/version.hpp>

#include "nmz_build_paths.hpp"
#include "plugin/guarded_inspector.hpp"

namespace nmz::core {

using sdk::Result;
using sdk::Status;

const char* to_string(ComponentKind kind) noexcept {
  return kind == ComponentKind::explore_policy ? "policy" : "inspector";
}

namespace {

// The fingerprint as this host was compiled: a plugin must match it exactly.
constexpr const char* kHostFingerprint = NMZ_SDK_BUILD_FINGERPRINT;

Status refuse(const std::filesystem::path& path, const std::string& why) {
  return Status::invalid(path.string() + ": " + why);
}

struct SdkVersion {
  int major = -1;
  int minor = -1;
};

SdkVersion parse_version(const char* text) {
  SdkVersion v;
  if (text != nullptr) std::sscanf(text, "%d.%d", &v.major, &v.minor);  // NOLINT(cert-err34-c)
  return v;
}

// Collects one plugin's registrations; they are committed only if the whole
// registration succeeded, so a failing plugin leaves nothing behind.
class StagingRegistrar final : public sdk::Registrar, public sdk::ParameterRegistrar {
 public:
  void add_explore_policy(std::string_view name, sdk::ExplorePolicyFactory factory,
                          std::string_view description) noexcept override {
    add(name, ComponentKind::explore_policy, description, factory, nullptr);
  }
  void add_inspector(std::string_view name, sdk::InspectorFactory factory,
                     std::string_view description) noexcept override {
    add(name, ComponentKind::inspector, description, nullptr, factory);
  }
  void fail(std::string_view message) noexcept override {
    try {
      if (failure.empty()) failure = std::string(message);
    } catch (...) {
    }
  }
  void declare_parameters(std::string_view component, const std::string_view* names,
                          std::size_t count) noexcept override {
    try {
      auto record = std::find_if(records.begin(), records.end(), [&](const ComponentRecord& r) { return r.name == component; });
      if (record == records.end()) {
        fail("declare_parameters(\"" + std::string(component) + "\"): no component of that name was added before");
        return;
      }
      auto& declared = record->parameters.emplace();
      for (std::size_t i = 0; i < count; ++i) declared.emplace_back(names[i]);
    } catch (...) {
      fail("out of memory while registering");
    }
  }

  std::vector<ComponentRecord> records;
  std::string failure;

 private:
  void add(std::string_view name, ComponentKind kind, std::string_view description,
           sdk::ExplorePolicyFactory policy, sdk::InspectorFactory inspector) noexcept {
    try {
      if (name.empty() || (policy == nullptr && inspector == nullptr)) {
        fail("a component was registered with an empty name or no factory");
        return;
      }
      ComponentRecord record;
      record.name = std::string(name);
      record.kind = kind;
      record.description = std::string(description);
      record.policy_factory = policy;
      record.inspector_factory = inspector;
      records.push_back(std::move(record));
    } catch (...) {
      fail("out of memory while registering");
    }
  }
};

// A plugin runs with nmz's privileges: when that is root, a file that
// anyone else could have written (or replaced, through its directory) must
// not be loaded. Checked on the file and the directory as named and as
// resolved (symbolic links), before dlopen runs any of its code.
Status check_ownership(const std::filesystem::path& path) {
  if (::geteuid() != 0) return Status::ok();
  std::vector<uid_t> trusted{0, ::getuid()};
  if (const char* sudo_uid = std::getenv("SUDO_UID"); sudo_uid != nullptr) {
    trusted.push_back(static_cast<uid_t>(std::strtoul(sudo_uid, nullptr, 10)));
  }
  std::error_code ec;
  const auto resolved = std::filesystem::canonical(path, ec);
  std::vector<std::filesystem::path> checked{path, std::filesystem::absolute(path).parent_path()};
  if (!ec) checked.insert(checked.end(), {resolved, resolved.parent_path()});
  for (const auto& item : checked) {
    struct stat st {};
    if (::stat(item.c_str(), &st) != 0) continue;
    // A sticky directory (/tmp) lets others add files but not replace ours;
    // a file they added fails the owner check.
    const bool sticky_directory = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
    if ((st.st_mode & S_IWOTH) != 0 && !sticky_directory) {
      return refuse(path, item.string() + " is writable by every user; nmz runs as root and will not load code from "
                          "it (chmod o-w)");
    }
    if (std::find(trusted.begin(), trusted.end(), st.st_uid) == trusted.end()) {
      return refuse(path, item.string() + " belongs to uid " + std::to_string(st.st_uid) +
                              "; nmz runs as root and loads plugins owned by root or by the user who started it only");
    }
  }
  return Status::ok();
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A factory that returned nullptr may have said why (its constructor's exception).
Status creation_failed(const ComponentRecord& record) {
  std::string why = sdk::detail::take_creation_failure();
  return Status::error(sdk::StatusCode::internal, std::string(to_string(record.kind)) + " \"" + record.name +
                                                      "\" (" + record.library->path.string() + ") could not be created" +
                                                      (why.empty() ? std::string() : ": " + why));
}

// The components nmz ships: a plugin from elsewhere registering one of
// these names must be allowed to (allowPluginOverride). Kept equal to what
// the in-tree plugins register by tests/plugins/test_plugin_host.cpp.
constexpr std::string_view kBuiltinComponentNames[] = {"dumb", "ethernet", "explore", "fs", "java", "native",
                                                       "netfault", "pct", "proc", "random", "random-walk",
                                                       "replayable"};

}  // namespace

bool is_builtin_component_name(std::string_view name) {
  const std::string lowercase_name = lowercase(name);
  return std::find(std::begin(kBuiltinComponentNames), std::end(kBuiltinComponentNames), lowercase_name) !=
         std::end(kBuiltinComponentNames);
}

namespace {

bool is_under(const std::filesystem::path& file, const std::filesystem::path& directory) {
  auto relative = file.lexically_normal().lexically_relative(directory.lexically_normal());
  return !relative.empty() && *relative.begin() != "..";
}

}  // namespace

bool is_bundled(const std::filesystem::path& library) {
  return is_under(library, std::filesystem::path(NMZ_BUILD_ROOT) / "plugins") ||
         is_under(library, NMZ_INSTALLED_PLUGIN_DIR);
}

void PluginHost::allow_overrides(const std::vector<std::string>& names) {
  for (const auto& name : names) allowed_overrides_.push_back(lowercase(name));
}

Result<PluginHost::NameCheck> PluginHost::check_names(const std::filesystem::path& path,
                                                      const std::vector<ComponentRecord>& records) const {
  NameCheck outcome;
  const bool bundled = is_bundled(path);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& name = records[i].name;
    const std::string folded = lowercase(name);
    const bool allowed =
        std::find(allowed_overrides_.begin(), allowed_overrides_.end(), folded) != allowed_overrides_.end();
    if (!bundled && is_builtin_component_name(folded) && !allowed) {
      return refuse(path, "component \"" + name + "\" has the name of one nmz ships; to use this plugin's instead, " +
                              "add \"" + folded + "\" to allowPluginOverride in config.toml");
    }
    // Names are compared without case: "Random" beside "random" is a trap.
    for (const auto& [known, record] : registry_) {
      if (lowercase(known) != folded) continue;
      // An allowed override wins over the bundled component, whichever of
      // the two was loaded first.
      if (allowed && bundled != is_bundled(record.library->path)) {
        (bundled ? outcome.skipped : outcome.replaced).push_back(bundled ? name : known);
        continue;
      }
      return refuse(path, "component \"" + name + "\" is already registered" +
                              (known == name ? "" : " as \"" + known + "\"") + " by " + record.library->path.string());
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (lowercase(records[j].name) == folded) return refuse(path, "component \"" + name + "\" is registered twice");
    }
  }
  return outcome;
}

Status PluginHost::load_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return refuse(path, "no such plugin file");
  if (auto status = check_ownership(path); !status) return status;

  // Read the exported symbols from the ELF file first: a file that is not a
  // plugin of this ABI is refused before any of its code (even static
  // initialisers) runs.
  std::vector<std::string> symbols;
  try {
    boost::dll::library_info info(path, /*throw_if_not_native=*/true);
    symbols = info.symbols();
  } catch (const std::exception& e) {
    return refuse(path, std::string("not a loadable shared library: ") + e.what());
  }
  const std::string entry = NMZ_SDK_ENTRY_ALIAS_STRING;
  if (std::find(symbols.begin(), symbols.end(), entry) == symbols.end()) {
    for (const auto& symbol : symbols) {
      if (symbol.rfind("nmz_plugin_abi", 0) == 0) {
        std::ostringstream why;
        why << "built for nmz plugin ABI " << symbol.substr(std::strlen("nmz_plugin_abi")) << " (exports " << symbol
            << "), but this nmz has ABI " << NMZ_SDK_ABI_VERSION << " (SDK " << NMZ_SDK_VERSION_STRING
            << "); rebuild the plugin against this SDK";
        return refuse(path, why.str());
      }
    }
    return refuse(path, "not an nmz plugin: it exports no " + entry + " entry point (declare one with NMZ_PLUGIN)");
  }

  auto loaded = std::make_shared<LoadedLibrary>();
  loaded->path = std::filesystem::absolute(path);
  try {
    // RTLD_NOW: an unresolved symbol fails here, with the linker's message,
    // instead of crashing in the middle of a run. RTLD_LOCAL: plugins cannot
    // see (or interpose) each other's symbols.
    loaded->library.load(loaded->path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    loaded->info = loaded->library.get_alias<sdk::PluginEntryFn>(entry)();
  } catch (const std::exception& e) {
    return refuse(path, std::string("cannot be loaded: ") + e.what());
  }
  const sdk::PluginInfo* info = loaded->info;
  if (info == nullptr) return refuse(path, "its entry point returned no plugin information");
  if (info->abi_version != NMZ_SDK_ABI_VERSION) {
    std::ostringstream why;
    why << "built for nmz plugin ABI " << info->abi_version << ", but this nmz has ABI " << NMZ_SDK_ABI_VERSION
        << " (SDK " << NMZ_SDK_VERSION_STRING << "); rebuild the plugin against this SDK";
    return refuse(path, why.str());
  }
  if (info->info_size < sizeof(sdk::PluginInfo)) {
    return refuse(path, "its plugin information is truncated (" + std::to_string(info->info_size) + " bytes, expected " +
                            std::to_string(sizeof(sdk::PluginInfo)) + ")");
  }
  SdkVersion plugin_sdk = parse_version(info->sdk_version);
  if (plugin_sdk.major != NMZ_SDK_VERSION_MAJOR || plugin_sdk.minor > NMZ_SDK_VERSION_MINOR) {
    return refuse(path, std::string("built against nmz SDK ") + (info->sdk_version ? info->sdk_version : "?") +
                            ", which this nmz (SDK " NMZ_SDK_VERSION_STRING ") cannot load; rebuild it against this SDK");
  }
  // The compiler label and +assertions may differ: only the standard
  // library's ABI decides whether the types the SDK passes agree.
  if (info->build_fingerprint == nullptr ||
      sdk::fingerprint_abi_tag(info->build_fingerprint) != sdk::fingerprint_abi_tag(kHostFingerprint)) {
    return refuse(path, std::string("built with toolchain ") +
                            (info->build_fingerprint ? info->build_fingerprint : "(none)") + ", but this nmz with " +
                            kHostFingerprint + "; rebuild it with the same C++ standard and standard library ABI");
  }
  if (info->register_components == nullptr) return refuse(path, "its plugin information has no register function");

  StagingRegistrar registrar;
  bool registered = info->register_components(registrar);
  std::string plugin_name = info->name != nullptr ? info->name : "?";
  if (!registered || !registrar.failure.empty()) {
    return refuse(path, "plugin \"" + plugin_name + "\" failed to register: " +
                            (registrar.failure.empty() ? std::string("no reason given") : registrar.failure));
  }
  if (registrar.records.empty()) return refuse(path, "plugin \"" + plugin_name + "\" registered no component");
  auto names = check_names(loaded->path, registrar.records);
  if (!names) return names.status();
  for (const auto& name : names->replaced) registry_.erase(name);
  std::erase_if(registrar.records, [&](const ComponentRecord& record) {
    return std::find(names->skipped.begin(), names->skipped.end(), record.name) != names->skipped.end();
  });
  // Every component was overridden on purpose: nothing of it is used.
  if (registrar.records.empty()) return Status::ok();
  std::shared_ptr<const LoadedLibrary> shared = loaded;
  libraries_.push_back(shared);
  for (auto& record : registrar.records) {
    record.library = shared;
    std::string name = record.name;
    registry_.emplace(std::move(name), std::move(record));
  }
  return Status::ok();
}

std::vector<Status> PluginHost::load_directories(const std::vector<std::filesystem::path>& directories) {
  std::vector<Status> errors;
  searched_.insert(searched_.end(), directories.begin(), directories.end());
  for (const auto& directory : directories) {
    std::error_code ec;
    if (!std::filesystem::is_directory(directory, ec)) continue;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
      if (entry.path().extension() == ".so") files.push_back(entry.path());
    }
    // Sorted, so that which of two duplicates wins does not depend on readdir order.
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      if (loaded(file)) continue;
      if (Status status = load_file(file); !status) errors.push_back(std::move(status));
    }
  }
  return errors;
}

bool PluginHost::loaded(const std::filesystem::path& file) const {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(file, ec);
  return std::any_of(libraries_.begin(), libraries_.end(), [&](const auto& lib) {
    return std::filesystem::weakly_canonical(lib->path, ec) == canonical;
  });
}

std::vector<Status> PluginHost::load_components(const std::vector<std::filesystem::path>& directories,
                                                const std::vector<std::string>& names) {
  std::vector<Status> errors;
  for (const auto& name : names) {
    if (registry_.count(name) != 0) continue;
    // An override may lie in a file of any name: nmz-NAME.so is the bundled one.
    const bool overridden =
        std::find(allowed_overrides_.begin(), allowed_overrides_.end(), lowercase(name)) != allowed_overrides_.end();
    for (const auto& directory : directories) {
      if (overridden) break;
      std::filesystem::path file = directory / ("nmz-" + name + ".so");
      std::error_code ec;
      if (!std::filesystem::is_regular_file(file, ec) || loaded(file)) continue;
      if (Status status = load_file(file); !status) errors.push_back(std::move(status));
      if (registry_.count(name) != 0) break;
    }
    if (registry_.count(name) == 0) {
      auto more = load_directories(directories);
      errors.insert(errors.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
      return errors;
    }
  }
  return errors;
}

const ComponentRecord* PluginHost::find(std::string_view name, ComponentKind kind) const {
  auto it = registry_.find(name);
  return it != registry_.end() && it->second.kind == kind ? &it->second : nullptr;
}

std::vector<const ComponentRecord*> PluginHost::components() const {
  std::vector<const ComponentRecord*> out;
  for (const auto& [name, record] : registry_) out.push_back(&record);
  return out;
}

std::string PluginHost::names(ComponentKind kind) const {
  std::string out;
  for (const auto& [name, record] : registry_) {
    if (record.kind != kind) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out.empty() ? "(none)" : out;
}

std::string PluginHost::searched() const {
  std::string out;
  for (const auto& dir : searched_) out += (out.empty() ? "" : ", ") + dir.string();
  return out.empty() ? "" : " (plugins searched for in " + out + ")";
}

Result<PluginObject<sdk::ExplorePolicy>> PluginHost::create_policy(std::string_view name) const {
  const ComponentRecord* record = find(name, ComponentKind::explore_policy);
  if (record == nullptr) {
    return Status::error(sdk::StatusCode::not_found, "unknown explore policy \"" + std::string(name) +
                                                         "\"; registered policies: " +
                                                         names(ComponentKind::explore_policy) + searched());
  }
  sdk::detail::take_creation_failure();  // a reason left over from an earlier factory is not this one's
  PluginObject<sdk::ExplorePolicy> object{record->library, record->policy_factory(), record->name};
  if (!object) return creation_failed(*record);
  return object;
}

Result<PluginObject<sdk::Inspector>> PluginHost::create_inspector(std::string_view name) const {
  const ComponentRecord* record = find(name, ComponentKind::inspector);
  if (record == nullptr) {
    return Status::error(sdk::StatusCode::not_found, "unknown inspector \"" + std::string(name) +
                                                         "\"; registered inspectors: " +
                                                         names(ComponentKind::inspector) + searched());
  }
  sdk::detail::take_creation_failure();  // a reason left over from an earlier factory is not this one's
  std::unique_ptr<sdk::Inspector> inspector = record->inspector_factory();
  if (!inspector) return creation_failed(*record);
  auto guarded = std::make_unique<GuardedInspector>(std::move(inspector), record->name, record->library);
  return PluginObject<sdk::Inspector>{record->library, std::move(guarded), record->name};
}

std::vector<std::filesystem::path> plugin_search_path(const std::vector<std::string>& config_plugin_path) {
  std::vector<std::filesystem::path> out;
  if (const char* env = std::getenv("NMZ_PLUGIN_PATH"); env != nullptr) {
    std::string_view rest = env;
    while (!rest.empty()) {
      auto colon = rest.find(':');
      if (colon != 0) out.emplace_back(std::string(rest.substr(0, colon)));
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  for (const auto& dir : config_plugin_path) out.emplace_back(dir);
  // Tests set this to see only the plugins they name.
  if (const char* only = std::getenv("NMZ_PLUGIN_PATH_ONLY"); only != nullptr && std::strcmp(only, "1") == 0) {
    return out;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::string build_root = NMZ_BUILD_ROOT;
  if (!ec && exe.string().rfind(build_root + "/", 0) == 0) {
    // Uninstalled: each in-tree plugin is built in its own plugins/<name>/ directory.
    for (const auto& entry : std::filesystem::directory_iterator(build_root + "/plugins", ec)) {
      if (entry.is_directory()) out.push_back(entry.path());
    }
  }
  out.emplace_back(NMZ_INSTALLED_PLUGIN_DIR);
  return out;
}

std::string plugin_path_for_children(const std::vector<std::string>& config_plugin_path) {
  std::string path;
  if (const char* inherited = std::getenv("NMZ_PLUGIN_PATH"); inherited != nullptr) path = inherited;
  for (const auto& dir : config_plugin_path) path += (path.empty() ? "" : ":") + dir;
  return path;
}

}  // namespace nmz::core
