// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/status.hpp>

// Namazu's InspectorMsgReq / InspectorMsgRsp (inspector_message.proto), with
// its field numbers and enum values, so that Namazu's own Java inspector
// and nmz's helper jar speak the same wire.
namespace nmz::namazu_pb {

enum class RequestType : std::int32_t { event = 1, initiation = 2 };
enum class FunctionEventType : std::int32_t { func_call = 1, func_return = 2, exit = 3 };
enum class ResponseResult : std::int32_t { ack = 1, error = 2, end = 3 };

struct StackFrame {
  std::string file_name;
  std::string class_name;
  std::string method_name;
  std::int32_t line_number = 0;
};

struct Parameter {
  std::string name;
  std::string value;
};

struct FunctionEvent {
  FunctionEventType type = FunctionEventType::func_call;
  // FuncCall.name or FuncReturn.name, whichever the type says.
  std::string function_name;
  std::int32_t exit_code = 0;  // EXIT only
};

struct JavaFields {
  std::string thread_name;
  std::vector<StackFrame> stack;
  std::vector<Parameter> params;
};

struct InspectorRequest {
  std::string entity_id;
  RequestType type = RequestType::event;
  std::int32_t pid = 0;
  std::int32_t tid = 0;
  std::int32_t msg_id = 0;
  std::optional<std::int32_t> ga_msg_id;
  std::optional<FunctionEvent> event;
  std::optional<std::string> initiation_entity_id;
  std::optional<JavaFields> java;  // hasJavaSpecificFields is 1 exactly when set
};

struct InspectorResponse {
  ResponseResult result = ResponseResult::ack;
  std::optional<std::int32_t> msg_id;
  std::optional<std::int32_t> ga_msg_id;
};

std::string encode_request(const InspectorRequest& request);
std::string encode_response(const InspectorResponse& response);

// invalid_argument naming what is wrong: malformed encoding, a required
// field missing, an enum value Namazu does not define.
sdk::Result<InspectorRequest> decode_request(std::string_view bytes);
sdk::Result<InspectorResponse> decode_response(std::string_view bytes);

}  // namespace nmz::namazu_pb
