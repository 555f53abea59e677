// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include <nmz/sdk/status.hpp>

#include "verdict_port.hpp"

struct mnl_socket;

namespace nmz::plugins::ethernet {

// One NFQUEUE, bound through libmnl and libnetfilter_queue's nlmsg API:
// whole packets copied, GSO super-packets kept whole, and (fail_open) the
// kernel accepts packets instead of dropping them when the queue is full.
class NfqQueue final : public VerdictPort {
 public:
  static constexpr std::chrono::milliseconds kStopLatency{100};
  struct Options {
    std::uint16_t number = 0;
    std::uint32_t max_length = 0;
    bool fail_open = true;
  };
  using PacketHandler = std::function<void(std::uint32_t packet_id, std::string_view ip_packet)>;

  // Binds the queue. Errors say which queue and why (permission, already
  // bound by another process).
  static sdk::Result<std::unique_ptr<NfqQueue>> open(const Options& options);
  NfqQueue(const NfqQueue&) = delete;
  NfqQueue& operator=(const NfqQueue&) = delete;
  // Unbinds: packets still queued in the kernel are then accepted (as with
  // --queue-bypass) or dropped (a hand-written rule without it).
  ~NfqQueue() override;

  // Receives packets until `stop` is set (seen within kStopLatency) or the
  // socket fails. Takes whatever the kernel has queued in one recvmmsg, and
  // verdicts given on this thread while the handler runs go out together
  // when the batch is done: two system calls a batch instead of two a
  // packet, which is most of what a zero-delay packet costs.
  sdk::Status receive(const std::atomic<bool>& stop, const PacketHandler& handler);
  // Accepts every packet waiting in the socket now, without inspecting it.
  void drain_accept();
  // Thread: any. A verdict from the receiving thread during a batch waits
  // for the batch's end; one from another thread goes out at once, with
  // whatever the batch had queued before it, so verdicts leave in the order
  // they were given.
  void verdict(std::uint32_t packet_id, Verdict verdict) noexcept override;
  // Packets the kernel dropped because the socket buffer or queue was full
  // (logged, never fatal).
  [[nodiscard]] std::uint64_t overruns() const noexcept { return overruns_; }

 private:
  explicit NfqQueue(const Options& options) : options_(options) {}
  sdk::Status configure();
  sdk::Status request(char* buffer, const char* what);
  // Sends the queued verdicts. Call with verdict_mutex_ held.
  void flush_verdicts() noexcept;

  // While one lives, the receiving thread's verdicts are queued; at its end
  // (also when the packet handler throws) they are sent.
  class VerdictBatch {
   public:
    explicit VerdictBatch(NfqQueue& queue);
    VerdictBatch(const VerdictBatch&) = delete;
    VerdictBatch& operator=(const VerdictBatch&) = delete;
    ~VerdictBatch();

   private:
    NfqQueue& queue_;
  };

  Options options_;
  mnl_socket* socket_ = nullptr;
  unsigned port_id_ = 0;
  std::uint32_t sequence_ = 1;
  std::uint64_t overruns_ = 0;

  std::mutex verdict_mutex_;
  // Verdict messages not sent yet, back to back (netlink takes several in
  // one send).
  std::vector<char> verdicts_;
  bool batching_ = false;
  std::thread::id receiving_thread_;
};

}  // namespace nmz::plugins::ethernet
