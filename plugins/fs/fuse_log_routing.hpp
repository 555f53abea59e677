// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nmz/sdk/context.hpp>

namespace nmz::plugins::fs {

// libfuse reports mount failures through one process-wide log function, and
// container mode runs one fs inspector per volume in one process. While a
// FuseLogRouting exists, libfuse's messages go to its logger when they come
// from the thread that created it (mount errors are reported on the mounting
// thread), otherwise to the most recently registered logger. Registration
// and every forwarded message take one lock, so a logger is never used after
// its routing was destroyed. Create and destroy it on the same thread.
class FuseLogRouting {
 public:
  explicit FuseLogRouting(sdk::Logger& logger);
  FuseLogRouting(const FuseLogRouting&) = delete;
  FuseLogRouting& operator=(const FuseLogRouting&) = delete;
  ~FuseLogRouting();

 private:
  sdk::Logger& logger_;
};

}  // namespace nmz::plugins::fs
