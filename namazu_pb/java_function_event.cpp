// SPDX-License-Identifier: Apache-2.0
#include "java_function_event.hpp"

#include <nlohmann/json.hpp>

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
  nlohmann::json option = {
      {"function_event_type", is_return ? "return" : "call"},
      {"function_name", function},
      {"thread_name", thread_of(request)},
      {"pid", request.pid},
      {"tid", request.tid},
  };
  nlohmann::json params = nlohmann::json::object();
  nlohmann::json stack = nlohmann::json::array();
  if (request.java) {
    for (const auto& param : request.java->params) params[param.name] = param.value;
    for (const auto& frame : request.java->stack) {
      stack.push_back(frame.class_name + "." + frame.method_name + "(" + frame.file_name + ":" +
                      std::to_string(frame.line_number) + ")");
    }
  }
  option["params"] = std::move(params);
  option["stack"] = std::move(stack);
  std::string hint = function + (is_return ? "/return@" : "@") + std::string(thread_of(request)) + "#" +
                     std::to_string(call_number);
  return sdk::make_event(std::string(entity), sdk::event_class::java_function, /*deferred=*/true,
                         option.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), std::move(hint));
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
