// SPDX-License-Identifier: Apache-2.0
#include "config/toml_lookup.hpp"

#include <cctype>
#include <sstream>

#include <nmz/sdk/duration.hpp>

namespace nmz::core {

using sdk::Result;
using sdk::Status;

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

namespace {

std::string describe(const toml::node& node) {
  std::ostringstream out;
  switch (node.type()) {
    case toml::node_type::string:
      out << "string \"" << node.value<std::string>().value_or("") << "\"";
      break;
    case toml::node_type::integer:
      out << "integer " << node.value<std::int64_t>().value_or(0);
      break;
    case toml::node_type::floating_point:
      out << "float " << node.value<double>().value_or(0);
      break;
    case toml::node_type::boolean:
      out << "boolean " << (node.value<bool>().value_or(false) ? "true" : "false");
      break;
    case toml::node_type::table:
      out << "a table";
      break;
    case toml::node_type::array:
      out << "an array";
      break;
    default:
      out << "a date/time";
      break;
  }
  return out.str();
}

}  // namespace

TomlLookup::TomlLookup(const toml::table* table, std::string file, std::string key_prefix)
    : table_(table), file_(std::move(file)), key_prefix_(std::move(key_prefix)) {}

std::string TomlLookup::full_key(std::string_view key) const {
  return key_prefix_.empty() ? std::string(key) : key_prefix_ + "." + std::string(key);
}

const toml::node* TomlLookup::find(std::string_view dotted_key) const {
  const toml::table* current = table_;
  while (current != nullptr) {
    auto dot = dotted_key.find('.');
    std::string_view head = dotted_key.substr(0, dot);
    const toml::node* found = nullptr;
    for (const auto& [k, v] : *current) {
      if (iequals(k.str(), head)) {
        found = &v;
        break;
      }
    }
    if (found == nullptr || dot == std::string_view::npos) return found;
    current = found->as_table();
    dotted_key.remove_prefix(dot + 1);
  }
  return nullptr;
}

Status TomlLookup::type_error(std::string_view key, const toml::node& node, std::string_view expected) const {
  const auto& where = node.source().begin;
  std::ostringstream out;
  out << file_ << ":" << where.line << ":" << where.column << ": key " << full_key(key) << ": expected " << expected
      << ", got " << describe(node);
  return Status::invalid(out.str());
}

Status TomlLookup::invalid(std::string_view key, std::string_view expected) const {
  if (const toml::node* node = find(key)) return type_error(key, *node, expected);
  return Status::invalid(file_ + ": key " + full_key(key) + ": expected " + std::string(expected));
}

Result<std::optional<std::string>> TomlLookup::get_string(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::optional<std::string>();
  if (auto v = node->value<std::string>(); v && node->is_string()) return std::optional<std::string>(*v);
  return type_error(key, *node, "a string");
}

Result<std::optional<std::int64_t>> TomlLookup::get_int(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::optional<std::int64_t>();
  if (node->is_integer()) return std::optional<std::int64_t>(*node->value<std::int64_t>());
  return type_error(key, *node, "an integer");
}

Result<std::optional<double>> TomlLookup::get_double(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::optional<double>();
  if (node->is_floating_point()) return std::optional<double>(*node->value<double>());
  if (node->is_integer()) {
    // Beyond 2^53 an integer has no exact double (and toml++ gives none).
    constexpr std::int64_t kExact = std::int64_t{1} << 53;
    const std::int64_t value = *node->value<std::int64_t>();
    if (value >= -kExact && value <= kExact) return std::optional<double>(static_cast<double>(value));
    return type_error(key, *node, "a number from -2^53 to 2^53");
  }
  return type_error(key, *node, "a number");
}

Result<std::optional<bool>> TomlLookup::get_bool(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return std::optional<bool>();
  if (node->is_boolean()) return std::optional<bool>(*node->value<bool>());
  if (node->is_integer()) return std::optional<bool>(*node->value<std::int64_t>() != 0);
  if (node->is_string()) {
    // Namazu's etcd example writes notCleanIfValidationFail = "true".
    std::string s = *node->value<std::string>();
    if (s == "true" || s == "1" || s == "TRUE" || s == "True" || s == "t") return std::optional<bool>(true);
    if (s == "false" || s == "0" || s == "FALSE" || s == "False" || s == "f") return std::optional<bool>(false);
  }
  return type_error(key, *node, "a boolean (true or false)");
}

Result<std::optional<std::chrono::nanoseconds>> TomlLookup::get_duration(std::string_view key) const {
  using Opt = std::optional<std::chrono::nanoseconds>;
  const toml::node* node = find(key);
  if (node == nullptr) return Opt();
  // A float is not truncated into nanoseconds: 1.5 more likely meant "1.5s".
  if (node->is_integer()) return Opt(std::chrono::nanoseconds(*node->value<std::int64_t>()));
  if (node->is_string()) {
    auto parsed = sdk::parse_duration(*node->value<std::string>());
    if (parsed) return Opt(*parsed);
  }
  return type_error(key, *node, "a duration such as \"80ms\", \"1.5s\" or integer nanoseconds");
}

Result<std::optional<std::vector<std::string>>> TomlLookup::get_string_list(std::string_view key) const {
  using Opt = std::optional<std::vector<std::string>>;
  const toml::node* node = find(key);
  if (node == nullptr) return Opt();
  const toml::array* array = node->as_array();
  if (array == nullptr) return type_error(key, *node, "a list of strings");
  std::vector<std::string> out;
  for (const auto& item : *array) {
    if (!item.is_string()) return type_error(key, item, "a list of strings");
    out.push_back(*item.value<std::string>());
  }
  return Opt(std::move(out));
}

Result<const toml::table*> TomlLookup::get_table(std::string_view key) const {
  const toml::node* node = find(key);
  if (node == nullptr) return static_cast<const toml::table*>(nullptr);
  if (const toml::table* table = node->as_table()) return table;
  return type_error(key, *node, "a table");
}

std::vector<std::string> TomlLookup::keys() const {
  std::vector<std::string> out;
  if (table_ != nullptr) {
    for (const auto& [k, v] : *table_) out.emplace_back(k.str());
  }
  return out;
}

}  // namespace nmz::core
