// SPDX-License-Identifier: Apache-2.0
#include "config/config.hpp"

#include <fstream>
#include <sstream>

namespace nmz::core {

using sdk::Result;
using sdk::Status;

namespace {

// Assigns `*target` from `lookup.getter(key)` when present; returns the error otherwise.
template <class T, class Getter>
Status read_into(const TomlLookup& lookup, std::string_view key, T* target, Getter getter) {
  auto value = (lookup.*getter)(key);
  if (!value) return value.status();
  if (value->has_value()) *target = **value;
  return Status::ok();
}

constexpr std::string_view kKnownTopLevelKeys[] = {
    "init", "run", "validate", "clean", "notCleanIfValidationFail", "storageType", "pbPort", "restPort",
    "explorePolicy", "explorePolicyParam", "container", "skipInitOrchestrator", "restAddress", "restToken",
    "pluginPath", "seed", "orchestratorTimeout", "signature", "signatureTrace"};

Status check_port(const TomlLookup& lookup, std::string_view key, std::int64_t port) {
  if (port < -1 || port > 65535) return lookup.invalid(key, "-1 (disabled), 0 (any free port) or a port up to 65535");
  return Status::ok();
}

Result<Config> build(std::shared_ptr<const toml::table> document, const std::string& file) {
  Config config;
  config.source = file;
  TomlLookup top(document.get(), file, "");
  Status status;
  auto all = [&](std::initializer_list<Status> statuses) {
    for (const auto& s : statuses) {
      if (!s) return s;
    }
    return Status::ok();
  };
  status = all({
      read_into(top, "init", &config.init_script, &TomlLookup::get_string),
      read_into(top, "run", &config.run_script, &TomlLookup::get_string),
      read_into(top, "validate", &config.validate_script, &TomlLookup::get_string),
      read_into(top, "clean", &config.clean_script, &TomlLookup::get_string),
      read_into(top, "signature", &config.signature_script, &TomlLookup::get_string),
      read_into(top, "signatureTrace", &config.signature_trace, &TomlLookup::get_bool),
      read_into(top, "notCleanIfValidationFail", &config.not_clean_if_validation_fail, &TomlLookup::get_bool),
      read_into(top, "storageType", &config.storage_type, &TomlLookup::get_string),
      read_into(top, "pbPort", &config.pb_port, &TomlLookup::get_int),
      read_into(top, "restPort", &config.rest_port, &TomlLookup::get_int),
      read_into(top, "explorePolicy", &config.explore_policy, &TomlLookup::get_string),
      read_into(top, "skipInitOrchestrator", &config.skip_init_orchestrator, &TomlLookup::get_bool),
      read_into(top, "restAddress", &config.rest_address, &TomlLookup::get_string),
      read_into(top, "restToken", &config.rest_token, &TomlLookup::get_string),
      read_into(top, "pluginPath", &config.plugin_path, &TomlLookup::get_string_list),
      read_into(top, "orchestratorTimeout", &config.orchestrator_timeout, &TomlLookup::get_duration),
  });
  if (!status) return status;
  if (config.storage_type != "naive") return top.invalid("storageType", "\"naive\" (the only storage nmz has)");
  if (config.explore_policy.empty()) return top.invalid("explorePolicy", "a policy name");
  if (auto s = check_port(top, "restPort", config.rest_port); !s) return s;
  if (auto s = check_port(top, "pbPort", config.pb_port); !s) return s;
  if (!config.signature_trace && config.signature_script.empty()) {
    return top.invalid("signatureTrace", "true unless a `signature` script gives the signature");
  }
  if (config.orchestrator_timeout.count() <= 0) return top.invalid("orchestratorTimeout", "a positive duration");

  auto param = top.get_table("explorePolicyParam");
  if (!param) return param.status();
  // The seed may be a string (Namazu's replayable) or an integer.
  for (auto [lookup, key] : {std::pair{TomlLookup(document.get(), file, ""), "seed"},
                             std::pair{TomlLookup(*param, file, "explorePolicyParam"), "seed"}}) {
    if (!config.seed.empty()) break;
    if (auto as_int = lookup.get_int(key); as_int && as_int->has_value()) {
      config.seed = std::to_string(**as_int);
    } else if (auto as_string = lookup.get_string(key); as_string) {
      config.seed = as_string->value_or("");
    } else {
      return lookup.invalid(key, "a string or an integer");
    }
  }

  auto container_table = top.get_table("container");
  if (!container_table) return container_table.status();
  TomlLookup container(*container_table, file, "container");
  auto& c = config.container;
  status = all({
      read_into(container, "enableEthernetInspector", &c.enable_ethernet_inspector, &TomlLookup::get_bool),
      read_into(container, "ethernetNFQNumber", &c.ethernet_nfq_number, &TomlLookup::get_int),
      read_into(container, "enableProcInspector", &c.enable_proc_inspector, &TomlLookup::get_bool),
      read_into(container, "procWatchInterval", &c.proc_watch_interval, &TomlLookup::get_duration),
      read_into(container, "enableFSInspector", &c.enable_fs_inspector, &TomlLookup::get_bool),
  });
  if (!status) return status;
  if (c.enable_ethernet_inspector && (c.ethernet_nfq_number <= 0 || c.ethernet_nfq_number > 65535)) {
    return container.invalid("ethernetNFQNumber", "a queue number from 1 to 65535");
  }
  if (c.enable_proc_inspector && c.proc_watch_interval.count() <= 0) {
    return container.invalid("procWatchInterval", "a positive duration");
  }
  for (const auto& key : top.keys()) {
    bool known = false;
    for (auto k : kKnownTopLevelKeys) known = known || iequals(k, key);
    if (!known) config.unknown_keys.push_back(key);
  }
  config.document = std::move(document);
  return config;
}

}  // namespace

const toml::table* Config::explore_policy_param() const {
  if (!document) return nullptr;
  auto table = TomlLookup(document.get(), source, "").get_table("explorePolicyParam");
  return table ? *table : nullptr;
}

Result<Config> parse_config(std::string_view text, const std::string& source_name) {
  try {
    auto document = std::make_shared<const toml::table>(toml::parse(text, source_name));
    return build(std::move(document), source_name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    std::ostringstream out;
    out << source_name << ":" << where.line << ":" << where.column << ": TOML syntax error: " << e.description();
    return Status::invalid(out.str());
  }
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(sdk::StatusCode::not_found, path + ": cannot open config file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path);
}

TomlConfigView::TomlConfigView(std::shared_ptr<const toml::table> document, const toml::table* table,
                               std::string file, std::string prefix)
    : document_(std::move(document)), lookup_(table, std::move(file), std::move(prefix)) {}

std::unique_ptr<TomlConfigView> TomlConfigView::for_policy(const Config& config) {
  return std::make_unique<TomlConfigView>(config.document, config.explore_policy_param(),
                                          config.source.empty() ? "<defaults>" : config.source,
                                          "explorePolicyParam");
}

Result<std::optional<std::string>> TomlConfigView::get_string(std::string_view key) const {
  return lookup_.get_string(key);
}
Result<std::optional<std::int64_t>> TomlConfigView::get_int(std::string_view key) const {
  return lookup_.get_int(key);
}
Result<std::optional<double>> TomlConfigView::get_double(std::string_view key) const {
  return lookup_.get_double(key);
}
Result<std::optional<bool>> TomlConfigView::get_bool(std::string_view key) const { return lookup_.get_bool(key); }
Result<std::optional<std::chrono::nanoseconds>> TomlConfigView::get_duration(std::string_view key) const {
  return lookup_.get_duration(key);
}
Result<std::optional<std::vector<std::string>>> TomlConfigView::get_string_list(std::string_view key) const {
  return lookup_.get_string_list(key);
}
Status TomlConfigView::invalid(std::string_view key, std::string_view expected) const {
  return lookup_.invalid(key, expected);
}

}  // namespace nmz::core
