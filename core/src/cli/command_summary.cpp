// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include <nmz/sdk/flags.hpp>

#include "cli/commands.hpp"
#include "cli/verb_flags.hpp"
#include "experiment/html_report.hpp"
#include "experiment/summary.hpp"
#include "log/logging.hpp"

namespace nmz::core::cli {

int command_summary(const std::vector<std::string>& args) {
  init_logging();
  bool as_json = false;
  bool po_reduction = true;
  bool over_average = false;
  std::string html;
  std::string timeline_run;
  sdk::FlagSet flags("nmz summary");
  flags.add_bool("json", &as_json, "print the summary as JSON");
  flags.add_string("html", &html, "also write a self-contained HTML report to this file");
  flags.add_string("run", &timeline_run, "run whose timeline the HTML report shows (default: first failing)");
  flags.add_bool("po-reduction", &po_reduction, "count distinct traces per entity (partial-order reduction)");
  flags.add_bool("list-up-over-average", &over_average, "only list runs slower than the mean (Namazu's flag)");
  if (!parse_verb_flags(flags, args, 1, "nmz summary [--json] [--html FILE [--run ID]] STORAGE_DIR")) return 2;
  auto storage = experiment::Storage::open(flags.positionals()[0]);
  if (!storage) {
    std::cerr << "nmz summary: " << storage.status().message() << "\n";
    return 2;
  }
  auto summary = experiment::summarize(*storage, po_reduction);
  if (over_average) {
    for (const auto& row : summary.rows) {
      if (row.result && std::chrono::duration<double>(row.result->required_time).count() > summary.mean_seconds) {
        std::cout << row.id << "\n";
      }
    }
    return 0;
  }
  std::cout << (as_json ? summary_json(summary).dump(2) + "\n" : summary_text(summary));
  if (!html.empty()) {
    if (auto status = experiment::write_html_report(summary, *storage, timeline_run, html); !status) {
      std::cerr << "nmz summary: " << status.message() << "\n";
      return 1;
    }
  }
  // Unreadable runs are listed above; the status tells scripts too.
  return summary.unreadable > 0 ? 1 : 0;
}

}  // namespace nmz::core::cli
