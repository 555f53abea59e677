// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/signal_json.hpp>

#include <algorithm>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include <nmz/sdk/json_nesting.hpp>
#include <nmz/sdk/json_string.hpp>

#include "base64.hpp"
#include "plain_json.hpp"

namespace nmz::sdk {
namespace {

using nlohmann::json;

// Deeper than this is refused before parsing: a value is serialised and
// destroyed recursively, and ~100 KB of brackets in one REST POST
// overflowed the stack.
constexpr std::size_t kMaxDepth = 128;

json option_object(const std::string& text) {
  if (json_nesting_depth(text) > kMaxDepth) return json::object();
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
  if (auto depth = json_nesting_depth(text); depth > kMaxDepth) {
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
  } catch (const json::out_of_range& e) {
    // A number beyond double's range (1e999999): "[json.exception.
    // out_of_range.406] number overflow parsing '1e999999'".
    std::string what = e.what();
    auto at = what.find("] ");
    return Status::invalid("malformed JSON: " + (at == std::string::npos ? what : what.substr(at + 2)));
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

// An action's option in nlohmann's compact form; "{}" when it is not a JSON
// object.
std::string canonical_option(std::string_view text) {
  if (text == "{}") return std::string(text);
  std::string out;
  std::string_view rest = text;
  std::string_view no_aside;
  if (append_plain_json_object(rest, out, {}, no_aside)) {
    skip_json_space(rest);
    if (rest.empty()) return out;
  }
  return option_object(std::string(text)).dump();
}

// event_from_json for the plain subset (plain_json.hpp) with nothing
// refused, parsed in one pass without a tree; nothing when the text is
// outside that subset or wrong in any way: nlohmann's path then decides,
// and words the error.
std::optional<Event> plain_event_from_json(std::string_view text) {
  Event event;
  std::string_view type;
  std::string_view bytes;
  bool has_uuid = false, has_entity = false, has_class = false, has_hint = false, has_deferred = false;
  bool has_option = false;
  std::string_view rest = text;
  skip_json_space(rest);
  if (rest.empty() || rest.front() != '{') return std::nullopt;
  rest.remove_prefix(1);
  skip_json_space(rest);
  if (!rest.empty() && rest.front() == '}') return std::nullopt;  // no type: nlohmann's error
  for (;;) {
    std::string_view key;
    skip_json_space(rest);
    if (!read_plain_json_string(rest, key)) return std::nullopt;
    skip_json_space(rest);
    if (rest.empty() || rest.front() != ':') return std::nullopt;
    rest.remove_prefix(1);
    skip_json_space(rest);
    const auto read_string = [&](bool& seen, auto&& store) {
      std::string_view value;
      if (seen || !read_plain_json_string(rest, value)) return false;
      seen = true;
      store(value);
      return true;
    };
    bool ok = false;
    if (key == "type") {
      bool seen = !type.empty();
      ok = read_string(seen, [&](std::string_view v) { type = v; }) && !type.empty();
    } else if (key == "uuid") {
      ok = read_string(has_uuid, [&](std::string_view v) { event.uuid = v; });
    } else if (key == "entity") {
      ok = read_string(has_entity, [&](std::string_view v) { event.entity = v; });
    } else if (key == "class") {
      ok = read_string(has_class, [&](std::string_view v) { event.class_name = v; });
    } else if (key == "replay_hint") {
      ok = read_string(has_hint, [&](std::string_view v) { event.replay_hint = v; });
    } else if (key == "deferred" && !has_deferred) {
      has_deferred = true;
      for (std::string_view literal : {"true", "false"}) {
        if (rest.substr(0, literal.size()) == literal) {
          event.deferred = literal == "true";
          rest.remove_prefix(literal.size());
          ok = true;
        }
      }
    } else if (key == "option" && !has_option) {
      has_option = true;
      event.option.clear();
      if (rest.substr(0, 4) == "null") {
        event.option = "{}";
        rest.remove_prefix(4);
        ok = true;
      } else {
        ok = append_plain_json_object(rest, event.option, "bytes", bytes);
      }
    }
    if (!ok) return std::nullopt;  // unknown members, duplicates and odd values go nlohmann's way
    const JsonNext next = read_json_separator(rest, '}');
    if (next == JsonNext::closed) break;
    if (next == JsonNext::malformed) return std::nullopt;
  }
  skip_json_space(rest);
  if (!rest.empty() || type != "event" || !has_uuid || !has_entity || !has_class ||
      !is_known_event_class(event.class_name)) {
    return std::nullopt;
  }
  if (!bytes.empty()) {
    auto decoded = base64_decode(bytes);
    if (!decoded) return std::nullopt;
    event.payload = std::move(*decoded);
  }
  return event;
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
  // Assembled by hand, in nlohmann's (sorted) key order: one action per
  // held operation is written, and a tree for it cost more than the rest of
  // a REST round trip's user time.
  std::string option = canonical_option(action.option);
  std::string out;
  out.reserve(option.size() + action.uuid.size() + action.entity.size() + action.event_uuid.size() + 96);
  out += "{\"class\":";
  append_json_string(out, action.class_name);
  out += ",\"entity\":";
  append_json_string(out, action.entity);
  if (!action.event_uuid.empty()) {
    out += ",\"event_uuid\":";
    append_json_string(out, action.event_uuid);
  }
  out += ",\"option\":";
  out += option;
  out += ",\"type\":\"action\",\"uuid\":";
  append_json_string(out, action.uuid);
  out += '}';
  return out;
}

Result<Event> event_from_json(std::string_view text) {
  if (auto plain = plain_event_from_json(text)) return std::move(*plain);
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
