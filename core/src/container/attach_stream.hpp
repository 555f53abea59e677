// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nmz/sdk/status.hpp>

namespace nmz::core::container {

// The hijacked connection of POST /containers/ID/attach: the container's
// output copied to nmz's stdout/stderr (demultiplexed unless it has a TTY)
// and, with stdin, nmz's stdin copied to the container. Opened before the
// container starts so that no output is lost.
class AttachStream {
 public:
  static sdk::Result<std::unique_ptr<AttachStream>> open(const std::string& socket_path, const std::string& id,
                                                         bool with_stdin, bool tty);
  AttachStream(const AttachStream&) = delete;
  AttachStream& operator=(const AttachStream&) = delete;
  // Stops copying stdin and closes the connection.
  ~AttachStream();

  // Starts the copying threads.
  void start();
  // Blocks until the engine closed the output (the container exited), at
  // most `timeout`; false if it did not.
  bool wait_for_output_end(std::chrono::milliseconds timeout);

 private:
  AttachStream(int socket_fd, std::string leftover, bool with_stdin, bool tty);
  void copy_output();
  void copy_output_until_end();
  void copy_input();

  int socket_fd_;
  int wake_pipe_[2] = {-1, -1};  // written to stop copy_input
  std::string leftover_;         // stream bytes read together with the HTTP headers
  bool with_stdin_;
  bool tty_;
  std::mutex mutex_;
  std::condition_variable output_ended_changed_;
  bool output_ended_ = false;
  std::thread output_thread_;
  std::thread input_thread_;
};

}  // namespace nmz::core::container
