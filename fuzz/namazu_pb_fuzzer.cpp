// SPDX-License-Identifier: Apache-2.0
// Namazu's PB wire (what a Java inspector sends to pbPort) on arbitrary
// frame bytes: an InspectorMsgReq or InspectorMsgRsp or a clear error, never
// a crash. Whatever decodes goes where the server takes it (the event a
// FUNC_CALL/FUNC_RETURN becomes, its JSON, the response), and encodes to
// bytes that decode to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nmz/sdk/signal_json.hpp>

#include "inspector_message.hpp"
#include "java_function_event.hpp"

namespace {

using namespace nmz::namazu_pb;

// Re-encoding what was decoded must give bytes that decode again and encode
// the same: the codec loses or invents nothing it keeps.
template <typename Message, typename Encode, typename Decode>
void check_round_trip(const Message& message, Encode encode, Decode decode) {
  const auto bytes = encode(message);
  auto again = decode(bytes);
  if (!again || encode(*again) != bytes) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  if (auto request = decode_request(frame)) {
    check_round_trip(*request, encode_request, decode_request);
    const bool function_event = request->type == RequestType::event && request->event &&
                                request->event->type != FunctionEventType::exit;
    if (function_event) {
      auto event = make_java_function_event(*request, request->entity_id, 1);
      (void)nmz::sdk::to_json(event);
      (void)call_counter_key(*request);
      auto response = response_for(nmz::sdk::default_action(event), request->msg_id, request->ga_msg_id);
      check_round_trip(response, encode_response, decode_response);
    }
  }
  if (auto response = decode_response(frame)) check_round_trip(*response, encode_response, decode_response);
  return 0;
}
