// SPDX-License-Identifier: Apache-2.0
#include "experiment/k8s_job.hpp"

#include "util/spawn.hpp"

namespace nmz::core::experiment {

namespace {
const std::set<std::string> kKnownInspectors{"ethernet", "fs", "proc", "native"};
}  // namespace

sdk::Status check_k8s_inspectors(const std::set<std::string>& inspectors) {
  for (const auto& name : inspectors) {
    if (!kKnownInspectors.count(name)) {
      return sdk::Status::invalid("inspector \"" + name + "\": expected ethernet, fs, proc or native");
    }
  }
  return sdk::Status::ok();
}

nlohmann::json k8s_job_manifest(const K8sJob& job) {
  const auto uses = [&](const char* inspector) { return job.inspectors.count(inspector) > 0; };
  // Why each: NFQUEUE and iptables rules need NET_ADMIN; the run's own network
  // namespace (ip netns add) and FUSE mounts need SYS_ADMIN; sched_setattr on
  // the target's threads needs SYS_NICE. The native inspector is an LD_PRELOAD
  // library and needs nothing.
  std::set<std::string> capabilities;
  if (uses("ethernet")) capabilities.insert({"NET_ADMIN", "SYS_ADMIN"});
  if (uses("fs")) capabilities.insert("SYS_ADMIN");
  if (uses("proc")) capabilities.insert("SYS_NICE");

  nlohmann::json mounts = nlohmann::json::array({{{"name", "storage"}, {"mountPath", job.storage}}});
  nlohmann::json volumes =
      nlohmann::json::array({{{"name", "storage"}, {"persistentVolumeClaim", {{"claimName", job.storage_claim}}}}});
  if (uses("fs")) {
    mounts.push_back({{"name", "dev-fuse"}, {"mountPath", "/dev/fuse"}});
    volumes.push_back({{"name", "dev-fuse"}, {"hostPath", {{"path", "/dev/fuse"}, {"type", "CharDevice"}}}});
  }
  const std::string shards = std::to_string(job.parallelism);
  nlohmann::json container{
      {"name", "nmz"},
      {"image", job.image},
      {"command",
       {"sh", "-c",
        "exec nmz run --shard \"$JOB_COMPLETION_INDEX/" + shards + "\" -n " + std::to_string(job.runs) + " " +
            shell_quoted(job.storage)}},
      {"volumeMounts", mounts},
      {"securityContext", {{"capabilities", {{"add", capabilities}}}}},
  };
  // The runtime's default seccomp profile refuses mount(2), which FUSE and netns bind mounts need.
  if (uses("fs") || uses("ethernet")) container["securityContext"]["seccompProfile"] = {{"type", "Unconfined"}};
  nlohmann::json pod{{"restartPolicy", "Never"}, {"containers", {container}}, {"volumes", volumes}};
  if (uses("ethernet")) pod["hostNetwork"] = job.host_network;
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", {{"name", job.name}}},
          {"spec",
           {{"completionMode", "Indexed"},
            {"completions", job.parallelism},
            {"parallelism", job.parallelism},
            // A shard started again runs only its missing run numbers.
            {"backoffLimit", job.parallelism},
            {"template", {{"metadata", {{"labels", {{"app", job.name}}}}}, {"spec", pod}}}}}};
}

}  // namespace nmz::core::experiment
