// SPDX-License-Identifier: Apache-2.0
#include "inspector_message.hpp"

#include "proto_wire.hpp"

namespace nmz::namazu_pb {
namespace {

// Field numbers of inspector_message.proto.
namespace req {
constexpr std::uint32_t entity_id = 1, type = 2, pid = 3, tid = 4, msg_id = 5, ga_msg_id = 6, event = 7,
                        initiation = 8, has_java_fields = 9, java_fields = 10;
}
namespace ev {
constexpr std::uint32_t type = 1, func_call = 2, func_return = 3, exit = 4;
}
namespace java {
constexpr std::uint32_t thread_name = 1, nr_stack = 2, stack = 3, nr_params = 4, params = 5;
}
namespace frame {
constexpr std::uint32_t file_name = 1, class_name = 2, method_name = 3, line_number = 4;
}
namespace rsp {
constexpr std::uint32_t result = 1, msg_id = 2, ga_msg_id = 3;
}

std::string encode_named(std::string_view name) {
  ProtoWriter w;
  w.add_string(1, name);
  return w.take();
}

// The fields a message must have: number and name, for the error.
using RequiredFields = std::initializer_list<std::pair<std::uint32_t, const char*>>;

// Tracks which required fields of one message were seen.
class Required {
 public:
  Required(std::string_view message, RequiredFields fields) : message_(message), fields_(fields) {}
  void saw(std::uint32_t number) {
    if (number < 64) seen_ |= std::uint64_t{1} << number;
  }
  [[nodiscard]] sdk::Status check() const {
    for (const auto& [number, name] : fields_) {
      if ((seen_ & (std::uint64_t{1} << number)) == 0) {
        return sdk::Status::invalid(std::string(message_) + ": required field " + name + " (" +
                                    std::to_string(number) + ") is missing");
      }
    }
    return sdk::Status::ok();
  }

 private:
  std::string_view message_;
  std::vector<std::pair<std::uint32_t, const char*>> fields_;
  std::uint64_t seen_ = 0;
};

sdk::Status wrong_type(std::string_view message, const ProtoField& field) {
  return sdk::Status::invalid(std::string(message) + ": field " + std::to_string(field.number) +
                              " has the wrong wire type");
}

sdk::Status malformed(std::string_view message, const ProtoReader& reader) {
  return sdk::Status::invalid(std::string(message) + ": " + reader.error());
}

// Reads every field of `bytes` with `on_field`, which returns an error for
// a field it cannot take (wrong wire type, bad value) and skips unknown
// ones, then checks that each `required` field came.
template <class OnField>
sdk::Status read_fields(std::string_view message, std::string_view bytes, RequiredFields required, OnField on_field) {
  Required seen(message, required);
  ProtoReader reader(bytes);
  while (auto field = reader.next()) {
    if (auto status = on_field(*field); !status) return status;
    seen.saw(field->number);
  }
  if (!reader.error().empty()) return malformed(message, reader);
  return seen.check();
}

sdk::Status expect(std::string_view message, const ProtoField& field, WireType type) {
  return field.type == type ? sdk::Status::ok() : wrong_type(message, field);
}

sdk::Result<std::string> decode_named(std::string_view message, std::string_view bytes) {
  std::string name;
  auto status = read_fields(message, bytes, {{1, "name"}}, [&](const ProtoField& f) {
    if (f.number != 1) return sdk::Status::ok();
    if (auto s = expect(message, f, WireType::length_delimited); !s) return s;
    name = std::string(f.text);
    return sdk::Status::ok();
  });
  if (!status) return status;
  return name;
}

sdk::Result<FunctionEvent> decode_event(std::string_view bytes) {
  constexpr std::string_view kName = "InspectorMsgReq_Event";
  FunctionEvent event;
  bool has_name = false;
  bool has_exit = false;
  auto status = read_fields(kName, bytes, {{ev::type, "type"}}, [&](const ProtoField& f) -> sdk::Status {
    switch (f.number) {
      case ev::type: {
        if (auto s = expect(kName, f, WireType::varint); !s) return s;
        std::int32_t type = as_int32(f);
        if (type < 1 || type > 3) return sdk::Status::invalid(std::string(kName) + ": unknown type " + std::to_string(type));
        event.type = static_cast<FunctionEventType>(type);
        return sdk::Status::ok();
      }
      case ev::func_call:
      case ev::func_return: {
        if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
        auto name = decode_named(f.number == ev::func_call ? "InspectorMsgReq_Event_FuncCall"
                                                           : "InspectorMsgReq_Event_FuncReturn",
                                 f.text);
        if (!name) return name.status();
        event.function_name = std::move(name).value();
        has_name = true;
        return sdk::Status::ok();
      }
      case ev::exit: {
        if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
        constexpr std::string_view kExit = "InspectorMsgReq_Event_Exit";
        auto s = read_fields(kExit, f.text, {{1, "exitCode"}}, [&](const ProtoField& g) {
          if (g.number != 1) return sdk::Status::ok();
          if (auto t = expect(kExit, g, WireType::varint); !t) return t;
          event.exit_code = as_int32(g);
          return sdk::Status::ok();
        });
        if (!s) return s;
        has_exit = true;
        return sdk::Status::ok();
      }
      default:
        return sdk::Status::ok();
    }
  });
  if (!status) return status;
  if (event.type != FunctionEventType::exit && !has_name) {
    return sdk::Status::invalid(std::string(kName) + ": a FUNC_CALL or FUNC_RETURN event without its function name");
  }
  if (event.type == FunctionEventType::exit && !has_exit) {
    return sdk::Status::invalid(std::string(kName) + ": an EXIT event without its exit code");
  }
  return event;
}

sdk::Result<StackFrame> decode_frame(std::string_view bytes) {
  constexpr std::string_view kName = "InspectorMsgReq_JavaSpecificFields_StackTraceElement";
  StackFrame out;
  const RequiredFields required = {{frame::file_name, "fileName"},
                                   {frame::class_name, "className"},
                                   {frame::method_name, "methodName"},
                                   {frame::line_number, "lineNumber"}};
  auto status = read_fields(kName, bytes, required, [&](const ProtoField& f) -> sdk::Status {
    std::string* text = f.number == frame::file_name     ? &out.file_name
                        : f.number == frame::class_name  ? &out.class_name
                        : f.number == frame::method_name ? &out.method_name
                                                         : nullptr;
    if (text != nullptr) {
      if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
      *text = std::string(f.text);
    } else if (f.number == frame::line_number) {
      if (auto s = expect(kName, f, WireType::varint); !s) return s;
      out.line_number = as_int32(f);
    } else {
      return sdk::Status::ok();
    }
    return sdk::Status::ok();
  });
  if (!status) return status;
  return out;
}

sdk::Result<Parameter> decode_parameter(std::string_view bytes) {
  constexpr std::string_view kName = "InspectorMsgReq_JavaSpecificFields_Params";
  Parameter out;
  auto status = read_fields(kName, bytes, {{1, "name"}, {2, "value"}}, [&](const ProtoField& f) -> sdk::Status {
    if (f.number != 1 && f.number != 2) return sdk::Status::ok();
    if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
    (f.number == 1 ? out.name : out.value) = std::string(f.text);
    return sdk::Status::ok();
  });
  if (!status) return status;
  return out;
}

sdk::Result<JavaFields> decode_java_fields(std::string_view bytes) {
  constexpr std::string_view kName = "InspectorMsgReq_JavaSpecificFields";
  JavaFields out;
  const RequiredFields required = {{java::thread_name, "threadName"},
                                   {java::nr_stack, "nrStackTraceElements"},
                                   {java::nr_params, "nrParams"}};
  auto status = read_fields(kName, bytes, required, [&](const ProtoField& f) -> sdk::Status {
    switch (f.number) {
      case java::thread_name:
        if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
        out.thread_name = std::string(f.text);
        break;
      case java::nr_stack:
      case java::nr_params:
        // The counts repeat the repeated fields' sizes; the fields are what counts.
        if (auto s = expect(kName, f, WireType::varint); !s) return s;
        break;
      case java::stack: {
        if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
        auto element = decode_frame(f.text);
        if (!element) return element.status();
        out.stack.push_back(std::move(element).value());
        return sdk::Status::ok();
      }
      case java::params: {
        if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
        auto param = decode_parameter(f.text);
        if (!param) return param.status();
        out.params.push_back(std::move(param).value());
        return sdk::Status::ok();
      }
      default:
        return sdk::Status::ok();
    }
    return sdk::Status::ok();
  });
  if (!status) return status;
  return out;
}

}  // namespace

std::string encode_request(const InspectorRequest& request) {
  ProtoWriter w;
  w.add_string(req::entity_id, request.entity_id);
  w.add_int32(req::type, static_cast<std::int32_t>(request.type));
  w.add_int32(req::pid, request.pid);
  w.add_int32(req::tid, request.tid);
  w.add_int32(req::msg_id, request.msg_id);
  if (request.ga_msg_id) w.add_int32(req::ga_msg_id, *request.ga_msg_id);
  if (request.event) {
    ProtoWriter e;
    e.add_int32(ev::type, static_cast<std::int32_t>(request.event->type));
    if (request.event->type == FunctionEventType::exit) {
      ProtoWriter x;
      x.add_int32(1, request.event->exit_code);
      e.add_message(ev::exit, x.bytes());
    } else {
      e.add_message(request.event->type == FunctionEventType::func_call ? ev::func_call : ev::func_return,
                    encode_named(request.event->function_name));
    }
    w.add_message(req::event, e.bytes());
  }
  if (request.initiation_entity_id) w.add_message(req::initiation, encode_named(*request.initiation_entity_id));
  w.add_int32(req::has_java_fields, request.java ? 1 : 0);
  if (request.java) {
    ProtoWriter j;
    j.add_string(java::thread_name, request.java->thread_name);
    j.add_int32(java::nr_stack, static_cast<std::int32_t>(request.java->stack.size()));
    for (const auto& element : request.java->stack) {
      ProtoWriter s;
      s.add_string(frame::file_name, element.file_name);
      s.add_string(frame::class_name, element.class_name);
      s.add_string(frame::method_name, element.method_name);
      s.add_int32(frame::line_number, element.line_number);
      j.add_message(java::stack, s.bytes());
    }
    j.add_int32(java::nr_params, static_cast<std::int32_t>(request.java->params.size()));
    for (const auto& param : request.java->params) {
      ProtoWriter p;
      p.add_string(1, param.name);
      p.add_string(2, param.value);
      j.add_message(java::params, p.bytes());
    }
    w.add_message(req::java_fields, j.bytes());
  }
  return w.take();
}

std::string encode_response(const InspectorResponse& response) {
  ProtoWriter w;
  w.add_int32(rsp::result, static_cast<std::int32_t>(response.result));
  if (response.msg_id) w.add_int32(rsp::msg_id, *response.msg_id);
  if (response.ga_msg_id) w.add_int32(rsp::ga_msg_id, *response.ga_msg_id);
  return w.take();
}

sdk::Result<InspectorRequest> decode_request(std::string_view bytes) {
  constexpr std::string_view kName = "InspectorMsgReq";
  InspectorRequest out;
  const RequiredFields required = {{req::entity_id, "entity_id"}, {req::type, "type"},
                                   {req::pid, "pid"},             {req::tid, "tid"},
                                   {req::msg_id, "msg_id"},       {req::has_java_fields, "hasJavaSpecificFields"}};
  auto status = read_fields(kName, bytes, required, [&](const ProtoField& f) -> sdk::Status {
    switch (f.number) {
      case req::entity_id:
        if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
        out.entity_id = std::string(f.text);
        break;
      case req::type: {
        if (auto s = expect(kName, f, WireType::varint); !s) return s;
        std::int32_t type = as_int32(f);
        if (type != 1 && type != 2) return sdk::Status::invalid(std::string(kName) + ": unknown type " + std::to_string(type));
        out.type = static_cast<RequestType>(type);
        break;
      }
      case req::pid:
      case req::tid:
      case req::msg_id:
      case req::ga_msg_id:
      case req::has_java_fields: {
        if (auto s = expect(kName, f, WireType::varint); !s) return s;
        std::int32_t value = as_int32(f);
        if (f.number == req::pid) out.pid = value;
        if (f.number == req::tid) out.tid = value;
        if (f.number == req::msg_id) out.msg_id = value;
        if (f.number == req::ga_msg_id) out.ga_msg_id = value;
        break;
      }
      case req::event: {
        if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
        auto event = decode_event(f.text);
        if (!event) return event.status();
        out.event = std::move(event).value();
        break;
      }
      case req::initiation: {
        if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
        auto entity = decode_named("InspectorMsgReq_Initiation", f.text);
        if (!entity) return entity.status();
        out.initiation_entity_id = std::move(entity).value();
        break;
      }
      case req::java_fields: {
        if (auto s = expect(kName, f, WireType::length_delimited); !s) return s;
        auto java_fields = decode_java_fields(f.text);
        if (!java_fields) return java_fields.status();
        out.java = std::move(java_fields).value();
        break;
      }
      default:
        return sdk::Status::ok();
    }
    return sdk::Status::ok();
  });
  if (!status) return status;
  return out;
}

sdk::Result<InspectorResponse> decode_response(std::string_view bytes) {
  constexpr std::string_view kName = "InspectorMsgRsp";
  InspectorResponse out;
  auto status = read_fields(kName, bytes, {{rsp::result, "res"}}, [&](const ProtoField& f) -> sdk::Status {
    if (f.number < rsp::result || f.number > rsp::ga_msg_id) return sdk::Status::ok();
    if (auto s = expect(kName, f, WireType::varint); !s) return s;
    std::int32_t value = as_int32(f);
    if (f.number == rsp::result) {
      if (value < 1 || value > 3) return sdk::Status::invalid(std::string(kName) + ": unknown res " + std::to_string(value));
      out.result = static_cast<ResponseResult>(value);
    } else if (f.number == rsp::msg_id) {
      out.msg_id = value;
    } else {
      out.ga_msg_id = value;
    }
    return sdk::Status::ok();
  });
  if (!status) return status;
  return out;
}

}  // namespace nmz::namazu_pb
