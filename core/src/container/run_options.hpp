// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <nmz/sdk/status.hpp>

namespace nmz::core::container {

// One `-v SRC:DST[:ro|rw]`: a host directory or file bound into the container.
struct VolumeSpec {
  std::string source;       // absolute host path, exists
  std::string destination;  // absolute path in the container
  bool read_only = false;
  bool source_is_directory = false;
};

// One `-p [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp|sctp]`.
struct PortSpec {
  std::string host_ip;
  std::string host_port;  // "" lets the engine choose
  std::string container_port;
  std::string protocol = "tcp";
};

// `nmz container run [OPTIONS] IMAGE CMD [ARG...]`, docker's spellings.
struct RunOptions {
  bool interactive = false;  // -i, --interactive
  bool tty = false;          // -t, --tty
  bool detach = false;       // -d, --detach
  bool remove = false;       // --rm
  bool privileged = false;   // --privileged
  bool help = false;         // -h, --help
  std::string name;          // --name
  std::string network;       // --net, --network ("" = the engine's default)
  std::vector<VolumeSpec> volumes;       // -v, --volume
  std::vector<PortSpec> ports;           // -p, --publish
  std::vector<std::string> volumes_from;  // --volumes-from
  std::vector<std::string> env;           // -e, --env: "KEY=VALUE"
  std::string autopilot;                  // --nmz-autopilot config.toml
  std::string image;
  std::vector<std::string> command;
};

// Parses docker style: `-it` combines short booleans, `-vSRC:DST`,
// `-v SRC:DST`, `--name=N`, `--name N`; options end at IMAGE or `--`.
// Errors name the option and what was expected; SRC of -v is checked on
// this machine (it must exist).
sdk::Result<RunOptions> parse_run_options(const std::vector<std::string>& args);

// The usage text of `nmz container run`.
const char* run_usage();

// The body of POST /containers/create. `binds` are the "SRC:DST[:ro]"
// strings to use (the volumes, possibly rewritten to FUSE mounts).
nlohmann::json create_request(const RunOptions& options, const std::vector<std::string>& binds);

}  // namespace nmz::core::container
