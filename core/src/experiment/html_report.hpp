// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <string>

#include <nmz/sdk/status.hpp>

#include "experiment/summary.hpp"

namespace nmz::core::experiment {

// `nmz summary --html FILE`: one self-contained page (inline SVG, no
// scripts, no network): the numbers of the summary, the failure rate and
// its 95% interval as runs accumulate, the growth of distinct traces, and a
// timeline of one run (`run_id`; empty: the first failing run, else the
// last one) with each entity's events and actions over time.
sdk::Status write_html_report(const StorageSummary& summary, const Storage& storage, std::string run_id,
                              const std::filesystem::path& file);

}  // namespace nmz::core::experiment
