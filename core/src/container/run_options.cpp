// SPDX-License-Identifier: Apache-2.0
#include "container/run_options.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <string_view>

namespace nmz::core::container {
namespace {

using sdk::Status;

bool all_of_chars(std::string_view text, std::string_view extra) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [extra](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
  });
}

bool is_port_number(std::string_view text) {
  if (text.empty() || text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const long value = std::strtol(std::string(text).c_str(), nullptr, 10);
  return value >= 1 && value <= 65535;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

sdk::Result<VolumeSpec> parse_volume(const std::string& value) {
  const std::string what = "-v \"" + value + "\": ";
  auto parts = split(value, ':');
  if (parts.size() < 2 || parts.size() > 3) {
    return Status::invalid(what + "expected SRC:DST or SRC:DST:ro|rw (an absolute host path and an absolute path in "
                                  "the container)");
  }
  VolumeSpec volume{parts[0], parts[1]};
  if (parts.size() == 3) {
    if (parts[2] != "ro" && parts[2] != "rw") return Status::invalid(what + "the mode must be ro or rw, not \"" + parts[2] + "\"");
    volume.read_only = parts[2] == "ro";
  }
  if (volume.source.empty() || volume.source[0] != '/') {
    return Status::invalid(what + "SRC must be an absolute host path (named volumes are not supported)");
  }
  if (volume.destination.empty() || volume.destination[0] != '/') {
    return Status::invalid(what + "DST must be an absolute path in the container");
  }
  struct stat info {};
  if (::stat(volume.source.c_str(), &info) != 0) {
    return Status::invalid(what + "SRC " + volume.source + " does not exist on this host");
  }
  volume.source_is_directory = S_ISDIR(info.st_mode);
  return volume;
}

sdk::Result<PortSpec> parse_port(const std::string& value) {
  const std::string what = "-p \"" + value + "\": ";
  PortSpec port;
  std::string spec = value;
  if (auto slash = spec.rfind('/'); slash != std::string::npos) {
    port.protocol = spec.substr(slash + 1);
    spec.resize(slash);
    if (port.protocol != "tcp" && port.protocol != "udp" && port.protocol != "sctp") {
      return Status::invalid(what + "the protocol must be tcp, udp or sctp, not \"" + port.protocol + "\"");
    }
  }
  auto parts = split(spec, ':');
  if (parts.size() > 3) return Status::invalid(what + "expected [IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]");
  port.container_port = parts.back();
  if (parts.size() >= 2) port.host_port = parts[parts.size() - 2];
  if (parts.size() == 3) port.host_ip = parts[0];
  if (!is_port_number(port.container_port)) {
    return Status::invalid(what + "the container port must be a number from 1 to 65535 (ranges are not supported)");
  }
  if (!port.host_port.empty() && !is_port_number(port.host_port)) {
    return Status::invalid(what + "the host port must be a number from 1 to 65535 or empty");
  }
  if (parts.size() == 3 && !all_of_chars(port.host_ip, ".:[]")) {
    return Status::invalid(what + "\"" + port.host_ip + "\" is not an IP address");
  }
  return port;
}

Status check_name(const std::string& name) {
  if (!all_of_chars(name, "_.-") || name[0] == '_' || name[0] == '.' || name[0] == '-') {
    return Status::invalid("--name \"" + name + "\": expected letters, digits, _ . - (starting with a letter or digit)");
  }
  return Status::ok();
}

Status check_image(const std::string& image) {
  if (!all_of_chars(image, "._-/:@") || image[0] == '-') {
    return Status::invalid("image \"" + image + "\": not an image reference (NAME[:TAG] or NAME@DIGEST)");
  }
  return Status::ok();
}

enum class Kind { boolean, value };

struct Option {
  Kind kind;
  std::function<Status(RunOptions&, const std::string&)> apply;
};

// Long names; short ones map onto them.
const std::map<std::string, Option, std::less<>>& options() {
  static const std::map<std::string, Option, std::less<>> table{
      {"interactive", {Kind::boolean, [](RunOptions& o, const std::string&) { o.interactive = true; return Status::ok(); }}},
      {"tty", {Kind::boolean, [](RunOptions& o, const std::string&) { o.tty = true; return Status::ok(); }}},
      {"detach", {Kind::boolean, [](RunOptions& o, const std::string&) { o.detach = true; return Status::ok(); }}},
      {"rm", {Kind::boolean, [](RunOptions& o, const std::string&) { o.remove = true; return Status::ok(); }}},
      {"privileged", {Kind::boolean, [](RunOptions& o, const std::string&) { o.privileged = true; return Status::ok(); }}},
      {"help", {Kind::boolean, [](RunOptions& o, const std::string&) { o.help = true; return Status::ok(); }}},
      {"name", {Kind::value, [](RunOptions& o, const std::string& v) { o.name = v; return check_name(v); }}},
      {"net", {Kind::value, [](RunOptions& o, const std::string& v) { o.network = v; return Status::ok(); }}},
      {"network", {Kind::value, [](RunOptions& o, const std::string& v) { o.network = v; return Status::ok(); }}},
      {"volume",
       {Kind::value,
        [](RunOptions& o, const std::string& v) {
          auto volume = parse_volume(v);
          if (!volume) return volume.status();
          o.volumes.push_back(*volume);
          return Status::ok();
        }}},
      {"publish",
       {Kind::value,
        [](RunOptions& o, const std::string& v) {
          auto port = parse_port(v);
          if (!port) return port.status();
          o.ports.push_back(*port);
          return Status::ok();
        }}},
      {"volumes-from", {Kind::value, [](RunOptions& o, const std::string& v) { o.volumes_from.push_back(v); return Status::ok(); }}},
      {"env",
       {Kind::value,
        [](RunOptions& o, const std::string& v) {
          if (v.empty() || v[0] == '=') return Status::invalid("-e \"" + v + "\": expected KEY=VALUE or KEY");
          if (v.find('=') != std::string::npos) {
            o.env.push_back(v);
          } else if (const char* inherited = std::getenv(v.c_str()); inherited != nullptr) {
            o.env.push_back(v + "=" + inherited);  // docker's `-e KEY`: pass nmz's own value on
          }
          return Status::ok();
        }}},
      {"nmz-autopilot", {Kind::value, [](RunOptions& o, const std::string& v) { o.autopilot = v; return Status::ok(); }}},
  };
  return table;
}

const std::map<char, std::string_view>& short_names() {
  static const std::map<char, std::string_view> table{
      {'i', "interactive"}, {'t', "tty"}, {'d', "detach"}, {'h', "help"},
      {'v', "volume"},      {'p', "publish"}, {'e', "env"},
  };
  return table;
}

}  // namespace

const char* run_usage() {
  return "usage: nmz container run [OPTIONS] IMAGE CMD [ARG...]\n"
         "\n"
         "Runs CMD in a new container of IMAGE through the Docker Engine API (DOCKER_HOST=unix:///path, default\n"
         "/var/run/docker.sock; Docker or `podman system service`) with nmz's inspectors attached as [container]\n"
         "of the config says. nmz exits with the container's exit status.\n"
         "\n"
         "options:\n"
         "  -i, --interactive         keep stdin open and forward it\n"
         "  -t, --tty                 allocate a pseudo-terminal (with -i, stdin must be a terminal)\n"
         "  -d, --detach              print the container id instead of attaching (nmz still waits for it)\n"
         "      --rm                  remove the container when it exits\n"
         "      --name NAME           container name\n"
         "      --net, --network MODE network mode (none, host, bridge, container:ID, a network name)\n"
         "      --privileged          give the container every capability\n"
         "  -v, --volume SRC:DST[:ro] bind the host path SRC (served through the fs inspector when enabled)\n"
         "  -p, --publish [IP:][HOST_PORT:]PORT[/PROTO]  publish a port\n"
         "      --volumes-from ID     mount the volumes of another container\n"
         "  -e, --env KEY[=VALUE]     set an environment variable\n"
         "      --nmz-autopilot FILE  nmz config.toml (policy, [container] inspectors)\n";
}

sdk::Result<RunOptions> parse_run_options(const std::vector<std::string>& args) {
  RunOptions result;
  std::size_t i = 0;
  auto take_value = [&](std::string_view option, std::string& value) -> Status {
    if (i + 1 >= args.size()) return Status::invalid(std::string(option) + ": needs a value");
    value = args[++i];
    return Status::ok();
  };
  for (; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;  // IMAGE
    if (arg[1] == '-') {
      std::string name = arg.substr(2);
      std::string value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
      auto it = options().find(name);
      if (it == options().end()) return Status::invalid("unknown option --" + name + " (see nmz container run --help)");
      if (it->second.kind == Kind::boolean) {
        if (has_value && value != "true" && value != "false") {
          return Status::invalid("--" + name + "=" + value + ": expected true or false");
        }
        if (!has_value || value == "true") {
          if (auto status = it->second.apply(result, ""); !status) return status;
        }
        continue;
      }
      if (!has_value) {
        if (auto status = take_value("--" + name, value); !status) return status;
      }
      if (auto status = it->second.apply(result, value); !status) return status;
      continue;
    }
    // A cluster of short options: booleans, then at most one value option
    // whose value is the rest of the word or the next argument.
    for (std::size_t j = 1; j < arg.size(); ++j) {
      auto short_it = short_names().find(arg[j]);
      if (short_it == short_names().end()) {
        return Status::invalid("unknown option -" + std::string(1, arg[j]) + " in \"" + arg +
                               "\" (see nmz container run --help)");
      }
      const Option& option = options().find(short_it->second)->second;
      if (option.kind == Kind::boolean) {
        if (auto status = option.apply(result, ""); !status) return status;
        continue;
      }
      std::string value = arg.substr(j + 1);
      if (!value.empty() && value[0] == '=') value.erase(0, 1);
      if (value.empty()) {
        if (auto status = take_value("-" + std::string(1, arg[j]), value); !status) return status;
      }
      if (auto status = option.apply(result, value); !status) return status;
      break;
    }
  }
  if (result.help) return result;
  if (i >= args.size()) return Status::invalid("missing IMAGE and CMD (nmz container run [OPTIONS] IMAGE CMD [ARG...])");
  result.image = args[i++];
  if (auto status = check_image(result.image); !status) return status;
  if (i >= args.size()) {
    return Status::invalid("missing CMD after image \"" + result.image +
                           "\": nmz needs the command to run (the image's default is not used)");
  }
  result.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return result;
}

nlohmann::json create_request(const RunOptions& options, const std::vector<std::string>& binds) {
  nlohmann::json host_config{{"Binds", binds}, {"Privileged", options.privileged}, {"AutoRemove", false}};
  if (!options.network.empty()) host_config["NetworkMode"] = options.network;
  if (!options.volumes_from.empty()) host_config["VolumesFrom"] = options.volumes_from;
  nlohmann::json exposed = nlohmann::json::object();
  nlohmann::json bindings = nlohmann::json::object();
  for (const PortSpec& port : options.ports) {
    const std::string key = port.container_port + "/" + port.protocol;
    exposed[key] = nlohmann::json::object();
    bindings[key].push_back({{"HostIp", port.host_ip}, {"HostPort", port.host_port}});
  }
  if (!options.ports.empty()) host_config["PortBindings"] = bindings;
  const bool attach = !options.detach;
  nlohmann::json body{
      {"Image", options.image},
      {"Cmd", options.command},
      {"Env", options.env},
      {"Tty", options.tty},
      {"OpenStdin", options.interactive},
      {"StdinOnce", options.interactive},
      {"AttachStdin", attach && options.interactive},
      {"AttachStdout", attach},
      {"AttachStderr", attach},
      {"HostConfig", host_config},
  };
  if (!options.ports.empty()) body["ExposedPorts"] = exposed;
  return body;
}

}  // namespace nmz::core::container
