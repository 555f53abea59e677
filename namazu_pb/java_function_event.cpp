// SPDX-License-Identifier: Apache-2.0
#include "java_function_event.hpp"

#include <map>

#include <nmz/sdk/json_string.hpp>

namespace nmz::namazu_pb {

namespace {
std::string_view thread_of(const InspectorRequest& request) {
  return request.java ? std::string_view(request.java->thread_name) : std::string_view();
}
}  // namespace

std::string call_counter_key(const InspectorRequest& request) {
  std::string key(thread_of(request));
  key += '\n';
  key += request.event ? request.event->function_name : std::string();
  key += request.event && request.event->type == FunctionEventType::func_return ? "\nreturn" : "\ncall";
  return key;
}

sdk::Event make_java_function_event(const InspectorRequest& request, std::string_view entity,
                                    std::uint64_t call_number) {
  const bool is_return = request.event && request.event->type == FunctionEventType::func_return;
  const std::string& function = request.event->function_name;
  // Written directly, not through a JSON tree: this runs once per Java call,
  // and the tree's allocations were a tenth of the PB endpoint's time. The
  // members are in key order and params keep the last of equal names, as
  // the tree wrote them.
  std::string option = "{\"function_event_type\":";
  option += is_return ? "\"return\"" : "\"call\"";
  option += ",\"function_name\":";
  sdk::append_json_string(option, function);
  option += ",\"params\":{";
  if (request.java) {
    std::map<std::string_view, std::string_view> params;
    for (const auto& param : request.java->params) params[param.name] = param.value;
    bool first = true;
    for (const auto& [name, value] : params) {
      if (!first) option += ',';
      first = false;
      sdk::append_json_string(option, name);
      option += ':';
      sdk::append_json_string(option, value);
    }
  }
  option += "},\"pid\":" + std::to_string(request.pid) + ",\"stack\":[";
  if (request.java) {
    std::string frame_text;
    for (std::size_t i = 0; i < request.java->stack.size(); ++i) {
      const auto& frame = request.java->stack[i];
      frame_text.assign(frame.class_name).append(".").append(frame.method_name).append("(").append(frame.file_name);
      frame_text.append(":").append(std::to_string(frame.line_number)).append(")");
      if (i > 0) option += ',';
      sdk::append_json_string(option, frame_text);
    }
  }
  option += "],\"thread_name\":";
  sdk::append_json_string(option, thread_of(request));
  option += ",\"tid\":" + std::to_string(request.tid) + "}";
  std::string hint = function + (is_return ? "/return@" : "@") + std::string(thread_of(request)) + "#" +
                     std::to_string(call_number);
  return sdk::make_event(std::string(entity), sdk::event_class::java_function, /*deferred=*/true, std::move(option),
                         std::move(hint));
}

InspectorResponse response_for(const sdk::Action& action, std::int32_t msg_id, std::optional<std::int32_t> ga_msg_id) {
  InspectorResponse response;
  response.result = action.class_name == sdk::action_class::java_function_fault ? ResponseResult::error
                                                                                 : ResponseResult::ack;
  response.msg_id = msg_id;
  response.ga_msg_id = ga_msg_id;
  return response;
}

}  // namespace nmz::namazu_pb
