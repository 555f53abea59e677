// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

namespace nmz::sdk {

// A one-way "stop" flag that poll() waits on together with other
// descriptors (an eventfd): what Inspector::request_stop raises and run()'s
// loop watches. raise() is async-signal-safe and may be called from any
// thread, any number of times, before or after anyone waits.
class StopSignal {
 public:
  StopSignal() noexcept;
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;
  ~StopSignal();

  // False when the eventfd could not be created (out of descriptors):
  // check it in configure(), before relying on fd().
  [[nodiscard]] bool ok() const noexcept { return fd_ >= 0; }
  void raise() noexcept;
  [[nodiscard]] bool raised() const noexcept;
  // Readable (POLLIN) once raised, and stays so.
  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

}  // namespace nmz::sdk
