// SPDX-License-Identifier: Apache-2.0
#pragma once

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

class Status {
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

// A value or the Status explaining why there is none.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }
  [[nodiscard]] const Status& status() const noexcept { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace nmz::sdk
