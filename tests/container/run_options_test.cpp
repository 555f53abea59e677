// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <filesystem>

#include "container/run_options.hpp"

using nmz::core::container::create_request;
using nmz::core::container::parse_run_options;

namespace {

std::string error_of(const std::vector<std::string>& args) {
  auto parsed = parse_run_options(args);
  REQUIRE_FALSE(parsed);
  return parsed.status().message();
}

const std::string kDir = std::filesystem::temp_directory_path().string();

}  // namespace

TEST_CASE("docker-style clusters, values and the end of options") {
  auto parsed = parse_run_options({"-it", "--rm", "--name=web", "--net", "none", "-v" + kDir + ":/data:ro", "-e", "A=1",
                                   "--privileged", "-p", "127.0.0.1:8080:80/udp", "--volumes-from", "other", "img:1",
                                   "sh", "-c", "echo -v"});
  REQUIRE(parsed);
  CHECK(parsed->interactive);
  CHECK(parsed->tty);
  CHECK(parsed->remove);
  CHECK(parsed->privileged);
  CHECK_FALSE(parsed->detach);
  CHECK(parsed->name == "web");
  CHECK(parsed->network == "none");
  REQUIRE(parsed->volumes.size() == 1);
  CHECK(parsed->volumes[0].source == kDir);
  CHECK(parsed->volumes[0].destination == "/data");
  CHECK(parsed->volumes[0].read_only);
  CHECK(parsed->volumes[0].source_is_directory);
  REQUIRE(parsed->ports.size() == 1);
  CHECK(parsed->ports[0].host_ip == "127.0.0.1");
  CHECK(parsed->ports[0].host_port == "8080");
  CHECK(parsed->ports[0].container_port == "80");
  CHECK(parsed->ports[0].protocol == "udp");
  CHECK(parsed->env == std::vector<std::string>{"A=1"});
  CHECK(parsed->image == "img:1");
  // Options after IMAGE belong to the command.
  CHECK(parsed->command == std::vector<std::string>{"sh", "-c", "echo -v"});

  auto detached = parse_run_options({"-dv", kDir + ":/x", "--", "img", "true"});
  REQUIRE(detached);
  CHECK(detached->detach);
  CHECK(detached->volumes.size() == 1);
  CHECK(detached->command == std::vector<std::string>{"true"});
}

TEST_CASE("the create request carries what the flags said, AutoRemove off") {
  auto parsed = parse_run_options({"-i", "-p", "80", "--net=host", "img", "cat"});
  REQUIRE(parsed);
  auto body = create_request(*parsed, {"/a:/b:ro"});
  CHECK(body["Image"] == "img");
  CHECK(body["Cmd"] == nlohmann::json::array({"cat"}));
  CHECK(body["OpenStdin"] == true);
  CHECK(body["AttachStdin"] == true);
  CHECK(body["Tty"] == false);
  CHECK(body["HostConfig"]["NetworkMode"] == "host");
  CHECK(body["HostConfig"]["Binds"] == nlohmann::json::array({"/a:/b:ro"}));
  // nmz deletes the container itself after reading its exit status.
  CHECK(body["HostConfig"]["AutoRemove"] == false);
  CHECK(body["ExposedPorts"].contains("80/tcp"));
  CHECK(body["HostConfig"]["PortBindings"]["80/tcp"][0]["HostPort"] == "");
}

TEST_CASE("bad input names the option and what was expected") {
  CHECK(error_of({"-v", "rel:/x", "img", "true"}).find("absolute host path") != std::string::npos);
  CHECK(error_of({"-v", kDir + ":rel", "img", "true"}).find("DST must be an absolute") != std::string::npos);
  CHECK(error_of({"-v", kDir, "img", "true"}).find("SRC:DST") != std::string::npos);
  CHECK(error_of({"-v", kDir + ":/x:rx", "img", "true"}).find("ro or rw") != std::string::npos);
  CHECK(error_of({"-v", "/nonexistent-nmz-path:/x", "img", "true"}).find("does not exist") != std::string::npos);
  CHECK(error_of({"-p", "0", "img", "true"}).find("1 to 65535") != std::string::npos);
  CHECK(error_of({"-p", "8000-8010:80", "img", "true"}).find("host port") != std::string::npos);
  CHECK(error_of({"-p", "80/icmp", "img", "true"}).find("tcp, udp or sctp") != std::string::npos);
  CHECK(error_of({"--name", "-x", "img", "true"}).find("--name") != std::string::npos);
  CHECK(error_of({"--rm=maybe", "img", "true"}).find("true or false") != std::string::npos);
  CHECK(error_of({"-x", "img", "true"}).find("unknown option -x") != std::string::npos);
  CHECK(error_of({"--name"}).find("needs a value") != std::string::npos);
  CHECK(error_of({}).find("missing IMAGE") != std::string::npos);
  CHECK(error_of({"img"}).find("missing CMD") != std::string::npos);
  CHECK(error_of({"bad image!", "true"}).find("not an image reference") != std::string::npos);
  CHECK(error_of({"-e", "=x", "img", "true"}).find("KEY=VALUE") != std::string::npos);
}
