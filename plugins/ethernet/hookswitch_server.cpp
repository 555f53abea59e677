// SPDX-License-Identifier: Apache-2.0
#include "hookswitch_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <deque>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace nmz::plugins::ethernet {

struct HookswitchServer::Impl {
  Impl(sdk::Logger& log, const std::string& where) : logger(log), address(where) {}
  ~Impl() {
    if (wake_fd >= 0) close(wake_fd);
  }
  void send_pending();

  sdk::Logger& logger;
  std::string address;
  zmq::context_t context;
  zmq::socket_t socket{context, zmq::socket_type::pair};
  int wake_fd = -1;

  std::mutex mutex;
  std::uint32_t next_id = 0;
  std::unordered_map<std::uint32_t, nlohmann::json> waiting;  // metadata of frames without a reply yet
  std::deque<std::string> replies;
};

std::size_t ip_offset_in_frame(std::string_view frame) {
  std::size_t offset = 12;
  auto type_at = [&](std::size_t i) {
    return static_cast<unsigned>(static_cast<unsigned char>(frame[i]) << 8 | static_cast<unsigned char>(frame[i + 1]));
  };
  if (frame.size() < offset + 2) return std::string_view::npos;
  unsigned type = type_at(offset);
  if (type == 0x8100 || type == 0x88a8) {
    offset += 4;
    if (frame.size() < offset + 2) return std::string_view::npos;
    type = type_at(offset);
  }
  return type == 0x0800 || type == 0x86dd ? offset + 2 : std::string_view::npos;
}

sdk::Result<std::unique_ptr<HookswitchServer>> HookswitchServer::bind(const std::string& address,
                                                                      sdk::Logger& logger) {
  auto impl = std::make_unique<Impl>(logger, address);
  try {
    impl->socket.set(zmq::sockopt::linger, 1000);
    impl->socket.bind(address);
  } catch (const zmq::error_t& e) {
    return sdk::Status::error(sdk::StatusCode::unavailable,
                              "flag -hookswitch: cannot bind ZeroMQ PAIR socket at \"" + address + "\": " + e.what());
  }
  impl->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl->wake_fd < 0) return sdk::Status::error(sdk::StatusCode::internal, "eventfd failed");
  return std::unique_ptr<HookswitchServer>(new HookswitchServer(std::move(impl)));
}

HookswitchServer::HookswitchServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HookswitchServer::~HookswitchServer() = default;

void HookswitchServer::Impl::send_pending() {
  std::deque<std::string> batch;
  {
    std::lock_guard lock(mutex);
    batch.swap(replies);
  }
  for (auto& reply : batch) {
    socket.send(zmq::buffer(reply), zmq::send_flags::sndmore);
    socket.send(zmq::message_t(), zmq::send_flags::none);
  }
}

sdk::Status HookswitchServer::serve(int stop_fd, const FrameHandler& handler) {
  Impl& s = *impl_;
  try {
    for (;;) {
      zmq::pollitem_t items[] = {{s.socket.handle(), 0, ZMQ_POLLIN, 0},
                                 {nullptr, s.wake_fd, ZMQ_POLLIN, 0},
                                 {nullptr, stop_fd, ZMQ_POLLIN, 0}};
      zmq::poll(items, 3, std::chrono::milliseconds(-1));
      if ((items[2].revents & ZMQ_POLLIN) != 0) return sdk::Status::ok();
      if ((items[1].revents & ZMQ_POLLIN) != 0) {
        std::uint64_t count = 0;
        [[maybe_unused]] ssize_t n = read(s.wake_fd, &count, sizeof count);
        s.send_pending();
      }
      if ((items[0].revents & ZMQ_POLLIN) == 0) continue;
      std::vector<zmq::message_t> parts;
      while (zmq::recv_multipart(s.socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
        if (parts.size() != 2) {
          // Namazu leaves such a message unanswered too: without valid
          // metadata there is no id to answer.
          s.logger.warn("hookswitch: message with " + std::to_string(parts.size()) + " frames ignored (expected 2)");
          parts.clear();
          continue;
        }
        nlohmann::json meta = nlohmann::json::parse(parts[0].to_string_view(), nullptr, false);
        if (meta.is_discarded() || !meta.is_object() || !meta.contains("id")) {
          s.logger.warn("hookswitch: metadata is not a JSON object with \"id\": message ignored");
          parts.clear();
          continue;
        }
        std::uint32_t id = 0;
        {
          std::lock_guard lock(s.mutex);
          id = s.next_id++;
          s.waiting.emplace(id, std::move(meta));
        }
        handler(id, parts[1].to_string());
        parts.clear();
      }
      s.send_pending();
    }
  } catch (const zmq::error_t& e) {
    return sdk::Status::error(sdk::StatusCode::unavailable, std::string("hookswitch: ZeroMQ failed: ") + e.what());
  }
}

void HookswitchServer::flush() {
  try {
    impl_->send_pending();
  } catch (const zmq::error_t& e) {
    impl_->logger.error(std::string("hookswitch: final replies not sent: ") + e.what());
  }
}

void HookswitchServer::verdict(std::uint32_t packet_id, Verdict verdict) noexcept {
  Impl& s = *impl_;
  try {
    std::lock_guard lock(s.mutex);
    auto node = s.waiting.extract(packet_id);
    if (node.empty()) return;
    nlohmann::json& meta = node.mapped();
    meta["op"] = verdict == Verdict::accept ? "accept" : "drop";
    s.replies.push_back(meta.dump());
  } catch (...) {
    return;  // out of memory: hookswitch keeps the frame; nothing else to do
  }
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(s.wake_fd, &one, sizeof one);
}

}  // namespace nmz::plugins::ethernet
