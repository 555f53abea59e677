// SPDX-License-Identifier: Apache-2.0
#include "endpoint_node.hpp"

#include <string_view>

namespace nmz::plugins {
namespace {
constexpr std::string_view kEntityPrefix = "entity-";
constexpr std::string_view kUnknownEntity = "_namazu_unknown_entity";
}  // namespace

std::optional<std::string> endpoint_node(const std::string& entity) {
  if (entity.empty() || entity == kUnknownEntity) return std::nullopt;
  if (entity.rfind(kEntityPrefix, 0) != 0) return entity;
  std::string rest = entity.substr(kEntityPrefix.size());
  auto colon = rest.rfind(':');
  if (colon != std::string::npos) rest.resize(colon);
  if (rest.size() >= 2 && rest.front() == '[' && rest.back() == ']') rest = rest.substr(1, rest.size() - 2);
  return rest;
}

}  // namespace nmz::plugins
