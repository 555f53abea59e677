// SPDX-License-Identifier: Apache-2.0
#include "experiment/html_report.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "orchestrator/trace.hpp"
#include "util/atomic_file.hpp"

namespace nmz::core::experiment {

namespace {

constexpr int kWidth = 760;
constexpr int kHeight = 220;
constexpr int kMargin = 40;

std::string escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string fixed(double value, int digits = 1) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits, value);
  return buffer;
}

// x for run i of n, y for a fraction 0..1 of the plot height.
double plot_x(std::size_t i, std::size_t n) {
  return kMargin + (n <= 1 ? 0.0 : static_cast<double>(i) * (kWidth - 2 * kMargin) / static_cast<double>(n - 1));
}
double plot_y(double fraction) { return kHeight - kMargin - fraction * (kHeight - 2 * kMargin); }

std::string axes(const std::string& y_label, const std::string& y_top, std::size_t runs) {
  std::ostringstream svg;
  svg << "<line x1='" << kMargin << "' y1='" << plot_y(0) << "' x2='" << kWidth - kMargin << "' y2='" << plot_y(0)
      << "' stroke='#444'/><line x1='" << kMargin << "' y1='" << plot_y(0) << "' x2='" << kMargin << "' y2='"
      << plot_y(1) << "' stroke='#444'/>"
      << "<text x='" << kMargin - 4 << "' y='" << plot_y(1) + 4 << "' text-anchor='end'>" << y_top << "</text>"
      << "<text x='" << kMargin - 4 << "' y='" << plot_y(0) + 4 << "' text-anchor='end'>0</text>"
      << "<text x='" << kWidth - kMargin << "' y='" << kHeight - 12 << "' text-anchor='end'>runs: " << runs << "</text>"
      << "<text x='" << kMargin << "' y='14'>" << escape(y_label) << "</text>";
  return svg.str();
}

std::string rate_chart(const StorageSummary& s) {
  const auto n = s.rows.size();
  std::ostringstream line;
  std::ostringstream band_top;
  std::ostringstream band_bottom;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& row = s.rows[i];
    line << plot_x(i, n) << "," << plot_y(row.rate_so_far) << " ";
    band_top << plot_x(i, n) << "," << plot_y(row.interval_so_far.high) << " ";
  }
  for (std::size_t i = n; i-- > 0;) band_bottom << plot_x(i, n) << "," << plot_y(s.rows[i].interval_so_far.low) << " ";
  std::ostringstream svg;
  svg << "<svg width='" << kWidth << "' height='" << kHeight << "'>" << axes("failure rate (95% Wilson interval shaded)", "100%", n)
      << "<polygon points='" << band_top.str() << band_bottom.str() << "' fill='#f4b6b6' stroke='none'/>"
      << "<polyline points='" << line.str() << "' fill='none' stroke='#b00' stroke-width='2'/></svg>";
  return svg.str();
}

// A growth curve: `so_far(row)` distinct things after each run.
template <class SoFar>
std::string growth_chart(const StorageSummary& s, const std::string& label, std::uint64_t total, SoFar so_far) {
  const auto n = s.rows.size();
  const double top = static_cast<double>(std::max<std::uint64_t>(1, total));
  std::ostringstream line;
  for (std::size_t i = 0; i < n; ++i) {
    line << plot_x(i, n) << "," << plot_y(static_cast<double>(so_far(s.rows[i])) / top) << " ";
  }
  std::ostringstream svg;
  svg << "<svg width='" << kWidth << "' height='" << kHeight << "'>" << axes(label, std::to_string(total), n)
      << "<polyline points='" << line.str() << "' fill='none' stroke='#06c' stroke-width='2'/></svg>";
  return svg.str();
}

std::string signature_table(const StorageSummary& s) {
  std::ostringstream html;
  html << "<table><tr><th>signature</th><th>runs</th><th>failed</th><th>failure rate (95% Wilson interval)</th>"
          "<th>first run</th><th>what the runs looked like</th></tr>";
  for (const auto& sig : s.signatures) {
    html << "<tr><td><code>" << escape(sig.id) << "</code></td><td>" << sig.runs << "</td><td>" << sig.failed
         << "</td><td>" << fixed(sig.failure_rate * 100) << "% (" << fixed(sig.interval.low * 100) << "% to "
         << fixed(sig.interval.high * 100) << "%)</td><td>" << escape(sig.first_run) << "</td><td>" << escape(sig.text)
         << "</td></tr>";
  }
  html << "</table>";
  return html.str();
}

std::string action_colour(const std::string& class_name) {
  if (class_name.find("Fault") != std::string::npos) return "#c00";
  if (class_name == "EventAcceptanceAction") return "#080";
  if (class_name == "ShellAction") return "#a60";
  return "#888";
}

std::string timeline(const Trace& trace) {
  if (trace.empty()) return "<p>This run's trace is empty.</p>";
  std::map<std::string, int> lanes;
  auto t0 = trace.front().action_triggered;
  auto t1 = t0;
  for (const auto& e : trace) {
    lanes.emplace(e.event ? e.event->entity : e.action.entity, 0);
    if (e.event) t0 = std::min(t0, e.event_arrived);
    t1 = std::max(t1, e.action_triggered);
  }
  int lane = 0;
  for (auto& [entity, y] : lanes) y = lane++;
  const double span = std::max(1e-6, std::chrono::duration<double>(t1 - t0).count());
  constexpr int kLane = 34;
  constexpr int kLeft = 220;
  const int height = static_cast<int>(lanes.size()) * kLane + 40;
  auto x = [&](std::chrono::system_clock::time_point t) {
    return kLeft + std::chrono::duration<double>(t - t0).count() / span * (kWidth + 200 - kLeft - 20);
  };
  std::ostringstream svg;
  svg << "<svg width='" << kWidth + 200 << "' height='" << height << "'>";
  for (const auto& [entity, y] : lanes) {
    const int cy = 20 + y * kLane;
    svg << "<text x='" << kLeft - 8 << "' y='" << cy + 4 << "' text-anchor='end'>" << escape(entity) << "</text>"
        << "<line x1='" << kLeft << "' y1='" << cy << "' x2='" << kWidth + 180 << "' y2='" << cy << "' stroke='#ddd'/>";
  }
  for (const auto& e : trace) {
    const int cy = 20 + lanes[e.event ? e.event->entity : e.action.entity] * kLane;
    const std::string colour = action_colour(e.action.class_name);
    const std::string tip = escape(e.action.class_name + (e.event ? " for " + e.event->class_name + " " + e.event->replay_hint : ""));
    const double xa = x(e.action_triggered);
    if (e.event) {
      const double xe = x(e.event_arrived);
      svg << "<line x1='" << xe << "' y1='" << cy << "' x2='" << xa << "' y2='" << cy << "' stroke='" << colour
          << "' stroke-width='3' opacity='0.5'/><circle cx='" << xe << "' cy='" << cy << "' r='3' fill='#333'><title>"
          << tip << "</title></circle>";
    }
    svg << "<rect x='" << xa - 3 << "' y='" << cy - 7 << "' width='6' height='14' fill='" << colour << "'><title>" << tip
        << "</title></rect>";
  }
  svg << "<text x='" << kLeft << "' y='" << height - 6 << "'>0 s</text><text x='" << kWidth + 180 << "' y='" << height - 6
      << "' text-anchor='end'>" << fixed(span, 3) << " s</text></svg>";
  return svg.str();
}

}  // namespace

sdk::Status write_html_report(const StorageSummary& s, const Storage& storage, std::string run_id,
                              const std::filesystem::path& file) {
  if (run_id.empty()) {
    for (const auto& row : s.rows) {
      if (row.result && row.result->status == RunStatus::failed) {
        run_id = row.id;
        break;
      }
    }
    if (run_id.empty() && !s.rows.empty()) run_id = s.rows.back().id;
  }
  std::ostringstream html;
  html << "<!DOCTYPE html><html><head><meta charset='utf-8'><title>nmz summary: " << escape(s.storage)
       << "</title><style>body{font-family:sans-serif;margin:2em;color:#222}svg{font-size:11px;display:block;"
          "margin:1em 0}td,th{padding:2px 10px;text-align:left}.failed{color:#b00}.broken{color:#a60}</style></head><body>"
       << "<h1>nmz experiment " << escape(s.storage) << "</h1><table>"
       << "<tr><th>runs</th><td>" << s.rows.size() << " (" << s.passed << " passed, " << s.failed << " failed, " << s.broken
       << " broken, " << s.unreadable << " unreadable)</td></tr>"
       << "<tr><th>failure rate</th><td>" << s.failed << "/" << s.decided() << " = " << fixed(s.failure_rate * 100)
       << "% (95% Wilson interval " << fixed(s.interval.low * 100) << "% to " << fixed(s.interval.high * 100) << "%)</td></tr>"
       << "<tr><th>time per run</th><td>mean " << fixed(s.mean_seconds, 2) << " s, p50 " << fixed(s.p50_seconds, 2)
       << " s, p95 " << fixed(s.p95_seconds, 2) << " s</td></tr>"
       << "<tr><th>distinct traces</th><td>" << s.distinct_traces << "</td></tr>"
       << "<tr><th>distinct signatures</th><td>" << s.signatures.size() << "</td></tr></table>"
       << "<h2>Failure rate as runs accumulate</h2>" << rate_chart(s) << "<h2>Distinct traces</h2>"
       << growth_chart(s, "distinct traces so far", s.distinct_traces, [](const auto& row) { return row.distinct_so_far; })
       << "<h2>Distinct signatures (is exploration saturating?)</h2>"
       << growth_chart(s, "distinct signatures so far", s.signatures.size(),
                       [](const auto& row) { return row.signatures_so_far; })
       << "<h2>Signatures</h2>" << signature_table(s);
  html << "<h2>Timeline of run " << escape(run_id) << "</h2>";
  if (!run_id.empty()) {
    auto trace = read_trace(storage.root() / run_id / "trace.jsonl");
    html << (trace ? "<p>Dots: events arriving; bars: the action decided for them (green acceptance, red fault, "
                     "orange shell, grey other).</p>" + timeline(*trace)
                   : "<p>" + escape(trace.status().message()) + "</p>");
  }
  html << "<h2>Runs</h2><table><tr><th>run</th><th>status</th><th>time</th><th>seed</th><th>reason</th></tr>";
  for (const auto& row : s.rows) {
    if (!row.result) {
      html << "<tr><td>" << row.id << "</td><td class='broken'>unreadable</td><td></td><td></td><td>" << escape(row.error)
           << "</td></tr>";
      continue;
    }
    const std::string status = to_string(row.result->status);
    html << "<tr><td>" << row.id << "</td><td class='" << status << "'>" << status << "</td><td>"
         << fixed(std::chrono::duration<double>(row.result->required_time).count(), 2) << " s</td><td>"
         << escape(row.result->seed) << "</td><td>" << escape(row.result->reason) << "</td></tr>";
  }
  html << "</table></body></html>\n";
  return write_file_atomically(file, html.str());
}

}  // namespace nmz::core::experiment
