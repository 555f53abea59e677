// SPDX-License-Identifier: Apache-2.0
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/verb_flags.hpp"
#include "experiment/k8s_job.hpp"
#include "experiment/slurm_job.hpp"
#include "experiment/storage.hpp"

namespace nmz::core::cli {

namespace {

constexpr const char* kUsage = "nmz submit slurm|k8s [flags] STORAGE_DIR (nmz submit slurm -h, nmz submit k8s -h)";

std::set<std::string> split_list(const std::string& text) {
  std::set<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) items.insert(item);
  }
  return items;
}

bool positive(const char* flag, std::int64_t value) {
  if (value >= 1) return true;
  std::cerr << "nmz submit: flag -" << flag << ": expected at least 1, got " << value << "\n";
  return false;
}

int submit_slurm(const std::vector<std::string>& args) {
  std::int64_t runs = 0;
  std::int64_t array_size = 0;
  std::int64_t parallel = 1;
  std::string partition;
  std::string time_limit;
  bool dry_run = false;
  sdk::FlagSet flags("nmz submit slurm");
  flags.add_int("n", &runs, "runs in the experiment");
  flags.add_int("array-size", &array_size, "array tasks (shards), each running every array-size-th run");
  flags.add_int("parallel", &parallel, "runs side by side inside each task");
  flags.add_string("partition", &partition, "Slurm partition (default: the cluster's)");
  flags.add_string("time", &time_limit, "time limit of each task, in Slurm's format (default: the partition's)");
  flags.add_bool("dry-run", &dry_run, "print the job scripts instead of submitting them");
  if (!parse_verb_flags(flags, args, 1, "nmz submit slurm -n N --array-size K [--parallel P] [--partition P] "
                                        "[--time T] [--dry-run] STORAGE_DIR")) {
    return 2;
  }
  if (!positive("n", runs) || !positive("array-size", array_size) || !positive("parallel", parallel)) return 2;
  auto storage = experiment::Storage::open(flags.positionals()[0]);
  if (!storage) {
    std::cerr << "nmz submit: " << storage.status().message() << "\n";
    return 2;
  }
  experiment::SlurmJob job{storage->root(), std::filesystem::read_symlink("/proc/self/exe"),
                           static_cast<std::uint64_t>(runs), static_cast<std::uint64_t>(array_size),
                           static_cast<std::uint64_t>(parallel), partition, time_limit};
  if (dry_run) {
    std::cout << "# " << (job.storage / "slurm" / "array.sh").string() << "\n"
              << experiment::slurm_array_script(job) << "\n# " << (job.storage / "slurm" / "summary.sh").string()
              << " (sbatch --dependency=afterany:<array job>)\n"
              << experiment::slurm_summary_script(job);
    return 0;
  }
  auto submission = experiment::submit_slurm_job(job);
  if (!submission) {
    std::cerr << "nmz submit: " << submission.status().message() << "\n";
    return 1;
  }
  std::cout << "array job " << submission->array_job_id << " (" << array_size << " tasks), summary job "
            << submission->summary_job_id << " -> " << (job.storage / "summary.json").string()
            << "\nprogress: nmz status " << job.storage.string() << "\n";
  return 0;
}

int submit_k8s(const std::vector<std::string>& args) {
  experiment::K8sJob job;
  std::int64_t runs = 0;
  std::int64_t parallelism = 0;
  std::string inspectors;
  std::string network = "pod";
  bool emit = false;
  sdk::FlagSet flags("nmz submit k8s");
  flags.add_int("n", &runs, "runs in the experiment");
  flags.add_int("parallelism", &parallelism, "pods (shards), each running every parallelism-th run");
  flags.add_string("image", &job.image, "container image holding nmz and the experiment's software");
  flags.add_string("name", &job.name, "Job name");
  flags.add_string("storage-claim", &job.storage_claim, "PersistentVolumeClaim (ReadWriteMany) holding the storage");
  flags.add_string("inspectors", &inspectors, "inspectors the experiment uses: ethernet,fs,proc,native");
  flags.add_string("network", &network, "ethernet's network namespace: pod or host");
  flags.add_bool("emit", &emit, "print the manifest (required: nmz does not talk to clusters; kubectl apply -f it)");
  if (!parse_verb_flags(flags, args, 1, "nmz submit k8s -n N --parallelism K --image IMAGE [--inspectors LIST] "
                                        "[--network pod|host] [--storage-claim PVC] --emit STORAGE_DIR")) {
    return 2;
  }
  if (!positive("n", runs) || !positive("parallelism", parallelism)) return 2;
  if (!emit) {
    std::cerr << "nmz submit k8s: pass --emit and apply the manifest with kubectl apply -f\n";
    return 2;
  }
  if (job.image.empty()) {
    std::cerr << "nmz submit k8s: flag -image: required\n";
    return 2;
  }
  if (network != "pod" && network != "host") {
    std::cerr << "nmz submit k8s: flag -network: expected pod or host, got \"" << network << "\"\n";
    return 2;
  }
  job.inspectors = split_list(inspectors);
  if (auto status = experiment::check_k8s_inspectors(job.inspectors); !status) {
    std::cerr << "nmz submit k8s: flag -inspectors: " << status.message() << "\n";
    return 2;
  }
  job.host_network = network == "host";
  job.storage = flags.positionals()[0];
  job.runs = static_cast<std::uint64_t>(runs);
  job.parallelism = static_cast<std::uint64_t>(parallelism);
  std::cout << experiment::k8s_job_manifest(job).dump(2) << "\n";
  return 0;
}

}  // namespace

int command_submit(const std::vector<std::string>& args) {
  if (args.empty() || (args[0] != "slurm" && args[0] != "k8s")) {
    const bool help = !args.empty() && asks_for_help({args[0]});
    (help ? std::cout : std::cerr) << "usage: " << kUsage << "\n";
    return help ? 0 : 2;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  return args[0] == "slurm" ? submit_slurm(rest) : submit_k8s(rest);
}

}  // namespace nmz::core::cli
