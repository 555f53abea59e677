// SPDX-License-Identifier: Apache-2.0
// The SDK's guards against misuse: exceptions stopped at a noexcept method,
// the value of an error Result, toolchain fingerprints compared by ABI only.
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include <nmz/sdk/abi.hpp>
#include <nmz/sdk/guard.hpp>
#include <nmz/sdk/status.hpp>

namespace sdk = nmz::sdk;

TEST_CASE("guarded turns what a body throws into an internal error") {
  auto thrown = sdk::guarded("mypolicy: ", []() -> sdk::Status { throw std::runtime_error("no more threads"); });
  CHECK(thrown.code() == sdk::StatusCode::internal);
  CHECK(thrown.message() == "mypolicy: no more threads");

  auto odd = sdk::guarded("", []() -> sdk::Status { throw 42; });
  CHECK(odd.message() == "unknown exception");

  auto outcome = sdk::guarded("x: ", []() -> sdk::Inspector::Outcome { throw std::logic_error("bad"); });
  CHECK(outcome.status.message() == "x: bad");
  CHECK(outcome.exit_code == 1);

  CHECK(sdk::guarded("", [] { return sdk::Status::invalid("flag -x"); }).message() == "flag -x");
  CHECK(sdk::guarded("", [] { return sdk::Inspector::Outcome{sdk::Status::ok(), 3}; }).exit_code == 3);
}

TEST_CASE("the value of an error Result stops the process with the error") {
  int err_pipe[2];
  REQUIRE(pipe(err_pipe) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    dup2(err_pipe[1], STDERR_FILENO);
    sdk::Result<int> result = sdk::Status::invalid("key port: expected an integer");
    std::printf("%d\n", result.value());
    _exit(0);
  }
  close(err_pipe[1]);
  std::string err;
  char buffer[256];
  for (ssize_t n; (n = read(err_pipe[0], buffer, sizeof buffer)) > 0;) err.append(buffer, static_cast<size_t>(n));
  close(err_pipe[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  CHECK(err == "nmz: Result::value() called on an error: key port: expected an integer\n");
}

TEST_CASE("fingerprints agree when their standard library ABI does") {
  CHECK(sdk::fingerprint_abi_tag("gcc12-cxx202002-cxx11abi1") == "cxx202002-cxx11abi1");
  CHECK(sdk::fingerprint_abi_tag("clang15-cxx202002-cxx11abi1+assertions") == "cxx202002-cxx11abi1");
  CHECK(sdk::fingerprint_abi_tag("gcc12-cxx202002-cxx11abi1-debug") == "cxx202002-cxx11abi1-debug");
  CHECK(sdk::fingerprint_abi_tag(NMZ_SDK_BUILD_FINGERPRINT).rfind("cxx2", 0) == 0);
}
