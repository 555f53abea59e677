// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::core::experiment {

// An experiment as a Kubernetes Indexed Job: pod I (JOB_COMPLETION_INDEX)
// runs `nmz run --shard I/N`, N = parallelism, with the privileges the
// experiment's inspectors need and the storage on a volume.
struct K8sJob {
  std::string name = "nmz-experiment";
  std::string image;
  std::string storage;  // path of the storage inside the pod, where the volume is mounted
  std::string storage_claim = "nmz-storage";  // PersistentVolumeClaim (ReadWriteMany) holding it
  std::uint64_t runs = 0;
  std::uint64_t parallelism = 0;
  std::set<std::string> inspectors;  // of ethernet, fs, proc, native
  bool host_network = false;         // ethernet on the node's network instead of the pod's
};

// The inspectors K8sJob understands; anything else is an error naming them.
sdk::Status check_k8s_inspectors(const std::set<std::string>& inspectors);

// The manifest as JSON, which `kubectl apply -f` takes as it takes YAML.
nlohmann::json k8s_job_manifest(const K8sJob& job);

}  // namespace nmz::core::experiment
