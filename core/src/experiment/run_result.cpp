// SPDX-License-Identifier: Apache-2.0
#include "experiment/run_result.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"

namespace nmz::core::experiment {

using nlohmann::json;

std::string to_string(RunStatus status) {
  switch (status) {
    case RunStatus::passed: return "passed";
    case RunStatus::failed: return "failed";
    case RunStatus::broken: return "broken";
    case RunStatus::timeout: return "timeout";
    case RunStatus::interrupted: return "interrupted";
  }
  return "broken";
}

std::string to_json(const RunResult& r) {
  json object{{"successful", r.successful()},
              {"required_time", r.required_time.count()},
              {"metadata", json::object()},
              {"status", to_string(r.status)},
              {"reason", r.reason},
              {"started_at_ns", r.started_at_ns},
              {"policy", r.policy},
              {"seed", r.seed},
              {"nmz_version", r.nmz_version},
              {"run_exit_code", r.run_exit_code},
              {"validate_exit_code", r.validate_exit_code},
              {"clean_exit_code", r.clean_exit_code},
              {"rest_port", r.rest_port},
              {"nfq_number", r.nfq_number},
              {"netns", r.netns},
              {"trace_length", r.trace_length},
              {"signature", r.signature},
              {"signature_text", r.signature_text},
              {"signature_exit_code", r.signature_exit_code}};
  if (!r.plan.empty()) object["plan"] = json::parse(r.plan, nullptr, false);
  if (!r.coverage.empty()) object["coverage"] = json::parse(r.coverage, nullptr, false);
  return object.dump(1, '\t') + "\n";
}

sdk::Result<RunResult> run_result_from_json(std::string_view text) {
  json object = json::parse(text, nullptr, false);
  if (object.is_discarded()) return sdk::Status::invalid("not valid JSON (truncated?)");
  if (!object.is_object() || !object.contains("successful") || !object["successful"].is_boolean()) {
    return sdk::Status::invalid("no boolean \"successful\"");
  }
  try {
    RunResult r;
    bool successful = object["successful"].get<bool>();
    std::string status = object.value("status", successful ? "passed" : "failed");
    if (status == "passed") {
      r.status = RunStatus::passed;
    } else if (status == "failed") {
      r.status = RunStatus::failed;
    } else if (status == "broken") {
      r.status = RunStatus::broken;
    } else if (status == "timeout") {
      r.status = RunStatus::timeout;
    } else if (status == "interrupted") {
      r.status = RunStatus::interrupted;
    } else {
      return sdk::Status::invalid("unknown \"status\" \"" + status + "\"");
    }
    r.required_time = std::chrono::nanoseconds(object.value("required_time", std::int64_t{0}));
    r.reason = object.value("reason", "");
    r.started_at_ns = object.value("started_at_ns", std::int64_t{0});
    r.policy = object.value("policy", "");
    r.seed = object.value("seed", "");
    r.nmz_version = object.value("nmz_version", "");
    r.run_exit_code = object.value("run_exit_code", -1);
    r.validate_exit_code = object.value("validate_exit_code", -1);
    r.clean_exit_code = object.value("clean_exit_code", -1);
    r.rest_port = object.value("rest_port", -1);
    r.nfq_number = object.value("nfq_number", -1);
    r.netns = object.value("netns", "");
    r.trace_length = object.value("trace_length", std::uint64_t{0});
    r.signature = object.value("signature", "");
    r.signature_text = object.value("signature_text", "");
    r.signature_exit_code = object.value("signature_exit_code", -1);
    if (object.contains("plan") && object["plan"].is_object()) r.plan = object["plan"].dump();
    if (object.contains("coverage") && object["coverage"].is_object()) r.coverage = object["coverage"].dump();
    return r;
  } catch (const json::exception& e) {
    return sdk::Status::invalid(std::string("a member has the wrong type: ") + e.what());
  }
}

sdk::Status write_run_result(const std::filesystem::path& path, const RunResult& result) {
  return write_file_atomically(path, to_json(result));
}

sdk::Result<RunResult> read_run_result(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return sdk::Status::error(sdk::StatusCode::not_found, path.string() + ": missing");
  std::stringstream text;
  text << in.rdbuf();
  auto result = run_result_from_json(text.str());
  if (!result) return sdk::Status::invalid(path.string() + ": " + result.status().message());
  return result;
}

}  // namespace nmz::core::experiment
