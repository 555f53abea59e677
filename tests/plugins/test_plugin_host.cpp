// SPDX-License-Identifier: Apache-2.0
// The host's load-time checks against real, deliberately broken plugins.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include <doctest/doctest.h>

#include <nmz/sdk/abi.hpp>
#include <nmz/sdk/version.hpp>

#include "orchestrator/host_component_context.hpp"
#include "plugin/plugin_host.hpp"

using nmz::core::ComponentKind;
using nmz::core::PluginHost;

namespace {

constexpr const char* kBundledPolicyNames[] = {"dumb", "explore", "netfault", "pct", "random", "random-walk",
                                               "replayable"};
constexpr const char* kBundledInspectorNames[] = {"ethernet", "fs", "native", "proc"};

std::string plugin(const char* name) {
  const char* path = std::getenv((std::string("NMZ_TEST_PLUGIN_") + name).c_str());
  REQUIRE_MESSAGE(path != nullptr, "run through meson test");
  return path;
}

}  // namespace

TEST_CASE("a good plugin registers all its components") {
  PluginHost host;
  REQUIRE(host.load_file(plugin("GOOD")).is_ok());
  CHECK(host.find("test-good-policy", ComponentKind::explore_policy) != nullptr);
  CHECK(host.find("test-good-inspector", ComponentKind::inspector) != nullptr);
  CHECK(host.find("test-good-policy", ComponentKind::inspector) == nullptr);
  auto policy = host.create_policy("test-good-policy");
  REQUIRE(policy.has_value());
  CHECK(policy->library->path == std::filesystem::path(plugin("GOOD")));
  CHECK(std::string(policy->library->info->version) == "1.2.3");
  CHECK(host.find("test-good-policy", ComponentKind::explore_policy)->parameters ==
        std::vector<std::string>{"interval", "procPolicyParam.useBatch"});
  CHECK_FALSE(host.find("test-good-inspector", ComponentKind::inspector)->parameters.has_value());
}

TEST_CASE("parameters declared for a component the plugin did not add refuse the plugin") {
  PluginHost host;
  CHECK(host.load_file(plugin("DECLARES_UNKNOWN")).message() ==
        plugin("DECLARES_UNKNOWN") + ": plugin \"test-declares-unknown\" failed to register: declare_parameters(\""
                                     "test-not-added\"): no component of that name was added before");
  CHECK(host.find("test-declared-policy", ComponentKind::explore_policy) == nullptr);
}

TEST_CASE("a library without the entry point is refused before it is loaded") {
  PluginHost host;
  auto status = host.load_file(plugin("MISSING_ENTRY"));
  CHECK(status.message() == plugin("MISSING_ENTRY") +
                                ": not an nmz plugin: it exports no " NMZ_SDK_ENTRY_ALIAS_STRING " entry point (declare one with "
                                "NMZ_PLUGIN)");
  CHECK(host.libraries().empty());
}

TEST_CASE("a plugin built for another ABI names both ABIs") {
  PluginHost host;
  CHECK(host.load_file(plugin("WRONG_ABI_SYMBOL")).message() ==
        plugin("WRONG_ABI_SYMBOL") + ": built for nmz plugin ABI 7 (exports nmz_plugin_abi7), but this nmz has ABI " + std::to_string(NMZ_SDK_ABI_VERSION) + " (SDK " +
            NMZ_SDK_VERSION_STRING + "); rebuild the plugin against this SDK");
  CHECK(host.load_file(plugin("WRONG_ABI_FIELD")).message() ==
        plugin("WRONG_ABI_FIELD") + ": built for nmz plugin ABI 9999, but this nmz has ABI " + std::to_string(NMZ_SDK_ABI_VERSION) + " (SDK " +
            NMZ_SDK_VERSION_STRING + "); rebuild the plugin against this SDK");
  CHECK(host.components().empty());
}

TEST_CASE("a plugin built with another toolchain is refused") {
  PluginHost host;
  CHECK(host.load_file(plugin("BAD_FINGERPRINT")).message() ==
        plugin("BAD_FINGERPRINT") + ": built with toolchain gcc99-cxx201703-cxx11abi0, but this nmz with " +
            NMZ_SDK_BUILD_FINGERPRINT + "; rebuild it with the same C++ standard and standard library ABI");
}

TEST_CASE("a plugin whose registration throws is refused whole") {
  PluginHost host;
  CHECK(host.load_file(plugin("THROWS_IN_REGISTER")).message() ==
        plugin("THROWS_IN_REGISTER") +
            ": plugin \"test-throws\" failed to register: cannot open /etc/test-plugin.conf");
  CHECK(host.find("test-half-registered", ComponentKind::explore_policy) == nullptr);
}

TEST_CASE("a duplicate component name names both files") {
  PluginHost host;
  REQUIRE(host.load_file(plugin("GOOD")).is_ok());
  CHECK(host.load_file(plugin("DUPLICATE_NAME")).message() ==
        plugin("DUPLICATE_NAME") + ": component \"test-good-policy\" is already registered by " + plugin("GOOD"));
  CHECK(host.find("test-good-policy", ComponentKind::explore_policy)->library->path ==
        std::filesystem::path(plugin("GOOD")));
}

TEST_CASE("unknown names list what is registered") {
  PluginHost host;
  REQUIRE(host.load_file(plugin("GOOD")).is_ok());
  auto policy = host.create_policy("nope");
  CHECK(policy.status().message() == "unknown explore policy \"nope\"; registered policies: test-good-policy");
  auto inspector = host.create_inspector("nope");
  CHECK(inspector.status().message() == "unknown inspector \"nope\"; registered inspectors: test-good-inspector");
}

TEST_CASE("a missing file and a non-ELF file are clear errors") {
  PluginHost host;
  CHECK(host.load_file("/nonexistent/x.so").message() == "/nonexistent/x.so: no such plugin file");
  auto status = host.load_file("/etc/hostname");
  CHECK(status.message().rfind("/etc/hostname: not a loadable shared library", 0) == 0);
}

TEST_CASE("objects keep their library alive after the host's registry is gone") {
  std::shared_ptr<const nmz::core::LoadedLibrary> library;
  {
    PluginHost host;
    REQUIRE(host.load_file(plugin("GOOD")).is_ok());
    auto policy = host.create_policy("test-good-policy");
    REQUIRE(policy.has_value());
    library = policy->library;
    CHECK(library.use_count() >= 3);  // host, registry record, object
  }
  CHECK(library.use_count() == 1);
}

TEST_CASE("load_components loads nmz-NAME.so alone, and everything when no such file registers NAME") {
  char pattern[] = "/tmp/nmz-plugin-host-XXXXXX";
  REQUIRE(mkdtemp(pattern) != nullptr);
  std::filesystem::path dir = pattern;
  std::filesystem::create_symlink(plugin("GOOD"), dir / "nmz-test-good-inspector.so");
  std::filesystem::create_symlink(plugin("THROWS_IN_REGISTER"), dir / "other.so");
  {
    PluginHost host;
    CHECK(host.load_components({dir}, {"test-good-inspector", "test-good-policy"}).empty());
    CHECK(host.libraries().size() == 1);
    CHECK(host.find("test-good-policy", ComponentKind::explore_policy) != nullptr);
  }
  {
    PluginHost host;
    auto errors = host.load_components({dir}, {"test-good-inspector", "no-such-component"});
    REQUIRE(errors.size() == 1);  // other.so was tried: the fallback loads every plugin
    CHECK(errors[0].message().find("other.so") != std::string::npos);
    CHECK(host.find("test-good-inspector", ComponentKind::inspector) != nullptr);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a constructor's exception reaches the user") {
  PluginHost host;
  REQUIRE(host.load_file(plugin("MISBEHAVING")).is_ok());
  auto policy = host.create_policy("test-throwing-constructor");
  REQUIRE_FALSE(policy.has_value());
  CHECK(policy.status().message() == "policy \"test-throwing-constructor\" (" + plugin("MISBEHAVING") +
                                         ") could not be created: cannot read /nonexistent/test-model.bin");
  // The reason is not left over for the next creation.
  CHECK(host.create_policy("test-silent").has_value());
}

TEST_CASE("a third-party plugin may take a built-in name only when allowed") {
  {
    PluginHost host;
    CHECK(host.load_file(plugin("SHADOWS_BUILTIN")).message() ==
          plugin("SHADOWS_BUILTIN") + ": component \"Random\" has the name of one nmz ships; to use this plugin's "
                                      "instead, add \"random\" to allowPluginOverride in config.toml");
    CHECK(host.components().empty());
  }
  // Allowed: it wins over the bundled one, whichever is loaded first.
  for (bool bundled_first : {false, true}) {
    PluginHost host;
    host.allow_overrides({"RANDOM"});
    const auto bundled = nmz::core::plugin_search_path({});
    std::vector<std::filesystem::path> random_dir;
    for (const auto& dir : bundled) {
      if (std::filesystem::exists(dir / "nmz-random.so")) random_dir.push_back(dir);
    }
    REQUIRE(random_dir.size() >= 1);
    if (bundled_first) CHECK(host.load_file(random_dir[0] / "nmz-random.so").is_ok());
    CHECK(host.load_file(plugin("SHADOWS_BUILTIN")).is_ok());
    if (!bundled_first) CHECK(host.load_file(random_dir[0] / "nmz-random.so").is_ok());
    CHECK(host.find("random", ComponentKind::explore_policy) == nullptr);
    const auto* record = host.find("Random", ComponentKind::explore_policy);
    REQUIRE(record != nullptr);
    CHECK(record->library->path == std::filesystem::path(plugin("SHADOWS_BUILTIN")));
  }
}

TEST_CASE("the built-in names are exactly what the in-tree plugins register") {
  PluginHost host;
  std::vector<std::filesystem::path> bundled;
  for (const auto& dir : nmz::core::plugin_search_path({})) {
    if (nmz::core::is_bundled(dir / "x.so")) bundled.push_back(dir);
  }
  CHECK(host.load_directories(bundled).empty());
  std::set<std::string> registered;
  for (const auto* record : host.components()) registered.insert(record->name);
  std::set<std::string> expected(std::begin(kBundledPolicyNames), std::end(kBundledPolicyNames));
  expected.insert(std::begin(kBundledInspectorNames), std::end(kBundledInspectorNames));
  // The java inspector is built only where a JDK is (java_inspector_enabled),
  // but its name is nmz's everywhere.
  if (NMZ_TEST_JAVA_BUILT) expected.insert("java");
  CHECK(registered == expected);
  expected.insert("java");
  for (const auto& name : expected) CHECK_MESSAGE(nmz::core::is_builtin_component_name(name), name);
  CHECK_FALSE(nmz::core::is_builtin_component_name("test-good-policy"));
}

namespace {

// Records the keys a policy asks for, answering from an empty table.
class RecordingConfigView final : public nmz::sdk::ConfigView {
 public:
  explicit RecordingConfigView(std::set<std::string>& asked) : asked_(asked) {}
  template <class T>
  nmz::sdk::Result<std::optional<T>> none(std::string_view key) const {
    asked_.emplace(key);
    return std::optional<T>{};
  }
  nmz::sdk::Result<std::optional<std::string>> get_string(std::string_view key) const override {
    return none<std::string>(key);
  }
  nmz::sdk::Result<std::optional<std::int64_t>> get_int(std::string_view key) const override {
    return none<std::int64_t>(key);
  }
  nmz::sdk::Result<std::optional<double>> get_double(std::string_view key) const override { return none<double>(key); }
  nmz::sdk::Result<std::optional<bool>> get_bool(std::string_view key) const override { return none<bool>(key); }
  nmz::sdk::Result<std::optional<std::chrono::nanoseconds>> get_duration(std::string_view key) const override {
    return none<std::chrono::nanoseconds>(key);
  }
  nmz::sdk::Result<std::optional<std::vector<std::string>>> get_string_list(std::string_view key) const override {
    return none<std::vector<std::string>>(key);
  }
  [[nodiscard]] nmz::sdk::Status invalid(std::string_view key, std::string_view expected) const override {
    return nmz::sdk::Status::invalid(std::string(key) + ": expected " + std::string(expected));
  }

 private:
  std::set<std::string>& asked_;
};

}  // namespace

TEST_CASE("every bundled policy declares exactly the parameters it reads") {
  PluginHost host;
  std::vector<std::filesystem::path> bundled;
  for (const auto& dir : nmz::core::plugin_search_path({})) {
    if (nmz::core::is_bundled(dir / "x.so")) bundled.push_back(dir);
  }
  CHECK(host.load_directories(bundled).empty());
  for (const char* name : kBundledPolicyNames) {
    CAPTURE(name);
    const auto* record = host.find(name, ComponentKind::explore_policy);
    REQUIRE(record != nullptr);
    REQUIRE(record->parameters.has_value());
    std::set<std::string> asked;
    nmz::core::HostComponentContext context(std::string("policy.") + name,
                                            std::make_unique<RecordingConfigView>(asked),
                                            nmz::core::resolve_seed("1"));
    auto policy = host.create_policy(name);
    REQUIRE(policy.has_value());
    CHECK((*policy)->configure(context).is_ok());
    CHECK(asked == std::set<std::string>(record->parameters->begin(), record->parameters->end()));
  }
}
