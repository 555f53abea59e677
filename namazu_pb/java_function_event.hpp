// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>

#include <nmz/sdk/signal.hpp>

#include "inspector_message.hpp"

// How a PB request becomes nmz's JavaFunctionEvent, and an action its
// response.
namespace nmz::namazu_pb {

// A deferred JavaFunctionEvent of `entity` for a FUNC_CALL or FUNC_RETURN
// request. option: function_event_type ("call"/"return"), function_name,
// thread_name, params (name -> string), as Namazu's; plus stack (the
// frames as "class.method(file:line)", which Namazu kept out of the
// option), pid and tid. replay_hint: function, thread name and
// `call_number` (this thread's how-many-th event of this function), so it
// repeats across runs that make the same calls.
sdk::Event make_java_function_event(const InspectorRequest& request, std::string_view entity,
                                    std::uint64_t call_number);

// The stream a request belongs to for call counting: thread and function.
std::string call_counter_key(const InspectorRequest& request);

// ERROR for JavaFunctionFaultAction (the helper's rule throws), ACK for any
// other action, carrying the request's ids.
InspectorResponse response_for(const sdk::Action& action, std::int32_t msg_id, std::optional<std::int32_t> ga_msg_id);

}  // namespace nmz::namazu_pb
