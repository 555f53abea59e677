// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/resource.h>

namespace nmz::plugins::fs {

// The passthrough holds a descriptor for every file and directory the
// kernel keeps cached, plus one per open file: far more than the usual soft
// limit of 1024. Raises the soft RLIMIT_NOFILE to the hard one (as libfuse's
// passthrough_hp does) and returns the limit now in force.
rlim_t raise_descriptor_limit() noexcept;

}  // namespace nmz::plugins::fs
