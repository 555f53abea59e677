// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <termios.h>

namespace nmz::core::container {

// Puts the terminal on `fd` into raw mode (keys such as Ctrl-C go to the
// container's terminal, not to nmz) for its lifetime, and nmz's console log
// lines end in "\r\n" meanwhile; does nothing when `fd` is not a terminal.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
  ~RawTerminal();

  [[nodiscard]] bool active() const noexcept { return active_; }

 private:
  int fd_;
  bool active_ = false;
  termios saved_{};
};

}  // namespace nmz::core::container
