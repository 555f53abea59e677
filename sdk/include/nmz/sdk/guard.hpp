// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::sdk {

namespace detail {

// What the exception being handled says, prefixed with `context` ("random: ").
inline Status status_from_current_exception(std::string_view context) noexcept {
  std::string what;
  try {
    throw;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  return Status::error(StatusCode::internal, std::string(context) + what);
}

}  // namespace detail

// The body of a noexcept interface method (configure, start, run) that may
// throw: runs `body` and turns any exception it lets out into an internal
// error Status, prefixed with `context`, instead of std::terminate. For run(),
// whose body returns Inspector::Outcome, the error comes with exit code 1.
// Write the body as it would be inside `try { ... }`:
//
//   Status configure(const ComponentContext& context) noexcept override {
//     return sdk::guarded("mypolicy: ", [&] {
//       ...
//       return Status::ok();
//     });
//   }
template <class Body>
auto guarded(std::string_view context, Body&& body) noexcept -> std::invoke_result_t<Body&&> {
  using Returned = std::invoke_result_t<Body&&>;
  static_assert(std::is_same_v<Returned, Status> || std::is_same_v<Returned, Inspector::Outcome>,
                "guarded() wraps bodies returning Status or Inspector::Outcome");
  try {
    return std::forward<Body>(body)();
  } catch (...) {
    if constexpr (std::is_same_v<Returned, Status>) {
      return detail::status_from_current_exception(context);
    } else {
      return Inspector::Outcome{detail::status_from_current_exception(context), 1};
    }
  }
}

}  // namespace nmz::sdk
