// SPDX-License-Identifier: Apache-2.0
// The host's load-time checks against real, deliberately broken plugins.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include <nmz/sdk/abi.hpp>
#include <nmz/sdk/version.hpp>

#include "plugin/plugin_host.hpp"

using nmz::core::ComponentKind;
using nmz::core::PluginHost;

namespace {

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
