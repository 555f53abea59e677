// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/signal_json.hpp>

#include <algorithm>
#include <string_view>

#include <nlohmann/json.hpp>

#include <nmz/sdk/json_string.hpp>

#include "base64.hpp"

namespace nmz::sdk {
namespace {

using nlohmann::json;

// Deeper than this is refused before parsing: a value is serialised and
// destroyed recursively, and ~100 KB of brackets in one REST POST
// overflowed the stack.
constexpr std::size_t kMaxDepth = 128;

// The deepest bracket nesting in `text`, strings aside.
std::size_t nesting_depth(std::string_view text) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

json option_object(const std::string& text) {
  if (nesting_depth(text) > kMaxDepth) return json::object();
  auto parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() ? parsed : json::object();
}

// Reads a member that must be a string when present; `required` makes absence an error.
Result<std::string> string_member(const json& object, const char* key, bool required) {
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) return Status::invalid(std::string("missing \"") + key + "\"");
    return std::string();
  }
  if (!it->is_string()) return Status::invalid(std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

Result<json> parse_signal(std::string_view text, std::string_view expected_type) {
  if (auto depth = nesting_depth(text); depth > kMaxDepth) {
    return Status::invalid("JSON nested " + std::to_string(depth) + " levels deep; at most " +
                           std::to_string(kMaxDepth) + " are accepted");
  }
  json object;
  try {
    object = json::parse(text);
  } catch (const json::parse_error& e) {
    // what() reads "[json.exception.parse_error.101] parse error at line L,
    // column C: why"; keep the part a user can act on.
    std::string what = e.what();
    auto at = what.find("parse error at ");
    return Status::invalid("malformed JSON at " + (at == std::string::npos ? what : what.substr(at + 15)));
  }
  if (!object.is_object()) return Status::invalid("a signal must be a JSON object");
  auto type = string_member(object, "type", true);
  if (!type) return type.status();
  if (*type != expected_type) {
    return Status::invalid("\"type\" must be \"" + std::string(expected_type) + "\", got \"" + *type + "\"");
  }
  if (auto it = object.find("option"); it != object.end() && !it->is_object() && !it->is_null()) {
    return Status::invalid("\"option\" must be an object");
  }
  return object;
}

std::string option_text(const json& object) {
  auto it = object.find("option");
  return it == object.end() || it->is_null() ? std::string("{}") : it->dump();
}

}  // namespace

std::string to_json(const Event& event) {
  // Assembled by hand, in nlohmann's (sorted) key order, so that a 64 KiB
  // payload is base64-encoded straight into the text instead of going
  // through a json string value, which checks every character for escapes.
  // A PacketEvent always has "bytes", as in Namazu, even when empty.
  const bool with_bytes = !event.payload.empty() || event.class_name == event_class::packet;
  json option = option_object(event.option);
  if (with_bytes) option.erase("bytes");
  std::string option_text = option.dump();
  std::string out;
  out.reserve(option_text.size() + (event.payload.size() + 2) / 3 * 4 + event.replay_hint.size() + 256);
  out += "{\"class\":";
  append_json_string(out, event.class_name);
  out += event.deferred ? ",\"deferred\":true,\"entity\":" : ",\"deferred\":false,\"entity\":";
  append_json_string(out, event.entity);
  out += ",\"option\":";
  if (!with_bytes) {
    out += option_text;
  } else {
    out += "{\"bytes\":\"";
    base64_append(out, event.payload);
    out += '"';
    out += option_text.size() > 2 ? "," : "";
    out.append(option_text, 1);
  }
  if (!event.replay_hint.empty()) {
    out += ",\"replay_hint\":";
    append_json_string(out, event.replay_hint);
  }
  out += ",\"type\":\"event\",\"uuid\":";
  append_json_string(out, event.uuid);
  out += '}';
  return out;
}

std::string to_json(const Action& action) {
  json object{{"uuid", action.uuid},
              {"entity", action.entity},
              {"type", "action"},
              {"class", action.class_name},
              {"option", option_object(action.option)}};
  if (!action.event_uuid.empty()) object["event_uuid"] = action.event_uuid;
  return object.dump();
}

Result<Event> event_from_json(std::string_view text) {
  auto object = parse_signal(text, "event");
  if (!object) return object.status();
  auto uuid = string_member(*object, "uuid", true);
  auto entity = string_member(*object, "entity", true);
  auto class_name = string_member(*object, "class", true);
  auto hint = string_member(*object, "replay_hint", false);
  for (const auto* member : {&uuid, &entity, &class_name, &hint}) {
    if (!*member) return member->status();
  }
  if (!is_known_event_class(*class_name)) return Status::invalid("unknown event class \"" + *class_name + "\"");
  Event event;
  if (auto it = object->find("deferred"); it != object->end()) {
    if (!it->is_boolean()) return Status::invalid("\"deferred\" must be a boolean");
    event.deferred = it->get<bool>();
  }
  event.uuid = std::move(uuid).value();
  event.entity = std::move(entity).value();
  event.class_name = std::move(class_name).value();
  event.replay_hint = std::move(hint).value();
  if (auto option = object->find("option"); option != object->end() && option->is_object()) {
    if (auto bytes = option->find("bytes"); bytes != option->end() && bytes->is_string()) {
      auto decoded = base64_decode(bytes->get_ref<const std::string&>());
      if (!decoded) return Status::invalid("option \"bytes\" must be base64 (standard alphabet)");
      event.payload = std::move(*decoded);
      option->erase(bytes);
    }
  }
  event.option = option_text(*object);
  return event;
}

Result<Action> action_from_json(std::string_view text) {
  auto object = parse_signal(text, "action");
  if (!object) return object.status();
  auto uuid = string_member(*object, "uuid", true);
  auto entity = string_member(*object, "entity", true);
  auto class_name = string_member(*object, "class", true);
  auto event_uuid = string_member(*object, "event_uuid", false);
  for (const auto* member : {&uuid, &entity, &class_name, &event_uuid}) {
    if (!*member) return member->status();
  }
  if (!is_known_action_class(*class_name)) return Status::invalid("unknown action class \"" + *class_name + "\"");
  Action action;
  action.uuid = std::move(uuid).value();
  action.entity = std::move(entity).value();
  action.class_name = std::move(class_name).value();
  action.event_uuid = std::move(event_uuid).value();
  action.option = option_text(*object);
  return action;
}

}  // namespace nmz::sdk
