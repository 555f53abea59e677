// SPDX-License-Identifier: Apache-2.0
#include "container/raw_terminal.hpp"

#include <unistd.h>

#include "log/logging.hpp"

namespace nmz::core::container {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (::isatty(fd_) == 0 || ::tcgetattr(fd_, &saved_) != 0) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
  if (active_) set_console_raw_terminal(true);
}

RawTerminal::~RawTerminal() {
  if (!active_) return;
  ::tcsetattr(fd_, TCSANOW, &saved_);
  set_console_raw_terminal(false);
}

}  // namespace nmz::core::container
