// SPDX-License-Identifier: Apache-2.0
#include "action_mailbox.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <system_error>

namespace nmz::plugins::proc {

ActionMailbox::ActionMailbox() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

ActionMailbox::~ActionMailbox() { ::close(fd_); }

void ActionMailbox::wake() {
  std::uint64_t one = 1;
  // EAGAIN (counter full) still leaves it readable: nothing to do.
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
}

void ActionMailbox::post(sdk::Action action) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    actions_.push_back(std::move(action));
  }
  wake();
}

void ActionMailbox::request_stop() {
  stop_.store(true);
  wake();
}

void ActionMailbox::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  actions_.clear();
}

void ActionMailbox::reopen() {
  std::lock_guard lock(mutex_);
  closed_ = false;
}

void ActionMailbox::take(std::vector<sdk::Action>& out) {
  std::uint64_t count = 0;
  [[maybe_unused]] ssize_t n = read(fd_, &count, sizeof count);
  std::lock_guard lock(mutex_);
  for (auto& action : actions_) out.push_back(std::move(action));
  actions_.clear();
}

}  // namespace nmz::plugins::proc
