// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/status.hpp>

#include "config/toml_lookup.hpp"

namespace nmz::core {

// `[container]`: used by `nmz container run`. Each key has its own default,
// so a partial table keeps the others (Namazu lost them, viper#71).
struct ContainerConfig {
  bool enable_ethernet_inspector = false;
  std::int64_t ethernet_nfq_number = 42;
  bool enable_proc_inspector = true;
  std::chrono::nanoseconds proc_watch_interval = std::chrono::seconds(1);
  bool enable_fs_inspector = true;
  // The java inspector, listening on 127.0.0.1:java_pb_port inside the
  // container's network namespace; its agent reaches the JVMs through
  // JAVA_TOOL_OPTIONS. Rule files absolute (relative ones are resolved
  // against the config file's directory).
  bool enable_java_inspector = false;
  std::vector<std::string> java_rules;
  std::int64_t java_pb_port = 10000;
};

// Everything config.toml can say. Namazu's keys keep their names and
// meaning; nmz additions are marked.
struct Config {
  std::string source;  // the file it came from, "" for defaults
  std::string init_script;
  std::string run_script;
  std::string validate_script;
  std::string clean_script;
  // nmz: prints what the run's outcome was ("leader=2 epoch=1") for its
  // signature; run after validate.
  std::string signature_script;
  // nmz: whether the trace's abstract is part of the signature too.
  bool signature_trace = true;
  // nmz: after each run, read its coverage (RUN/coverage: gcov .gcda or
  // JaCoCo .exec files) into RUN/coverage-points.json and result.json.
  bool record_coverage = false;
  bool not_clean_if_validation_fail = false;
  std::string storage_type = "naive";
  std::int64_t pb_port = -1;
  std::int64_t rest_port = -1;
  std::string explore_policy = "random";
  bool skip_init_orchestrator = false;
  ContainerConfig container;
  // nmz: where REST binds (Namazu bound every interface).
  std::string rest_address = "127.0.0.1";
  // nmz: a shared secret REST clients must send (Authorization: Bearer);
  // NMZ_REST_TOKEN overrides it. "" for none.
  std::string rest_token;
  // nmz: REST entities live at once; a new name beyond them is refused.
  std::int64_t rest_max_entities = 4096;
  // nmz: a REST entity that holds nothing and sees no request this long is
  // forgotten.
  std::chrono::nanoseconds rest_entity_expiry = std::chrono::seconds(60);
  // nmz: directories searched for plugins before the built-in ones.
  std::vector<std::string> plugin_path;
  // nmz: the run's seed as written (top-level `seed`, else Namazu's
  // `explorePolicyParam.seed`); empty means "choose one".
  std::string seed;
  // nmz: fail open when a remote orchestrator is gone this long.
  std::chrono::nanoseconds orchestrator_timeout = std::chrono::seconds(10);
  // nmz: run.sh and validate.sh together may take this long, clean.sh as
  // long again; then their process group is killed and the run ends as
  // `timeout`. Zero: no limit.
  std::chrono::nanoseconds run_timeout{0};
  // nmz: built-in component names ("random") a plugin from the user's
  // plugin path may register in place of the bundled one.
  std::vector<std::string> allow_plugin_override;
  // nmz: an event the policy has not answered after this long gets its
  // default action from the orchestrator (fail open), with a warning.
  // Zero: wait as long as the policy wants.
  std::chrono::nanoseconds action_timeout = std::chrono::seconds(30);

  // Warnings about keys nmz does not know, top level and [container]
  // (Namazu ignored them; nmz warns): file, line, key, closest known key.
  std::vector<std::string> unknown_keys;

  // Keeps the parsed document alive for the policy's ConfigView.
  std::shared_ptr<const toml::table> document;
  [[nodiscard]] const toml::table* explore_policy_param() const;
};

// Parses and checks a config file. Errors name file, line, key and what was
// expected; syntax errors name the position toml++ reports.
sdk::Result<Config> load_config(const std::string& path);
// The same from text (tests, `nmz orchestrator` without a file).
sdk::Result<Config> parse_config(std::string_view text, const std::string& source_name);

// Warnings, in the form of Config::unknown_keys, for the keys of
// `[explorePolicyParam]` that are neither `seed` nor among `accepted` (the
// parameter names the policy declared; dotted for nested tables).
std::vector<std::string> unknown_policy_parameters(const Config& config, const std::vector<std::string>& accepted);

// The policy's view of `[explorePolicyParam]`.
class TomlConfigView final : public sdk::ConfigView {
 public:
  TomlConfigView(std::shared_ptr<const toml::table> document, const toml::table* table, std::string file,
                 std::string prefix);
  // A view of `[explorePolicyParam]` of `config`.
  static std::unique_ptr<TomlConfigView> for_policy(const Config& config);

  sdk::Result<std::optional<std::string>> get_string(std::string_view key) const override;
  sdk::Result<std::optional<std::int64_t>> get_int(std::string_view key) const override;
  sdk::Result<std::optional<double>> get_double(std::string_view key) const override;
  sdk::Result<std::optional<bool>> get_bool(std::string_view key) const override;
  sdk::Result<std::optional<std::chrono::nanoseconds>> get_duration(std::string_view key) const override;
  sdk::Result<std::optional<std::vector<std::string>>> get_string_list(std::string_view key) const override;
  [[nodiscard]] sdk::Status invalid(std::string_view key, std::string_view expected) const override;

 private:
  std::shared_ptr<const toml::table> document_;  // owns what lookup_ points into
  TomlLookup lookup_;
};

}  // namespace nmz::core
