// SPDX-License-Identifier: Apache-2.0
#include "experiment/coverage_analysis.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "util/atomic_file.hpp"
#include "util/hex_digest.hpp"
#include "util/spawn.hpp"

namespace nmz::core::experiment {

namespace fs = std::filesystem;
using sdk::Result;
using sdk::Status;

namespace {

// Debian's libjacoco-java has the core library but not JaCoCo's command
// line tool, so a single-file Java program (run by the JDK's source
// launcher, no build step) reads the .exec files through the core API.
// Arguments: "--" FILE... per run; it prints "--" and then the run's
// classes, or "!! why" when a file cannot be read. One JVM for all runs:
// starting one costs seconds.
constexpr std::string_view kJacocoProbesSource = R"(import org.jacoco.core.data.ExecutionData;
import org.jacoco.core.tools.ExecFileLoader;
import java.util.ArrayList;
import java.util.List;

public class NmzJacocoProbes {
  static void print(List<String> files) {
    System.out.println("--");
    try {
      ExecFileLoader loader = new ExecFileLoader();
      for (String file : files) loader.load(new java.io.File(file));
      for (ExecutionData data : loader.getExecutionDataStore().getContents()) {
        boolean[] probes = data.getProbes();
        StringBuilder line = new StringBuilder(data.getName());
        for (int i = 0; i < probes.length; i++) if (probes[i]) line.append(' ').append(i);
        System.out.println(line);
      }
    } catch (Exception e) {
      System.out.println("!! " + String.join(" ", files) + ": " + e);
    }
  }

  public static void main(String[] args) {
    List<String> files = null;
    for (String arg : args) {
      if (arg.equals("--")) {
        if (files != null) print(files);
        files = new ArrayList<>();
      } else {
        files.add(arg);
      }
    }
    if (files != null) print(files);
  }
}
)";
constexpr std::string_view kJacocoCoreJar = "/usr/share/java/org.jacoco.core.jar";

struct CoverageFiles {
  fs::path dir;  // RUN/coverage
  std::vector<fs::path> gcda;
  std::vector<fs::path> exec;
};

// RUN/coverage.json and the run's row of `--json`: what the explore policy reads.
nlohmann::json coverage_record(const CoverageAnalysis::Row& row) {
  return {{"coverage_pattern", row.pattern},  {"new_pattern", row.new_pattern},
          {"new_coverage", row.new_lines + row.new_branches > 0},
          {"tool", row.tool},                 {"covered_lines", row.lines},
          {"covered_branches", row.branches}, {"new_lines", row.new_lines},
          {"new_branches", row.new_branches}};
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A scratch directory removed when it goes out of scope.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "nmz-analyze-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs `command` (stdout to `out`, stderr to `err`); errors carry what the
// tool said and what to install when it is missing.
Status run_tool(const std::string& command, const fs::path& out, const fs::path& err, const std::string& what,
                const std::string& package) {
  auto rc = run_shell(command + " > " + shell_quoted(out.string()) + " 2> " + shell_quoted(err.string()));
  if (!rc) return Status::error(rc.status().code(), what + ": " + rc.status().message());
  if (*rc == 127) return Status::error(sdk::StatusCode::not_found, what + " not found (install Debian's " + package + ")");
  if (*rc != 0) {
    std::string said = read_text(err);
    if (said.size() > 600) said = said.substr(said.size() - 600);
    return Status::error(sdk::StatusCode::internal, what + " exited with status " + std::to_string(*rc) + ": " + said);
  }
  return Status::ok();
}

// gcov wants each .gcno next to its .gcda; GCOV_PREFIX writes the .gcda
// under the coverage directory at the object file's absolute path, where
// the .gcno still is.
Status link_gcno_files(const fs::path& coverage, const std::vector<fs::path>& gcda_files) {
  for (const auto& gcda : gcda_files) {
    fs::path gcno = gcda;
    gcno.replace_extension(".gcno");
    std::error_code error;
    if (fs::exists(gcno, error)) continue;
    const fs::path original = fs::path("/") / fs::relative(gcno, coverage, error);
    if (error || !fs::exists(original, error)) {
      return Status::invalid(gcda.string() + ": no " + gcno.filename().string() + " next to it or at " +
                             original.string() + " (docs/experiments.md, \"Coverage\")");
    }
    fs::create_symlink(original, gcno, error);
    if (error) return Status::invalid(gcno.string() + ": cannot link to " + original.string() + ": " + error.message());
  }
  return Status::ok();
}

Result<CoveragePoints> read_gcov(const fs::path& coverage, const std::vector<fs::path>& gcda_files) {
  if (auto status = link_gcno_files(coverage, gcda_files); !status) return status;
  ScratchDir scratch;
  if (scratch.path().empty()) return Status::error(sdk::StatusCode::unavailable, "cannot create a temporary directory");
  const fs::path report = scratch.path() / "gcovr.json";
  // --root / with a filter that takes every file: sources live anywhere.
  const std::string command = "cd " + shell_quoted(coverage.string()) + " && gcovr --json " + shell_quoted(report.string()) +
                              " --root / --filter '.*' .";
  if (auto status = run_tool(command, scratch.path() / "out", scratch.path() / "err", "gcovr", "gcovr"); !status) {
    return Status::error(status.code(), coverage.string() + ": " + status.message());
  }
  auto json = nlohmann::json::parse(read_text(report), nullptr, false);
  if (json.is_discarded() || !json.is_object()) return Status::invalid(coverage.string() + ": gcovr wrote no JSON report");
  if (json.value("files", nlohmann::json::array()).empty()) {
    // gcov needs the sources; a program compiled with relative source paths
    // names them relative to a build directory that gcovr, reading .gcda
    // files under RUN/coverage, cannot infer: without this, no coverage at all.
    std::string said = read_text(scratch.path() / "err");
    if (said.size() > 300) said = said.substr(0, 300);
    return Status::invalid(coverage.string() + ": gcovr found the source of none of its .gcda files (compile with absolute "
                           "source paths; gcovr said: " + said + ")");
  }
  return gcov_points(json);
}

// The points of each group of .exec files (one group per run), in order.
Result<std::vector<Result<CoveragePoints>>> read_jacoco(const std::vector<std::vector<fs::path>>& groups) {
  ScratchDir scratch;
  if (scratch.path().empty()) return Status::error(sdk::StatusCode::unavailable, "cannot create a temporary directory");
  const fs::path source = scratch.path() / "NmzJacocoProbes.java";
  if (auto status = write_file_atomically(source, kJacocoProbesSource); !status) return status;
  std::string command = "java -cp " + shell_quoted(kJacocoCoreJar) + " " + shell_quoted(source.string());
  for (const auto& group : groups) {
    command += " --";
    for (const auto& exec : group) command += " " + shell_quoted(exec.string());
  }
  const fs::path listing = scratch.path() / "out";
  if (auto status = run_tool(command, listing, scratch.path() / "err", "java (JaCoCo core)",
                             "libjacoco-java and default-jdk-headless");
      !status) {
    return status;
  }
  std::vector<Result<CoveragePoints>> points;
  const std::string text = read_text(listing);
  for (std::size_t start = 0; start < text.size();) {
    auto next = text.find("--\n", start + 3);
    if (next == std::string::npos) next = text.size();
    const std::string_view group = std::string_view(text).substr(start + 3, next - start - 3);
    if (group.rfind("!! ", 0) == 0) {
      points.emplace_back(Status::invalid(std::string(group.substr(3, group.find('\n') - 3))));
    } else {
      points.emplace_back(jacoco_points(group));
    }
    start = next;
  }
  if (points.size() != groups.size() || text.rfind("--\n", 0) != 0) {
    return Status::error(sdk::StatusCode::internal, "java (JaCoCo core) printed an unexpected listing");
  }
  return points;
}

}  // namespace

CoveragePoints gcov_points(const nlohmann::json& report) {
  CoveragePoints points{"gcov", {}, {}};
  for (const auto& file : report.value("files", nlohmann::json::array())) {
    const std::string name = file.value("file", "");
    for (const auto& line : file.value("lines", nlohmann::json::array())) {
      const std::string where = name + ":" + std::to_string(line.value("line_number", 0));
      if (line.value("count", 0) > 0) points.lines.insert(where);
      const auto branches = line.value("branches", nlohmann::json::array());
      for (std::size_t i = 0; i < branches.size(); ++i) {
        if (branches[i].value("count", 0) > 0) points.branches.insert(where + ":b" + std::to_string(i));
      }
    }
  }
  return points;
}

CoveragePoints jacoco_points(std::string_view listing) {
  CoveragePoints points{"jacoco", {}, {}};
  std::istringstream in{std::string(listing)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string class_name;
    if (!(words >> class_name)) continue;
    std::string probe;
    while (words >> probe) points.branches.insert(class_name + "#" + probe);
  }
  return points;
}

std::string coverage_pattern(const CoveragePoints& points) {
  std::string all;
  for (const auto& line : points.lines) all += line + '\n';
  all += '\x1e';
  for (const auto& branch : points.branches) all += branch + '\n';
  return fnv1a64_hex(all);
}

namespace {

Result<CoverageFiles> find_coverage_files(const fs::path& run_dir) {
  CoverageFiles files;
  files.dir = run_dir / "coverage";
  std::error_code error;
  if (!fs::is_directory(files.dir, error)) return files;
  for (auto it = fs::recursive_directory_iterator(files.dir, error); !error && it != fs::recursive_directory_iterator();
       it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    if (it->path().extension() == ".gcda") files.gcda.push_back(it->path());
    if (it->path().extension() == ".exec") files.exec.push_back(it->path());
  }
  if (error) return Status::invalid(files.dir.string() + ": " + error.message());
  if (!files.gcda.empty() && !files.exec.empty()) {
    return Status::invalid(files.dir.string() + ": holds both .gcda and .exec files; one run, one kind of coverage");
  }
  return files;
}

}  // namespace

Result<std::optional<CoveragePoints>> read_run_coverage(const fs::path& run_dir) {
  auto files = find_coverage_files(run_dir);
  if (!files) return files.status();
  if (!files->gcda.empty()) {
    auto gcov = read_gcov(files->dir, files->gcda);
    if (!gcov) return gcov.status();
    return std::optional<CoveragePoints>(std::move(gcov).value());
  }
  if (files->exec.empty()) return std::optional<CoveragePoints>();
  auto jacoco = read_jacoco({files->exec});
  if (!jacoco) return jacoco.status();
  if (!jacoco->front()) return jacoco->front().status();
  return std::optional<CoveragePoints>(std::move(jacoco->front()).value());
}

nlohmann::json coverage_points_json(const CoveragePoints& points) {
  return {{"tool", points.tool}, {"coverage_pattern", coverage_pattern(points)}, {"lines", points.lines},
          {"branches", points.branches}};
}

CoverageAnalysis analyze_coverage(const Storage& storage) {
  CoverageAnalysis analysis;
  const auto runs = storage.runs();
  // Each run's points (nullopt: no coverage), read first: all JaCoCo runs at once.
  std::vector<Result<std::optional<CoveragePoints>>> points(runs.size(), std::optional<CoveragePoints>());
  std::vector<std::size_t> jacoco_runs;
  std::vector<std::vector<fs::path>> jacoco_groups;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    auto files = find_coverage_files(runs[i].dir);
    if (!files) {
      points[i] = files.status();
    } else if (!files->gcda.empty()) {
      auto gcov = read_gcov(files->dir, files->gcda);
      points[i] = gcov ? Result<std::optional<CoveragePoints>>(std::move(gcov).value())
                       : Result<std::optional<CoveragePoints>>(gcov.status());
    } else if (!files->exec.empty()) {
      jacoco_runs.push_back(i);
      jacoco_groups.push_back(files->exec);
    }
  }
  if (!jacoco_groups.empty()) {
    auto read = read_jacoco(jacoco_groups);
    for (std::size_t k = 0; k < jacoco_runs.size(); ++k) {
      auto& slot = points[jacoco_runs[k]];
      if (!read) {
        slot = read.status();
      } else if (!(*read)[k]) {
        slot = (*read)[k].status();
      } else {
        slot = std::optional<CoveragePoints>(std::move((*read)[k]).value());
      }
    }
  }

  std::set<std::string> patterns;
  std::set<std::string> lines_seen;
  std::set<std::string> branches_seen;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    CoverageAnalysis::Row row;
    row.id = runs[i].id();
    if (!points[i]) {
      row.error = points[i].status().message();
    } else if (*points[i]) {
      const CoveragePoints& p = **points[i];
      row.tool = p.tool;
      row.pattern = coverage_pattern(p);
      row.lines = p.lines.size();
      row.branches = p.branches.size();
      for (const auto& line : p.lines) row.new_lines += lines_seen.insert(line).second ? 1 : 0;
      for (const auto& branch : p.branches) row.new_branches += branches_seen.insert(branch).second ? 1 : 0;
      row.new_pattern = patterns.insert(row.pattern).second;
      ++analysis.runs_with_coverage;
      if (row.new_branches > 0) ++analysis.new_branch_runs;
      if (auto status = write_file_atomically(runs[i].dir / "coverage.json", coverage_record(row).dump(1, '\t') + "\n");
          !status) {
        row.error = status.message();
      }
    }
    analysis.rows.push_back(std::move(row));
  }
  analysis.distinct_patterns = patterns.size();
  analysis.lines = lines_seen.size();
  analysis.branches = branches_seen.size();
  return analysis;
}

std::string coverage_text(const CoverageAnalysis& a) {
  std::ostringstream out;
  out << "runs with coverage:          " << a.runs_with_coverage << " of " << a.rows.size() << "\n"
      << "distinct execution patterns: " << a.distinct_patterns << "\n"
      << "runs that covered new branches: " << a.new_branch_runs << "\n"
      << "covered by any run:          " << a.lines << " lines, " << a.branches << " branches\n"
      << "per run (pattern, lines, branches, new lines, new branches):\n";
  for (const auto& row : a.rows) {
    out << "  " << row.id << "  ";
    if (!row.error.empty()) {
      out << "error: " << row.error << "\n";
    } else if (row.pattern.empty()) {
      out << "no coverage\n";
    } else {
      out << row.pattern << (row.new_pattern ? " new" : "    ") << "  " << row.tool << "  " << row.lines << " "
          << row.branches << " +" << row.new_lines << " +" << row.new_branches << "\n";
    }
  }
  return out.str();
}

nlohmann::json coverage_json(const CoverageAnalysis& a) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& row : a.rows) {
    nlohmann::json r{{"id", row.id}};
    if (!row.error.empty()) r["error"] = row.error;
    if (!row.pattern.empty()) r.update(coverage_record(row));
    runs.push_back(std::move(r));
  }
  return {{"runs", a.rows.size()},
          {"runs_with_coverage", a.runs_with_coverage},
          {"distinct_patterns", a.distinct_patterns},
          {"new_branch_runs", a.new_branch_runs},
          {"covered_lines", a.lines},
          {"covered_branches", a.branches},
          {"per_run", runs}};
}

}  // namespace nmz::core::experiment
