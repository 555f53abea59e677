// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/signal.hpp>

#include <array>
#include <random>

#include <nlohmann/json.hpp>

#include <nmz/sdk/json_string.hpp>

namespace nmz::sdk {
namespace {

constexpr std::array kEventClasses{event_class::nop,      event_class::packet,        event_class::filesystem,
                                   event_class::proc_set, event_class::log,           event_class::java_function,
                                   event_class::c_function};
constexpr std::array kActionClasses{action_class::nop,          action_class::event_acceptance,
                                    action_class::packet_fault, action_class::filesystem_fault,
                                    action_class::proc_set_sched, action_class::shell,
                                    action_class::java_function_fault};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
  for (auto n : names) {
    if (n == name) return true;
  }
  return false;
}

std::optional<nlohmann::json> parse_object(std::string_view text) {
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  return parsed;
}

// Most actions have an empty option ("{}") and are read for one key on
// every packet or file operation: answer "absent" without a parse when the
// key cannot be there (a member's name appears in the text unless escaped).
bool cannot_have_member(std::string_view option_json, std::string_view key) {
  return option_json.find('\\') == std::string_view::npos && option_json.find(key) == std::string_view::npos;
}

}  // namespace

bool is_known_event_class(std::string_view class_name) noexcept { return contains(kEventClasses, class_name); }
bool is_known_action_class(std::string_view class_name) noexcept { return contains(kActionClasses, class_name); }

bool is_orchestrator_side_only(const Action& action) noexcept {
  return action.class_name == action_class::nop || action.class_name == action_class::shell;
}

std::string new_uuid() {
  // One generator per thread: uuids are identifiers, not decisions, so they
  // are deliberately not drawn from the run's seeded generator.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uint64_t hi = generator();
  std::uint64_t lo = generator();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                     // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  // Written in place: this runs twice for every event.
  std::string out(36, '-');
  char* at = out.data();
  auto put = [&](std::uint64_t v, int from_nibble, int count) {
    for (int i = 0; i < count; ++i) *at++ = kHex[(v >> ((from_nibble - i) * 4)) & 0xF];
  };
  put(hi, 15, 8);
  ++at;
  put(hi, 7, 4);
  ++at;
  put(hi, 3, 4);
  ++at;
  put(lo, 15, 4);
  ++at;
  put(lo, 11, 12);
  return out;
}

Action make_action(const Event& event, std::string_view class_name, std::string option_json) {
  Action action;
  action.uuid = new_uuid();
  action.entity = event.entity;
  action.class_name = std::string(class_name);
  action.event_uuid = event.uuid;
  action.option = std::move(option_json);
  return action;
}

Action default_action(const Event& event) {
  return make_action(event, event.deferred ? action_class::event_acceptance : action_class::nop);
}

std::optional<Action> default_fault_action(const Event& event, int fs_errno) {
  if (!event.deferred) return std::nullopt;
  if (event.class_name == event_class::packet) return make_action(event, action_class::packet_fault);
  if (event.class_name == event_class::filesystem) {
    if (fs_errno == 0) return make_action(event, action_class::filesystem_fault);
    return make_action(event, action_class::filesystem_fault, nlohmann::json{{"errno", fs_errno}}.dump());
  }
  if (event.class_name == event_class::java_function) return make_action(event, action_class::java_function_fault);
  return std::nullopt;
}

Event make_event(std::string entity, std::string_view class_name, bool deferred, std::string option_json,
                 std::string replay_hint) {
  Event event;
  event.uuid = new_uuid();
  event.entity = std::move(entity);
  event.class_name = std::string(class_name);
  event.deferred = deferred;
  event.replay_hint = std::move(replay_hint);
  event.option = std::move(option_json);
  return event;
}

Event make_nop_event(std::string entity, std::string option_json) {
  return make_event(std::move(entity), event_class::nop, false, std::move(option_json));
}

Event make_packet_event(std::string entity, std::string_view src_entity, std::string_view dst_entity,
                        std::string payload, std::string replay_hint) {
  // Concatenated rather than built as a json object: this runs for every
  // packet, and nlohmann's objects and serializer cost more than the rest
  // of the event.
  std::string option = "{\"dst_entity\":";
  append_json_string(option, dst_entity);
  option += ",\"src_entity\":";
  append_json_string(option, src_entity);
  option += '}';
  Event event = make_event(std::move(entity), event_class::packet, true, std::move(option), std::move(replay_hint));
  event.payload = std::move(payload);
  return event;
}

Event make_filesystem_event(std::string entity, std::string_view op, std::string_view path,
                            std::string replay_hint) {
  std::string option = "{\"op\":";
  append_json_string(option, op);
  option += ",\"path\":";
  append_json_string(option, path);
  option += '}';
  return make_event(std::move(entity), event_class::filesystem, true, std::move(option), std::move(replay_hint));
}

Event make_log_event(std::string entity, std::string_view src_entity, std::string_view message) {
  nlohmann::json option{{"src_entity", src_entity}, {"message", message}};
  return make_event(std::move(entity), event_class::log, false, option.dump());
}

Action make_shell_action(std::string_view command, std::string_view comments_json) {
  Action action;
  action.uuid = new_uuid();
  action.entity = std::string(kShellActionEntity);
  action.class_name = std::string(action_class::shell);
  auto comments = parse_object(comments_json);
  nlohmann::json option{{"command", command}, {"comments", comments ? *comments : nlohmann::json::object()}};
  action.option = option.dump();
  return action;
}

std::optional<std::string> option_string(std::string_view option_json, std::string_view key) {
  if (cannot_have_member(option_json, key)) return std::nullopt;
  auto option = parse_object(option_json);
  if (!option) return std::nullopt;
  auto it = option->find(key);
  if (it == option->end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::int64_t> option_int(std::string_view option_json, std::string_view key) {
  if (cannot_have_member(option_json, key)) return std::nullopt;
  auto option = parse_object(option_json);
  if (!option) return std::nullopt;
  auto it = option->find(key);
  if (it == option->end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace nmz::sdk
