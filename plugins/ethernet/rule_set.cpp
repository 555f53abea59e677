// SPDX-License-Identifier: Apache-2.0
#include "rule_set.hpp"

#include <net/if.h>
#include <sys/stat.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "command_runner.hpp"
#include "packet_injector.hpp"

namespace nmz::plugins::ethernet {
namespace {

constexpr std::array<const char*, 2> kTools = {"iptables", "ip6tables"};
constexpr std::size_t kMultiportMax = 15;  // the multiport match's limit (a range counts as 2)

std::string tag(std::uint16_t queue) { return "nmz-q" + std::to_string(queue); }
std::string chain(std::uint16_t queue, const char* suffix) {
  return "NMZ-Q" + std::to_string(queue) + "-" + suffix;
}

sdk::Status validate_ports(const std::string& list, const char* flag) {
  auto bad = [&](const std::string& why) {
    return sdk::Status::invalid(std::string("flag -") + flag + ": " + why + " in \"" + list +
                                "\" (expected ports or ranges separated by commas, such as 2181,2888:3888)");
  };
  std::size_t slots = 0;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    std::stringstream bounds(item);
    std::string bound;
    int parts = 0;
    while (std::getline(bounds, bound, ':')) {
      unsigned port = 0;
      auto [end, error] = std::from_chars(bound.data(), bound.data() + bound.size(), port);
      if (bound.empty() || error != std::errc() || end != bound.data() + bound.size() || port == 0 ||
          port > 65535) {
        return bad("\"" + bound + "\" is not a port (1-65535)");
      }
      ++parts;
    }
    if (parts == 0 || parts > 2) return bad("\"" + item + "\" is neither a port nor a range");
    slots += static_cast<std::size_t>(parts);
  }
  if (slots == 0 || list.back() == ',') return bad("empty entry");
  if (slots > kMultiportMax) return bad("more than 15 ports (a range counts as 2)");
  return sdk::Status::ok();
}

// One rule line per transport: the selector's ports, or all packets.
std::vector<std::string> transport_matches(const RuleSelector& selector) {
  std::vector<std::string> matches;
  if (!selector.tcp_ports.empty()) matches.push_back("-p tcp -m multiport --ports " + selector.tcp_ports);
  if (!selector.udp_ports.empty()) matches.push_back("-p udp -m multiport --ports " + selector.udp_ports);
  if (matches.empty()) matches.emplace_back();
  return matches;
}

std::string join(const std::vector<std::string>& parts) {
  std::string line;
  for (const auto& part : parts) {
    if (part.empty()) continue;
    if (!line.empty()) line += ' ';
    line += part;
  }
  return line;
}

}  // namespace

std::string cgroup2_root() {
  std::ifstream mounts("/proc/self/mounts");
  std::string device, mount_point, type, rest;
  while (mounts >> device >> mount_point >> type && std::getline(mounts, rest)) {
    if (type == "cgroup2") return mount_point;
  }
  return {};
}

sdk::Status validate_selector(const RuleSelector& selector) {
  if (!selector.tcp_ports.empty()) {
    if (auto status = validate_ports(selector.tcp_ports, "rule-tcp-ports"); !status) return status;
  }
  if (!selector.udp_ports.empty()) {
    if (auto status = validate_ports(selector.udp_ports, "rule-udp-ports"); !status) return status;
  }
  if (!selector.bridges.empty() && (selector.uid || !selector.cgroup.empty() || selector.all)) {
    return sdk::Status::invalid(
        "flag -rule-bridge selects traffic forwarded between other namespaces; -rule-uid, -rule-cgroup and "
        "-rule-all select what this namespace sends: run one inspector for each");
  }
  if (!selector.cgroup.empty()) {
    if (selector.cgroup.front() != '/') {
      return sdk::Status::invalid("flag -rule-cgroup: expected a path from the cgroup2 root, starting with '/', got \"" +
                                  selector.cgroup + "\"");
    }
    // `ip netns exec` remounts /sys, which hides the cgroup file systems:
    // then the check is left to iptables, which refuses unknown paths.
    std::string root = cgroup2_root();
    std::error_code error;
    if (!root.empty() && !std::filesystem::is_directory(root + selector.cgroup, error)) {
      return sdk::Status::invalid("flag -rule-cgroup: " + root + selector.cgroup + " is not a cgroup v2 directory");
    }
  }
  for (const auto& bridge : selector.bridges) {
    if (if_nametoindex(bridge.c_str()) == 0) {
      return sdk::Status::invalid("flag -rule-bridge: no interface \"" + bridge + "\" in this network namespace");
    }
    std::error_code error;
    if (!std::filesystem::is_directory("/sys/class/net/" + bridge + "/bridge", error)) {
      return sdk::Status::invalid("flag -rule-bridge: \"" + bridge + "\" is not a bridge");
    }
  }
  return sdk::Status::ok();
}

std::string install_script(const RuleSelector& selector, std::uint16_t queue) {
  const std::string comment = "-m comment --comment " + tag(queue);
  const std::string target = "-j NFQUEUE --queue-num " + std::to_string(queue) + " --queue-bypass";
  char exempt[64];
  std::snprintf(exempt, sizeof exempt, "-m mark --mark 0x%x/0x%x", kInjectedMark, kInjectedMarkMask);
  std::string script = "*filter\n";
  auto add_chain = [&](const std::string& name, const std::string& parent, const std::vector<std::string>& heads) {
    script += ":" + name + " - [0:0]\n";
    script += "-A " + name + " " + exempt + " " + comment + " -j RETURN\n";
    for (const auto& head : heads) {
      for (const auto& transport : transport_matches(selector)) {
        script += "-A " + join({name, head, transport, comment, target}) + "\n";
      }
    }
    script += "-I " + parent + " 1 " + comment + " -j " + name + "\n";
  };
  if (!selector.bridges.empty()) {
    std::vector<std::string> heads;
    for (const auto& bridge : selector.bridges) heads.push_back("-m physdev --physdev-is-bridged -i " + bridge);
    add_chain(chain(queue, "FWD"), "FORWARD", heads);
  } else if (!selector.empty()) {
    std::string owner = selector.uid ? "-m owner --uid-owner " + std::to_string(*selector.uid) : "";
    std::string cgroup = selector.cgroup.empty() ? "" : "-m cgroup --path " + selector.cgroup;
    add_chain(chain(queue, "OUT"), "OUTPUT", {join({owner, cgroup})});
  }
  script += "COMMIT\n";
  return script;
}

std::string removal_script(const std::string& listing, std::uint16_t queue) {
  const std::string comment = "--comment " + tag(queue);
  const std::string prefix = "NMZ-Q" + std::to_string(queue) + "-";
  std::string deletions;
  std::vector<std::string> chains;
  std::stringstream lines(listing);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("-N " + prefix, 0) == 0) {
      chains.push_back(line.substr(3));
    } else if (line.rfind("-A ", 0) == 0 && line.rfind("-A " + prefix, 0) != 0 &&
               (line.find(comment + " ") != std::string::npos || line.find("-j " + prefix) != std::string::npos)) {
      deletions += "-D " + line.substr(3) + "\n";
    }
  }
  if (deletions.empty() && chains.empty()) return {};
  std::string script = "*filter\n" + deletions;
  for (const auto& name : chains) script += "-F " + name + "\n";
  for (const auto& name : chains) script += "-X " + name + "\n";
  return script + "COMMIT\n";
}

std::string undo_command(const RuleSelector& selector, std::uint16_t queue) {
  const bool bridged = !selector.bridges.empty();
  const std::string name = chain(queue, bridged ? "FWD" : "OUT");
  const std::string parent = bridged ? "FORWARD" : "OUTPUT";
  std::string command;
  for (const char* tool : kTools) {
    const std::string run = std::string(tool) + " -w ";
    command += run + "-D " + parent + " -m comment --comment " + tag(queue) + " -j " + name + " 2>/dev/null; " + run +
               "-F " + name + " 2>/dev/null; " + run + "-X " + name + " 2>/dev/null; ";
  }
  return command + "true";
}

namespace {

// The name under /run/netns of this process's network namespace, if it
// has one: a restore record must undo the rules there, not where the
// cleaning process happens to be.
std::string named_netns() {
  struct stat own {};
  if (::stat("/proc/self/ns/net", &own) != 0) return {};
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", error)) {
    struct stat named {};
    if (::stat(entry.path().c_str(), &named) == 0 && named.st_ino == own.st_ino && named.st_dev == own.st_dev) {
      return entry.path().filename().string();
    }
  }
  return {};
}

}  // namespace

RuleSet::~RuleSet() { remove(); }

void RuleSet::leave_restore_record() {
  auto record = sdk::RestoreRecord::create("ethernet inspector: iptables rules of NFQUEUE " + std::to_string(queue_));
  if (!record) {
    logger_.warn("if nmz is killed, `nmz tools cleanup` will not know the rules: " + record.status().message());
    return;
  }
  std::vector<std::string> argv{"sh", "-c", undo_command(selector_, queue_)};
  if (std::string netns = named_netns(); !netns.empty()) argv.insert(argv.begin(), {"ip", "netns", "exec", netns});
  if (auto status = record->set_steps({{argv, ""}}); !status) logger_.warn(status.message());
  record_.emplace(std::move(record).value());
}

sdk::Status RuleSet::install() {
  for (const char* tool : kTools) {
    if (auto status = remove_with(tool, /*stale=*/true); !status) return status;
  }
  if (selector_.empty()) return sdk::Status::ok();
  if (!selector_.bridges.empty()) {
    if (auto status = set_bridge_sysctls(); !status) return status;
  }
  installed_ = true;
  std::string script = install_script(selector_, queue_);
  for (const char* tool : kTools) {
    auto result = run_command({std::string(tool) + "-restore", "-w", "--noflush"}, script);
    if (!result || result->exit_code != 0) {
      std::string why = result ? result->output : result.status().message();
      if (!selector_.cgroup.empty()) why += " (does cgroup " + selector_.cgroup + " exist?)";
      remove();
      return sdk::Status::error(sdk::StatusCode::unavailable,
                                std::string("installing the ") + tool + " rules for NFQUEUE " +
                                    std::to_string(queue_) + " failed: " + why);
    }
  }
  leave_restore_record();
  logger_.info("installed rules: chain " + chain(queue_, selector_.bridges.empty() ? "OUT" : "FWD") +
               " (iptables and ip6tables), comment " + tag(queue_));
  return sdk::Status::ok();
}

sdk::Status RuleSet::remove_with(const std::string& tool, bool stale) {
  auto listing = run_command({tool, "-w", "-S"});
  if (!listing) return listing.status();
  if (listing->exit_code != 0) {
    return sdk::Status::error(sdk::StatusCode::unavailable, tool + " -S failed: " + listing->output);
  }
  std::string script = removal_script(listing->output, queue_);
  if (script.empty()) return sdk::Status::ok();
  if (stale) logger_.warn("removing " + tool + " rules that an earlier nmz left for NFQUEUE " + std::to_string(queue_));
  auto result = run_command({tool + "-restore", "-w", "--noflush"}, script);
  if (!result) return result.status();
  if (result->exit_code != 0) {
    return sdk::Status::error(sdk::StatusCode::unavailable, "removing the " + tool + " rules of NFQUEUE " +
                                                                std::to_string(queue_) + " failed: " + result->output);
  }
  return sdk::Status::ok();
}

void RuleSet::remove() {
  if (installed_) {
    for (const char* tool : kTools) {
      if (auto status = remove_with(tool, /*stale=*/false); !status) logger_.error(status.message());
    }
    installed_ = false;
    record_.reset();
    logger_.info("removed the rules of NFQUEUE " + std::to_string(queue_));
  }
  for (const auto& [path, value] : restore_sysctls_) {
    std::ofstream(path) << value;
  }
  restore_sysctls_.clear();
}

sdk::Status RuleSet::set_bridge_sysctls() {
  // Bridged frames reach iptables only through br_netfilter, switched on per
  // network namespace. Put back what was there on exit.
  for (const char* name : {"bridge-nf-call-iptables", "bridge-nf-call-ip6tables"}) {
    std::string path = std::string("/proc/sys/net/bridge/") + name;
    std::string value;
    if (!(std::ifstream(path) >> value)) {
      return sdk::Status::error(sdk::StatusCode::unavailable,
                                "flag -rule-bridge needs br_netfilter (" + path + " is missing: modprobe br_netfilter)");
    }
    if (value == "1") continue;
    if (!(std::ofstream(path) << "1")) {
      return sdk::Status::error(sdk::StatusCode::permission_denied, "cannot write 1 to " + path);
    }
    restore_sysctls_.emplace_back(path, value);
  }
  return sdk::Status::ok();
}

}  // namespace nmz::plugins::ethernet
