// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nmz/sdk/export.hpp>
#include <nmz/sdk/status.hpp>

// The signal model: what inspectors report (events) and what policies answer
// (actions), with the same fields and class names as Namazu's REST API v3 so
// that the JSON form (signal_json.hpp) is wire-compatible.
namespace nmz::sdk {

namespace event_class {
inline constexpr std::string_view nop = "NopEvent";
inline constexpr std::string_view packet = "PacketEvent";
inline constexpr std::string_view filesystem = "FilesystemEvent";
inline constexpr std::string_view proc_set = "ProcSetEvent";
inline constexpr std::string_view log = "LogEvent";
inline constexpr std::string_view java_function = "JavaFunctionEvent";
inline constexpr std::string_view c_function = "CFunctionEvent";
}  // namespace event_class

namespace action_class {
inline constexpr std::string_view nop = "NopAction";
inline constexpr std::string_view event_acceptance = "EventAcceptanceAction";
inline constexpr std::string_view packet_fault = "PacketFaultAction";
inline constexpr std::string_view filesystem_fault = "FilesystemFaultAction";
// Not in Namazu: the java inspector's helper returns true to its byteman
// rule, which then throws the exception the rule names.
inline constexpr std::string_view java_function_fault = "JavaFunctionFaultAction";
inline constexpr std::string_view proc_set_sched = "ProcSetSchedAction";
inline constexpr std::string_view shell = "ShellAction";
}  // namespace action_class

// Entity of orchestrator-generated shell actions (Namazu's name).
inline constexpr std::string_view kShellActionEntity = "_namazu_shell_action_entity";

// An intercepted occurrence. `option` is the class-specific JSON object, kept
// as text so that no JSON library type crosses the plugin boundary; use the
// make_* helpers below and signal_json.hpp to build and read it.
struct Event {
  std::string uuid;
  std::string entity;  // the inspector that owns the event and receives its action
  std::string class_name;
  // True when the inspector holds the real operation until the action arrives.
  bool deferred = false;
  // Stable across runs (no times, sequence numbers or addresses that change):
  // what replayable policies hash.
  std::string replay_hint;
  std::string option = "{}";
  // Raw bytes the event carries (a PacketEvent's frame). Kept out of
  // `option` so that nothing is encoded on the in-process path; the JSON
  // form (signal_json.hpp) writes them base64-encoded as option member
  // "bytes", as Namazu's Go inspectors did, and reads them back from there.
  std::string payload;
};

// A decision about one event (or, for ShellAction, about nothing).
struct Action {
  std::string uuid;
  std::string entity;
  std::string class_name;
  std::string event_uuid;  // empty for actions without a cause event
  std::string option = "{}";
};

NMZ_SDK_API bool is_known_event_class(std::string_view class_name) noexcept;
NMZ_SDK_API bool is_known_action_class(std::string_view class_name) noexcept;

// Executed by the orchestrator itself and never sent to an inspector.
NMZ_SDK_API bool is_orchestrator_side_only(const Action& action) noexcept;

// A fresh RFC 4122 version 4 uuid. Thread-safe.
NMZ_SDK_API std::string new_uuid();

// Acceptance for a deferred event, NopAction for any other.
NMZ_SDK_API Action default_action(const Event& event);

// PacketFaultAction for a PacketEvent, FilesystemFaultAction for a
// FilesystemEvent (with `fs_errno`, 0 meaning the inspector's default EIO),
// JavaFunctionFaultAction for a JavaFunctionEvent; nothing for other
// classes or for events that are not deferred.
NMZ_SDK_API std::optional<Action> default_fault_action(const Event& event, int fs_errno = 0);

NMZ_SDK_API Event make_nop_event(std::string entity, std::string option_json = "{}");

// `payload` is the raw frame (Event::payload; "bytes" in the JSON form).
NMZ_SDK_API Event make_packet_event(std::string entity, std::string_view src_entity,
                                    std::string_view dst_entity, std::string payload,
                                    std::string replay_hint);

NMZ_SDK_API Event make_filesystem_event(std::string entity, std::string_view op, std::string_view path,
                                        std::string replay_hint);

NMZ_SDK_API Event make_log_event(std::string entity, std::string_view src_entity, std::string_view message);

// A non-deferred or deferred event of any class with a ready JSON option.
NMZ_SDK_API Event make_event(std::string entity, std::string_view class_name, bool deferred,
                             std::string option_json, std::string replay_hint = {});

// An action answering `event`, of any class, with a ready JSON option.
NMZ_SDK_API Action make_action(const Event& event, std::string_view class_name, std::string option_json = "{}");

// ShellAction: the orchestrator runs `sh -c command`. `comments_json` is an object.
NMZ_SDK_API Action make_shell_action(std::string_view command, std::string_view comments_json = "{}");

// Reads one string member of an event's or action's option, if present and a string.
NMZ_SDK_API std::optional<std::string> option_string(std::string_view option_json, std::string_view key);

// Reads one integer member of an option, if present and an integer.
NMZ_SDK_API std::optional<std::int64_t> option_int(std::string_view option_json, std::string_view key);

}  // namespace nmz::sdk
