// SPDX-License-Identifier: Apache-2.0
// libFuzzer harness for the REST request path without sockets: the bytes a
// client sends go through the endpoint's HTTP parser (fed in two pieces, as
// a socket may split them), each complete request through RestApi (routing,
// checks, event JSON, entity queues, a real Orchestrator whose policy
// answers at once), and each reply through the response writer. Long-polls
// park and are answered by the deliveries of later requests, as on a
// connection. See fuzz/README-rest.md.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nmz/sdk/explore_policy.hpp>

#include "log/logging.hpp"
#include "orchestrator/orchestrator.hpp"
#include "rest/http_request_parser.hpp"
#include "rest/http_response.hpp"
#include "rest/rest_api.hpp"

namespace {

using namespace nmz;

// Answers every event at once, on the submitting thread (as `dumb` with no
// interval does a moment later on its own).
class ImmediatePolicy final : public sdk::ExplorePolicy {
 public:
  sdk::Status configure(const sdk::ComponentContext&) noexcept override { return {}; }
  sdk::Status start(sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    return {};
  }
  void queue_event(sdk::Event event) noexcept override { sink_->emit(sdk::default_action(event)); }
  void stop() noexcept override {}

 private:
  sdk::ActionSink* sink_ = nullptr;
};

class Waiter final : public core::rest::RestEntityQueue::LongPollWaiter {
 public:
  explicit Waiter(core::rest::RestApi::LongPoll poll, std::string& out) : poll_(std::move(poll)), out_(out) {}
  void answer(core::rest::RestEntityQueue::Poll answer) noexcept override {
    auto reply = core::rest::RestApi::reply_for(poll_, answer);
    core::rest::append_http_response(out_, reply.status, "application/json", reply.body, "", true);
  }

 private:
  core::rest::RestApi::LongPoll poll_;
  std::string& out_;
};

// An orchestrator costs a thread (its shell runner), so inputs share one,
// renewed now and then so that the mailboxes of the entity names seen stay
// few. Each input has its own RestApi: its entities are attached afresh
// (redirecting their mailboxes), and the policy answers every event at once,
// so nothing of an earlier input is delivered into this one.
constexpr int kInputsPerOrchestrator = 5000;

std::unique_ptr<core::Orchestrator> make_orchestrator() {
  auto orchestrator = std::make_unique<core::Orchestrator>(
      core::PluginObject<sdk::ExplorePolicy>{nullptr, std::make_unique<ImmediatePolicy>(), "immediate"},
      core::Orchestrator::Options{});
  if (!orchestrator->start()) std::abort();
  spdlog::set_level(spdlog::level::off);  // also the loggers just registered
  return orchestrator;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  core::init_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<core::Orchestrator> orchestrator;
  static int inputs = 0;
  if (!orchestrator || ++inputs % kInputsPerOrchestrator == 0) {
    if (orchestrator) orchestrator->stop();
    orchestrator.reset();
    orchestrator = make_orchestrator();
  }
  orchestrator->set_enabled(true);
  std::string out;
  {
    core::rest::RestApi::Options options;
    options.token = size > 0 && data[0] % 2 == 1 ? "tok" : "";
    options.max_entities = 8;
    core::rest::RestApi api(*orchestrator, options);
    spdlog::set_level(spdlog::level::off);
    // Small limits, so that the fuzzer reaches them.
    core::rest::HttpRequestParser parser({512, 4096});
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t split = size > 0 ? data[size - 1] % (size + 1) : 0;
    for (std::string_view piece : {input.substr(0, split), input.substr(split)}) {
      parser.append(piece);
      for (;;) {
        auto state = parser.parse();
        if (state == core::rest::HttpRequestParser::State::need_more) break;
        if (state == core::rest::HttpRequestParser::State::head_complete) continue;
        if (state == core::rest::HttpRequestParser::State::error) {
          core::rest::append_http_response(out, parser.error_status(), "text/plain", parser.error_message(), "",
                                           false);
          break;
        }
        auto result = api.handle(parser.request(), "127.0.0.1");
        if (auto* reply = std::get_if<core::rest::RestReply>(&result)) {
          core::rest::append_http_response(out, reply->status, "application/json", reply->body,
                                           reply->batch ? "X-Nmz-Batch: 1\r\n" : "", parser.request().keep_alive);
        } else {
          auto& poll = std::get<core::rest::RestApi::LongPoll>(result);
          auto waiter = std::make_shared<Waiter>(poll, out);
          if (auto answer = poll.queue->poll_or_park(poll.max, waiter)) waiter->answer(std::move(*answer));
        }
      }
      if (parser.error_status() != 0) break;
    }
    api.close();
  }
  return 0;
}
