// SPDX-License-Identifier: Apache-2.0
#include <ctime>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include <nmz/sdk/flags.hpp>

#include "cli/commands.hpp"
#include "cli/verb_flags.hpp"
#include "experiment/coverage_analysis.hpp"
#include "experiment/leftovers.hpp"
#include "experiment/summary.hpp"
#include "log/logging.hpp"
#include "orchestrator/trace.hpp"

namespace nmz::core::cli {
namespace {

std::string local_time(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%b %e %H:%M:%S", &tm);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  char out[96];
  std::snprintf(out, sizeof out, "%s.%06lld", buffer, static_cast<long long>(micros));
  return out;
}

void print_option(const char* title, const std::string& option_json) {
  std::cout << " - " << title << " option:\n";
  auto option = nlohmann::json::parse(option_json, nullptr, false);
  if (!option.is_object()) return;
  for (const auto& [key, value] : option.items()) std::cout << " -- " << key << ": " << value.dump() << "\n";
}

// Namazu's dump-trace output, read from the portable trace.
int dump_trace(const std::vector<std::string>& args) {
  std::string path;
  sdk::FlagSet flags("nmz tools dump-trace");
  flags.add_string("trace-path", &path, "trace file (<run>/trace.jsonl)");
  constexpr const char* kSynopsis = "nmz tools dump-trace [-trace-path] STORAGE/RUN[/trace.jsonl]";
  if (!parse_verb_flags_at_most(flags, args, 1, kSynopsis)) return 2;
  if (path.empty() && flags.positionals().size() == 1) path = flags.positionals()[0];
  if (path.empty()) {
    std::cerr << "usage: " << kSynopsis << "\n" << flags.usage();
    return 2;
  }
  // A run directory (or a storage's run) holds its trace as trace.jsonl.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    if (!std::filesystem::exists(std::filesystem::path(path) / "trace.jsonl", error)) {
      std::cerr << "nmz tools dump-trace: " << path << " is a directory without trace.jsonl (a run directory has one)\n";
      return 1;
    }
    path = (std::filesystem::path(path) / "trace.jsonl").string();
  }
  auto trace = read_trace(path);
  if (!trace) {
    std::cerr << "nmz tools dump-trace: " << trace.status().message() << "\n";
    return 1;
  }
  for (std::size_t i = 0; i < trace->size(); ++i) {
    const auto& entry = (*trace)[i];
    std::cout << i << ": " << entry.action.class_name << "[" << entry.action.entity << "@"
              << local_time(entry.action_triggered) << "]";
    if (entry.event) {
      std::cout << " for " << entry.event->class_name << "[" << entry.event->entity << "@" << local_time(entry.event_arrived)
                << "]";
    }
    std::cout << "\n";
    print_option("Action", entry.action.option);
    if (entry.event) print_option("Event", entry.event->option);
  }
  return 0;
}

// Namazu's gnuplot series: "<run number> <distinct traces so far>".
int visualize(const std::vector<std::string>& args) {
  std::string mode = "gnuplot";
  bool po_reduction = true;
  sdk::FlagSet flags("nmz tools visualize");
  flags.add_string("mode", &mode, "output format (gnuplot)");
  flags.add_bool("po-reduction", &po_reduction, "compare traces per entity (partial-order reduction)");
  if (!parse_verb_flags(flags, args, 1, "nmz tools visualize [-mode gnuplot] [-po-reduction=true|false] STORAGE_DIR")) {
    return 2;
  }
  if (mode != "gnuplot") {
    std::cerr << "nmz tools visualize: unknown mode \"" << mode << "\" (expected gnuplot)\n";
    return 2;
  }
  auto storage = experiment::Storage::open(flags.positionals()[0]);
  if (!storage) {
    std::cerr << "nmz tools visualize: " << storage.status().message() << "\n";
    return 2;
  }
  auto summary = experiment::summarize(*storage, po_reduction);
  for (std::size_t i = 0; i < summary.rows.size(); ++i) std::cout << i + 1 << " " << summary.rows[i].distinct_so_far << "\n";
  return 0;
}

// Namazu's analyzer: execution patterns from each run's coverage.
int analyze(const std::vector<std::string>& args) {
  bool as_json = false;
  sdk::FlagSet flags("nmz tools analyze");
  flags.add_bool("json", &as_json, "print the analysis as JSON");
  if (!parse_verb_flags(flags, args, 1, "nmz tools analyze [--json] STORAGE_DIR")) return 2;
  auto storage = experiment::Storage::open(flags.positionals()[0]);
  if (!storage) {
    std::cerr << "nmz tools analyze: " << storage.status().message() << "\n";
    return 2;
  }
  const auto analysis = experiment::analyze_coverage(*storage);
  std::cout << (as_json ? experiment::coverage_json(analysis).dump(2) + "\n" : experiment::coverage_text(analysis));
  bool errors = false;
  for (const auto& row : analysis.rows) errors = errors || !row.error.empty();
  return errors ? 1 : 0;
}

// Lists and undoes what dead nmz processes left (restore records); never
// touches what a live nmz holds.
int cleanup(const std::vector<std::string>& args) {
  bool dry_run = false;
  sdk::FlagSet flags("nmz tools cleanup");
  flags.add_bool("n", &dry_run, "only list what dead nmz processes left");
  if (!parse_verb_flags(flags, args, 0, "nmz tools cleanup [-n]")) return 2;
  auto found = experiment::clean_leftovers(!dry_run, [](const std::string& line) { std::cout << line << "\n"; });
  for (const auto& leftover : found) {
    for (const auto& step : leftover.steps) std::cout << (dry_run ? "  would run: " : "  ran: ") << step << "\n";
  }
  if (found.empty()) std::cout << "nothing left by a dead nmz\n";
  return 0;
}

}  // namespace

int command_tools(const std::vector<std::string>& args) {
  init_logging();
  const std::vector<std::string> rest(args.empty() ? args.end() : args.begin() + 1, args.end());
  if (!args.empty() && args[0] == "summary") return command_summary(rest);
  if (!args.empty() && args[0] == "dump-trace") return dump_trace(rest);
  if (!args.empty() && args[0] == "visualize") return visualize(rest);
  if (!args.empty() && args[0] == "analyze") return analyze(rest);
  if (!args.empty() && args[0] == "cleanup") return cleanup(rest);
  if (!args.empty() && args[0] == "shrink") return command_shrink(rest);
  const bool help = !args.empty() && asks_for_help({args[0]});
  (help ? std::cout : std::cerr) << "usage: nmz tools summary|dump-trace|visualize|analyze|shrink|cleanup ...\n"
               "  summary STORAGE       the same as nmz summary\n"
               "  dump-trace FILE       print a run's trace.jsonl\n"
               "  visualize STORAGE     distinct traces as runs accumulate (gnuplot data)\n"
               "  analyze STORAGE       execution patterns from each run's coverage (gcov, JaCoCo)\n"
               "  shrink STORAGE RUN    the smallest part of a failing run's explore plan that still fails\n"
               "  cleanup [-n]          undo what killed nmz processes left (runs, mounts, rules, threads)\n"
               "Run `nmz tools NAME -h` for a tool's flags.\n";
  return help ? 0 : 2;
}

}  // namespace nmz::core::cli
