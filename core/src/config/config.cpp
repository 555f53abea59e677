// SPDX-License-Identifier: Apache-2.0
#include "config/config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <span>
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
    "pluginPath", "seed", "orchestratorTimeout", "signature", "signatureTrace", "recordCoverage", "runTimeout",
    "allowPluginOverride", "actionTimeout", "restMaxEntities", "restEntityExpiry"};

// Keys that differ only in case name the same setting (keys are
// case-insensitive): two of them in one table is a mistake to point at.
Status check_case_duplicates(const toml::table& table, const std::string& file, const std::string& prefix) {
  std::vector<std::pair<std::string, const toml::node*>> seen;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    for (const auto& [other, other_node] : seen) {
      if (iequals(other, name)) {
        // toml++ keeps keys sorted: name them in the file's order.
        const bool other_first = other_node->source().begin.line <= node.source().begin.line;
        const auto& [first, first_node] = other_first ? std::pair{other, other_node} : std::pair{name, &node};
        const auto& [second, second_node] = other_first ? std::pair{name, &node} : std::pair{other, other_node};
        std::ostringstream out;
        out << file << ":" << second_node->source().begin.line << ": keys " << prefix << first << " (line "
            << first_node->source().begin.line << ") and " << prefix << second
            << " differ only in case and name the same setting: keep one";
        return Status::invalid(out.str());
      }
    }
    seen.emplace_back(name, &node);
    if (const toml::table* inner = node.as_table()) {
      if (auto s = check_case_duplicates(*inner, file, prefix + name + "."); !s) return s;
    }
  }
  return Status::ok();
}

// The deepest nesting a line of the text asks for (dots in a key or table
// header, open brackets and braces), strings and comments aside. toml++
// recurses once per level: an absurd file must be refused before it
// exhausts the stack.
std::size_t nesting_depth(std::string_view text) {
  std::size_t deepest = 0;
  std::size_t brackets = 0;
  std::size_t dots = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"' || c == '\'') {
      const bool triple = text.substr(i, 3) == std::string(3, c);
      const std::string_view close = triple ? text.substr(i, 3) : text.substr(i, 1);
      for (i += close.size(); i < text.size() && text.substr(i, close.size()) != close; ++i) {
        if (c == '"' && text[i] == '\\') ++i;
      }
      i += close.size() - 1;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      dots = 0;
    } else if (c == '\n') {
      dots = 0;
    } else if (c == '.') {
      ++dots;
    } else if (c == '[' || c == '{') {
      ++brackets;
    } else if ((c == ']' || c == '}') && brackets > 0) {
      --brackets;
    }
    deepest = std::max({deepest, dots, brackets});
  }
  return deepest;
}

constexpr std::size_t kMaxNesting = 128;

// Edits between two keys, ignoring case, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// Notes every key of `table` that `known` does not name: "<file>:<line>:
// unknown key "explorePolicyParam.maxInteval" ignored; did you mean
// explorePolicyParam.maxInterval?". Keys below `path` are dotted; a
// sub-table is entered when a known name lies inside it.
void note_unknown_keys(const toml::table* table, const std::string& file, const std::string& prefix,
                       const std::string& path, std::span<const std::string_view> known, std::vector<std::string>& out) {
  if (table == nullptr) return;
  for (const auto& [key, node] : *table) {
    const std::string name = path + std::string(key.str());
    if (std::any_of(known.begin(), known.end(), [&](std::string_view k) { return iequals(k, name); })) continue;
    const std::string inner = name + ".";
    if (node.is_table() &&
        std::any_of(known.begin(), known.end(), [&](std::string_view k) { return starts_with_ignoring_case(k, inner); })) {
      note_unknown_keys(node.as_table(), file, prefix, inner, known, out);
      continue;
    }
    std::string_view closest;
    std::size_t best = name.size() / 3 + 2;  // further than that is another word
    for (auto candidate : known) {
      if (auto d = edit_distance(name, candidate); d < best) {
        best = d;
        closest = candidate;
      }
    }
    std::ostringstream message;
    message << file << ":" << node.source().begin.line << ": unknown key \"" << prefix << name << "\" ignored";
    if (!closest.empty()) message << "; did you mean " << prefix << closest << "?";
    out.push_back(message.str());
  }
}

Status check_port(const TomlLookup& lookup, std::string_view key, std::int64_t port) {
  if (port < -1 || port > 65535) return lookup.invalid(key, "-1 (disabled), 0 (any free port) or a port up to 65535");
  return Status::ok();
}

constexpr std::string_view kKnownContainerKeys[] = {"enableEthernetInspector", "ethernetNFQNumber",
                                                    "enableProcInspector", "procWatchInterval", "enableFSInspector",
                                                    "enableJavaInspector", "javaRules", "javaPBPort"};

// Relative to the config file, wherever nmz is started from (the current
// directory may be anyone's).
void resolve_against_config(std::vector<std::string>& paths, const std::string& file) {
  for (auto& path : paths) {
    if (!path.empty() && path.front() != '/' && !file.empty()) {
      path = (std::filesystem::absolute(file).parent_path() / path).lexically_normal().string();
    }
  }
}

Result<Config> build(std::shared_ptr<const toml::table> document, const std::string& file) {
  Config config;
  config.source = file;
  if (auto s = check_case_duplicates(*document, file, ""); !s) return s;
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
      read_into(top, "recordCoverage", &config.record_coverage, &TomlLookup::get_bool),
      read_into(top, "notCleanIfValidationFail", &config.not_clean_if_validation_fail, &TomlLookup::get_bool),
      read_into(top, "storageType", &config.storage_type, &TomlLookup::get_string),
      read_into(top, "pbPort", &config.pb_port, &TomlLookup::get_int),
      read_into(top, "restPort", &config.rest_port, &TomlLookup::get_int),
      read_into(top, "explorePolicy", &config.explore_policy, &TomlLookup::get_string),
      read_into(top, "skipInitOrchestrator", &config.skip_init_orchestrator, &TomlLookup::get_bool),
      read_into(top, "restAddress", &config.rest_address, &TomlLookup::get_string),
      read_into(top, "restToken", &config.rest_token, &TomlLookup::get_string),
      read_into(top, "restMaxEntities", &config.rest_max_entities, &TomlLookup::get_int),
      read_into(top, "restEntityExpiry", &config.rest_entity_expiry, &TomlLookup::get_duration),
      read_into(top, "pluginPath", &config.plugin_path, &TomlLookup::get_string_list),
      read_into(top, "orchestratorTimeout", &config.orchestrator_timeout, &TomlLookup::get_duration),
      read_into(top, "runTimeout", &config.run_timeout, &TomlLookup::get_duration),
      read_into(top, "allowPluginOverride", &config.allow_plugin_override, &TomlLookup::get_string_list),
      read_into(top, "actionTimeout", &config.action_timeout, &TomlLookup::get_duration),
  });
  if (!status) return status;
  resolve_against_config(config.plugin_path, file);
  if (config.storage_type != "naive") return top.invalid("storageType", "\"naive\" (the only storage nmz has)");
  if (config.explore_policy.empty()) return top.invalid("explorePolicy", "a policy name");
  if (auto s = check_port(top, "restPort", config.rest_port); !s) return s;
  if (auto s = check_port(top, "pbPort", config.pb_port); !s) return s;
  if (!config.signature_trace && config.signature_script.empty()) {
    return top.invalid("signatureTrace", "true unless a `signature` script gives the signature");
  }
  if (config.orchestrator_timeout.count() <= 0) return top.invalid("orchestratorTimeout", "a positive duration");
  if (config.run_timeout.count() < 0) return top.invalid("runTimeout", "a duration, 0 for no limit");
  if (config.action_timeout.count() < 0) return top.invalid("actionTimeout", "a duration, 0 for no limit");
  if (config.rest_max_entities < 1 || config.rest_max_entities > 1000000) {
    return top.invalid("restMaxEntities", "an integer from 1 to 1000000");
  }
  if (config.rest_entity_expiry < std::chrono::milliseconds(1)) {
    return top.invalid("restEntityExpiry", "a positive duration (\"60s\")");
  }

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
      read_into(container, "enableJavaInspector", &c.enable_java_inspector, &TomlLookup::get_bool),
      read_into(container, "javaRules", &c.java_rules, &TomlLookup::get_string_list),
      read_into(container, "javaPBPort", &c.java_pb_port, &TomlLookup::get_int),
  });
  if (!status) return status;
  resolve_against_config(c.java_rules, file);
  if (c.enable_java_inspector && c.java_rules.empty()) {
    return container.invalid("javaRules", "at least one byteman rule file when enableJavaInspector is true");
  }
  if (c.java_pb_port < 1 || c.java_pb_port > 65535) return container.invalid("javaPBPort", "a port from 1 to 65535");
  if (c.enable_ethernet_inspector && (c.ethernet_nfq_number <= 0 || c.ethernet_nfq_number > 65535)) {
    return container.invalid("ethernetNFQNumber", "a queue number from 1 to 65535");
  }
  if (c.enable_proc_inspector && c.proc_watch_interval.count() <= 0) {
    return container.invalid("procWatchInterval", "a positive duration");
  }
  note_unknown_keys(document.get(), file, "", "", kKnownTopLevelKeys, config.unknown_keys);
  note_unknown_keys(*container_table, file, "container.", "", kKnownContainerKeys, config.unknown_keys);
  config.document = std::move(document);
  return config;
}

}  // namespace

const toml::table* Config::explore_policy_param() const {
  if (!document) return nullptr;
  auto table = TomlLookup(document.get(), source, "").get_table("explorePolicyParam");
  return table ? *table : nullptr;
}

std::vector<std::string> unknown_policy_parameters(const Config& config, const std::vector<std::string>& accepted) {
  std::vector<std::string_view> known(accepted.begin(), accepted.end());
  known.emplace_back("seed");  // read by nmz itself (Namazu's place for the seed)
  std::vector<std::string> warnings;
  note_unknown_keys(config.explore_policy_param(), config.source.empty() ? "<defaults>" : config.source,
                    "explorePolicyParam.", "", known, warnings);
  return warnings;
}

Result<Config> parse_config(std::string_view text, const std::string& source_name) {
  if (auto depth = nesting_depth(text); depth > kMaxNesting) {
    return Status::invalid(source_name + ": nested " + std::to_string(depth) + " levels deep (keys, tables or " +
                           "arrays); nmz reads at most " + std::to_string(kMaxNesting));
  }
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
