// SPDX-License-Identifier: Apache-2.0
#include "replay_command.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

namespace nmz::native {
namespace {

// "-x=v" -> "x", "--x" -> "x"; "" for an argument that is not a flag.
std::string_view flag_name(std::string_view arg) {
  if (arg.size() < 2 || arg[0] != '-' || arg == "--") return {};
  arg.remove_prefix(arg[1] == '-' ? 2 : 1);
  return arg.substr(0, arg.find('='));
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::vector<std::string> replay_arguments(const std::vector<std::string>& argv, std::size_t first_flag,
                                          const ReplayEdit& edit) {
  std::vector<std::string> out(argv.begin(), argv.begin() + static_cast<std::ptrdiff_t>(std::min(first_flag, argv.size())));
  std::size_t i = first_flag;
  while (i < argv.size()) {
    const std::string& arg = argv[i];
    std::string_view name = flag_name(arg);
    if (name.empty()) break;  // "--" or the command
    bool has_value = arg.find('=') != std::string::npos;
    bool boolean = listed(edit.drop_boolean, name) || listed(edit.keep_boolean, name);
    std::size_t width = has_value || boolean || i + 1 >= argv.size() ? 1 : 2;
    if (!listed(edit.drop_with_value, name) && !listed(edit.drop_boolean, name)) {
      out.insert(out.end(), argv.begin() + static_cast<std::ptrdiff_t>(i),
                 argv.begin() + static_cast<std::ptrdiff_t>(i + width));
    }
    i += width;
  }
  out.insert(out.end(), edit.add.begin(), edit.add.end());
  out.insert(out.end(), argv.begin() + static_cast<std::ptrdiff_t>(std::min(i, argv.size())), argv.end());
  return out;
}

std::string shell_quote(const std::string& word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  std::size_t start = 0;
  while (start < all.size()) {
    std::size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    argv.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!argv.empty() && !ec) argv[0] = exe.string();
  return argv;
}

}  // namespace nmz::native
