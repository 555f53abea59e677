// SPDX-License-Identifier: Apache-2.0
// Namazu's PB wire: the codec, and the server over real TCP sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "inspector_message.hpp"
#include "inspector_server.hpp"
#include "java_function_event.hpp"

using namespace nmz::namazu_pb;

namespace {

InspectorRequest call_request(std::string entity, std::string thread, std::int32_t msg_id) {
  InspectorRequest request;
  request.entity_id = std::move(entity);
  request.type = RequestType::event;
  request.pid = 42;
  request.tid = 7;
  request.msg_id = msg_id;
  request.event = FunctionEvent{FunctionEventType::func_call, "Account.deposit", 0};
  request.java = JavaFields{std::move(thread), {{"Account.java", "bank.Account", "deposit", 12}}, {{"$1", "100"}}};
  return request;
}

std::string framed(const std::string& message) {
  auto size = static_cast<std::uint32_t>(message.size());
  std::string frame{static_cast<char>(size & 0xFF), static_cast<char>((size >> 8) & 0xFF),
                    static_cast<char>((size >> 16) & 0xFF), static_cast<char>(size >> 24)};
  return frame + message;
}

class CaptureLogger final : public nmz::sdk::Logger {
 public:
  void write(nmz::sdk::LogLevel level, std::string_view message) noexcept override {
    if (level < nmz::sdk::LogLevel::warn) return;
    std::lock_guard lock(mutex);
    lines.emplace_back(message);
  }
  [[nodiscard]] bool enabled(nmz::sdk::LogLevel) const noexcept override { return true; }
  std::string all() {
    std::lock_guard lock(mutex);
    std::string out;
    for (const auto& line : lines) out += line + "\n";
    return out;
  }
  std::mutex mutex;
  std::vector<std::string> lines;
};

// Collects submitted events; the test answers them.
struct Submitted {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<nmz::sdk::Event> events;

  nmz::sdk::Status add(nmz::sdk::Event event) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(event));
    arrived.notify_all();
    return nmz::sdk::Status::ok();
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return events.size();
  }
  nmz::sdk::Event wait_for(std::size_t count) {
    std::unique_lock lock(mutex);
    REQUIRE(arrived.wait_for(lock, std::chrono::seconds(10), [&] { return events.size() >= count; }));
    return events[count - 1];
  }
};

class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  }
  ~Client() { ::close(fd_); }
  void send_raw(const std::string& bytes) { REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())); }
  void send(const InspectorRequest& request) { send_raw(framed(encode_request(request))); }
  // The next response, or nothing when the server closed the connection.
  std::optional<InspectorResponse> receive() {
    unsigned char header[4];
    if (!read_exactly(reinterpret_cast<char*>(header), 4)) return std::nullopt;
    std::string body(header[0] | header[1] << 8 | header[2] << 16 | std::uint32_t{header[3]} << 24, '\0');
    REQUIRE(read_exactly(body.data(), body.size()));
    auto response = decode_response(body);
    REQUIRE(response);
    return response.value();
  }
  bool closed_by_server() { return !receive().has_value(); }

 private:
  bool read_exactly(char* into, std::size_t size) {
    while (size > 0) {
      pollfd p{fd_, POLLIN, 0};
      REQUIRE(::poll(&p, 1, 10000) == 1);
      ssize_t got = ::recv(fd_, into, size, 0);
      if (got <= 0) return false;
      into += got;
      size -= static_cast<std::size_t>(got);
    }
    return true;
  }
  int fd_ = -1;
};

struct Fixture {
  CaptureLogger logger;
  Submitted submitted;
  std::unique_ptr<InspectorServer> server;

  explicit Fixture(std::string only_entity = "") {
    InspectorServer::Options options;
    options.max_frame_bytes = 4096;
    options.only_entity = std::move(only_entity);
    auto started = InspectorServer::start(
        options, [this](nmz::sdk::Event e) { return submitted.add(std::move(e)); }, logger);
    REQUIRE(started);
    server = std::move(started).value();
  }
  nmz::sdk::Action answer(const nmz::sdk::Event& event, std::string_view action_class) {
    auto action = nmz::sdk::make_action(event, action_class);
    REQUIRE(server->deliver(action));
    return action;
  }
};

}  // namespace

TEST_CASE("a request survives encode and decode with every field") {
  InspectorRequest request = call_request("zk1", "main", 5);
  request.ga_msg_id = 9;
  auto decoded = decode_request(encode_request(request));
  REQUIRE(decoded);
  CHECK(decoded->entity_id == "zk1");
  CHECK(decoded->pid == 42);
  CHECK(decoded->tid == 7);
  CHECK(decoded->msg_id == 5);
  CHECK(decoded->ga_msg_id == 9);
  REQUIRE(decoded->event);
  CHECK(decoded->event->function_name == "Account.deposit");
  REQUIRE(decoded->java);
  CHECK(decoded->java->thread_name == "main");
  REQUIRE(decoded->java->stack.size() == 1);
  CHECK(decoded->java->stack[0].class_name == "bank.Account");
  CHECK(decoded->java->stack[0].line_number == 12);
  REQUIRE(decoded->java->params.size() == 1);
  CHECK(decoded->java->params[0].value == "100");
}

TEST_CASE("negative int32 values use ten-byte varints and come back") {
  InspectorRequest request = call_request("e", "t", -3);
  auto decoded = decode_request(encode_request(request));
  REQUIRE(decoded);
  CHECK(decoded->msg_id == -3);
}

TEST_CASE("decoding rejects garbage, missing required fields and unknown enum values") {
  CHECK_FALSE(decode_request("\xff\xff\xff"));
  CHECK_FALSE(decode_request(std::string("\x0a\x05zk", 4)));  // length runs past the end
  InspectorRequest request = call_request("e", "t", 1);
  std::string bytes = encode_request(request);
  auto missing = decode_request(bytes.substr(0, 3));  // only entity_id
  REQUIRE_FALSE(missing);
  CHECK(missing.status().message().find("required field") != std::string::npos);
  std::string unknown_type = bytes;
  unknown_type[unknown_type.find('\x10') + 1] = '\x07';  // type = 7
  auto unknown = decode_request(unknown_type);
  REQUIRE_FALSE(unknown);
  CHECK(unknown.status().message().find("unknown type 7") != std::string::npos);
  CHECK_FALSE(decode_response(std::string("\x08\x09", 2)));
}

TEST_CASE("the server turns a call into a JavaFunctionEvent and answers only its msg_id") {
  Fixture f;
  Client client(f.server->port());
  client.send(call_request("zk1", "worker-1", 11));
  client.send(call_request("zk1", "worker-2", 12));
  auto first = f.submitted.wait_for(1);
  auto second = f.submitted.wait_for(2);
  CHECK(first.class_name == "JavaFunctionEvent");
  CHECK(first.entity == "zk1");
  CHECK(first.deferred);
  auto option = nlohmann::json::parse(first.option);
  CHECK(option["function_event_type"] == "call");
  CHECK(option["function_name"] == "Account.deposit");
  CHECK(option["thread_name"] == "worker-1");
  CHECK(option["params"]["$1"] == "100");
  CHECK(option["stack"][0] == "bank.Account.deposit(Account.java:12)");
  CHECK(first.replay_hint == "Account.deposit@worker-1#1");
  // The second thread is answered first, with a fault: only its msg_id comes back.
  f.answer(second, nmz::sdk::action_class::java_function_fault);
  auto response = client.receive();
  REQUIRE(response);
  CHECK(response->msg_id == 12);
  CHECK(response->result == ResponseResult::error);
  f.answer(first, nmz::sdk::action_class::event_acceptance);
  response = client.receive();
  REQUIRE(response);
  CHECK(response->msg_id == 11);
  CHECK(response->result == ResponseResult::ack);
  // A thread's second call of the same function counts on in its replay hint.
  client.send(call_request("zk1", "worker-1", 13));
  CHECK(f.submitted.wait_for(3).replay_hint == "Account.deposit@worker-1#2");
}

TEST_CASE("an event's option is the JSON a tree would write: key order, escapes, the last of equal params") {
  InspectorRequest request = call_request("zk1", "w\"1\n\xc3\xa9", 5);
  request.event->type = FunctionEventType::func_return;
  request.java->params = {{"$2", "b\\"}, {"$1", "x"}, {"$1", "\x01\xff"}};
  request.java->stack.push_back({"", "A", "<init>", -1});
  auto event = make_java_function_event(request, "zk1", 3);
  auto option = nlohmann::json::parse(event.option);
  CHECK(option.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) == event.option);
  CHECK(option["function_event_type"] == "return");
  CHECK(option["thread_name"] == "w\"1\n\xc3\xa9");
  CHECK(option["params"] == nlohmann::json{{"$1", "\x01\xef\xbf\xbd"}, {"$2", "b\\"}});
  CHECK(option["stack"] == nlohmann::json{"bank.Account.deposit(Account.java:12)", "A.<init>(:-1)"});
  CHECK(option["pid"] == 42);
  CHECK(option["tid"] == 7);
  CHECK(event.replay_hint == "Account.deposit/return@w\"1\n\xc3\xa9#3");
}

TEST_CASE("frames that share a read or span two are each handled and answered") {
  Fixture f;
  Client client(f.server->port());
  std::string first = framed(encode_request(call_request("zk1", "a", 1)));
  std::string second = framed(encode_request(call_request("zk1", "b", 2)));
  std::string third = framed(encode_request(call_request("zk1", "c", 3)));
  client.send_raw(first + second.substr(0, 7));
  f.submitted.wait_for(1);
  client.send_raw(second.substr(7) + third);
  f.submitted.wait_for(3);
  CHECK(f.submitted.count() == 3);
  std::vector<std::int32_t> answered;
  for (std::size_t i = 1; i <= 3; ++i) {
    f.answer(f.submitted.wait_for(i), nmz::sdk::action_class::event_acceptance);
    auto response = client.receive();
    REQUIRE(response);
    answered.push_back(response->msg_id.value_or(0));
  }
  CHECK(answered == std::vector<std::int32_t>{1, 2, 3});
}

TEST_CASE("INITIATION binds the entity; EXIT is ignored; an action after its connection closed is dropped") {
  Fixture f;
  {
    Client client(f.server->port());
    InspectorRequest init;
    init.entity_id = "zk2";
    init.type = RequestType::initiation;
    init.initiation_entity_id = "zk2";
    client.send(init);
    InspectorRequest exit = call_request("zk2", "main", 1);
    exit.event = FunctionEvent{FunctionEventType::exit, "", 0};
    client.send(exit);
    client.send(call_request("zk2", "main", 2));
    CHECK(f.submitted.wait_for(1).entity == "zk2");
  }
  // An action for an event that no connection waits for is dropped quietly.
  nmz::sdk::Event unknown = f.submitted.wait_for(1);
  unknown.uuid = nmz::sdk::new_uuid();
  CHECK_FALSE(f.server->deliver(nmz::sdk::default_action(unknown)));
  CHECK(f.logger.all().empty());
}

TEST_CASE("bad frames close only their connection, with a logged reason") {
  Fixture f;
  SUBCASE("a frame over the length limit") {
    Client bad(f.server->port());
    bad.send_raw(std::string("\x00\x00\x01\x00", 4));  // 65536 > 4096
    CHECK(bad.closed_by_server());
    CHECK(f.logger.all().find("more than the limit of 4096") != std::string::npos);
  }
  SUBCASE("garbage") {
    Client bad(f.server->port());
    bad.send_raw(framed("\xff\xff\xff\xff"));
    CHECK(bad.closed_by_server());
    CHECK(f.logger.all().find("malformed InspectorMsgReq") != std::string::npos);
  }
  SUBCASE("another entity on a bound connection") {
    Client bad(f.server->port());
    bad.send(call_request("a", "t", 1));
    f.submitted.wait_for(1);
    bad.send(call_request("b", "t", 2));
    CHECK(bad.closed_by_server());
    CHECK(f.logger.all().find("entity \"b\" on a connection bound to \"a\"") != std::string::npos);
  }
  // The server still serves a new connection.
  std::size_t before = f.submitted.count();
  Client good(f.server->port());
  good.send(call_request("c", "t", 3));
  auto event = f.submitted.wait_for(before + 1);
  f.answer(event, nmz::sdk::action_class::event_acceptance);
  auto response = good.receive();
  REQUIRE(response);
  CHECK(response->msg_id == 3);
}

TEST_CASE("a server for one entity closes connections of another") {
  Fixture f("zk1");
  Client bad(f.server->port());
  bad.send(call_request("zk9", "t", 1));
  CHECK(bad.closed_by_server());
  CHECK(f.logger.all().find("serves only \"zk1\"") != std::string::npos);
  CHECK(f.submitted.count() == 0);
}

TEST_CASE("stop closes every connection") {
  Fixture f;
  Client client(f.server->port());
  client.send(call_request("zk1", "t", 1));
  f.submitted.wait_for(1);
  f.server->stop();
  CHECK(client.closed_by_server());
}
