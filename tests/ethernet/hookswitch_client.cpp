// SPDX-License-Identifier: Apache-2.0
// Plays hookswitch against `nmz inspectors ethernet -hookswitch ADDR`:
// connects a ZeroMQ PAIR socket, sends crafted frames with metadata and
// checks each reply. The policy must hold every packet ~300 ms ("hold") or
// fault every packet ("drop").
//   hookswitch_client ADDR hold|drop
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "packet_builder.hpp"

using namespace nmz::tests::ethernet;
using Clock = std::chrono::steady_clock;

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
  if (!ok) ++failures;
}

void send(zmq::socket_t& socket, int id, const std::string& frame) {
  nlohmann::json meta{{"id", id}, {"keep", "me"}};
  std::string text = meta.dump();
  socket.send(zmq::buffer(text), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(frame), zmq::send_flags::none);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  bool hold = std::string(argv[2]) == "hold";
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::pair);
  socket.set(zmq::sockopt::rcvtimeo, 5000);
  socket.connect(argv[1]);

  Segment segment;
  std::string v4 = ethernet(ipv4(l4_tcp(segment), 6));
  std::string v6 = ethernet(ipv6(l4_tcp(segment), 6));
  std::string arp = std::string(12, '\x02') + std::string("\x08\x06", 2) + std::string(28, '\0');
  auto start = Clock::now();
  send(socket, 1, v4);
  send(socket, 2, v4);  // same seq/ack/flags while 1 is held: a retransmission
  send(socket, 3, v6);
  send(socket, 4, v6);
  send(socket, 5, ethernet(ipv4(l4_udp(5353, 53, "q"), 17)));
  send(socket, 6, arp);  // not IP: an event with unknown entities
  // Malformed messages get no reply (there is no id to answer).
  socket.send(zmq::str_buffer("{\"id\": 7}"), zmq::send_flags::none);
  socket.send(zmq::str_buffer("not json"), zmq::send_flags::sndmore);
  socket.send(zmq::buffer(v4), zmq::send_flags::none);

  std::map<int, std::pair<std::string, double>> replies;
  while (replies.size() < 6) {
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(socket, std::back_inserter(parts))) break;
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    auto meta = nlohmann::json::parse(parts.at(0).to_string_view());
    expect(parts.size() == 2 && meta.value("keep", "") == "me", "reply " + meta.dump() + " keeps the metadata, 2 frames");
    replies[meta.at("id").get<int>()] = {meta.value("op", "?"), ms};
  }
  expect(replies.size() == 6, "6 replies, got " + std::to_string(replies.size()));
  const char* verdict = hold ? "accept" : "drop";
  for (int id : {1, 3, 5, 6}) {
    auto& [op, ms] = replies[id];
    expect(op == verdict, "frame " + std::to_string(id) + ": " + op + " after " + std::to_string(ms) + " ms");
    if (hold) expect(ms >= 250, "frame " + std::to_string(id) + " was held by the policy");
  }
  if (hold) {
    for (int id : {2, 4}) {
      auto& [op, ms] = replies[id];
      expect(op == "drop" && ms < replies[id - 1].second,
             "retransmission " + std::to_string(id) + " dropped at once (" + op + " after " + std::to_string(ms) + " ms)");
    }
  }
  zmq::message_t extra;
  socket.set(zmq::sockopt::rcvtimeo, 500);
  expect(!socket.recv(extra), "no reply to the malformed messages");
  return failures == 0 ? 0 : 1;
}
