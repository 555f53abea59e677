// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace nmz::sdk {

// How every SDK call reports failure: exceptions never cross the plugin
// boundary. Zero is the only success value.
enum class StatusCode : int {
  ok = 0,
  invalid_argument = 1,  // bad flag, config value or JSON
  not_found = 2,
  permission_denied = 3,
  unavailable = 4,  // a resource (queue, mount, orchestrator) cannot be reached
  internal = 5,
};

// [[nodiscard]]: an ignored Status is an ignored error; write
// `(void)call();` where dropping it is deliberate.
class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return {}; }
  static Status error(StatusCode code, std::string message) { return Status(code, std::move(message)); }
  static Status invalid(std::string message) { return error(StatusCode::invalid_argument, std::move(message)); }

  [[nodiscard]] bool is_ok() const noexcept { return code_ == StatusCode::ok; }
  explicit operator bool() const noexcept { return is_ok(); }
  [[nodiscard]] StatusCode code() const noexcept { return code_; }
  [[nodiscard]] const std::string& message() const noexcept { return message_; }

 private:
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::ok;
  std::string message_;
};

namespace detail {

// Reached through Result::value() (and * and ->) on a Result holding an
// error: a bug in the caller, which must test has_value() first. Stops the
// process with the error instead of reading an empty optional.
[[noreturn]] inline void result_has_no_value(const Status& status) noexcept {
  std::fprintf(stderr, "nmz: Result::value() called on an error: %s\n", status.message().c_str());
  std::abort();
}

}  // namespace detail

// A value or the Status explaining why there is none. Reading the value of
// an error is a bug: it aborts with the error's message.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] const Status& status() const noexcept { return status_; }
  T& value() & { return checked(); }
  const T& value() const& { return checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &checked(); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return checked(); }

 private:
  T& checked() {
    if (!value_) detail::result_has_no_value(status_);
    return *value_;
  }
  const T& checked() const {
    if (!value_) detail::result_has_no_value(status_);
    return *value_;
  }

  std::optional<T> value_;
  Status status_;
};

}  // namespace nmz::sdk
