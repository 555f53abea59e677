// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/flags.hpp>

#include <charconv>
#include <set>
#include <variant>

#include <nmz/sdk/duration.hpp>

namespace nmz::sdk {
namespace {

using Target = std::variant<std::string*, std::int64_t*, double*, bool*, std::chrono::nanoseconds*,
                            std::vector<std::string>*>;

struct Flag {
  std::string name;
  Target target;
  std::string help;
  std::string default_text;
};

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

struct FlagSet::Impl {
  std::string command;
  std::vector<Flag> flags;
  std::vector<std::string> positionals;
  std::set<std::string, std::less<>> set_names;
  bool double_dash = false;

  Flag* find(std::string_view name) {
    for (auto& f : flags) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }

  Status error(const Flag& flag, const std::string& what) const {
    return Status::invalid(command + ": flag -" + flag.name + ": " + what);
  }

  Status assign(Flag& flag, const std::string& value) {
    return std::visit(
        [&](auto* target) -> Status {
          using T = std::remove_pointer_t<decltype(target)>;
          if constexpr (std::is_same_v<T, std::string>) {
            *target = value;
          } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            target->push_back(value);
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            std::int64_t parsed = 0;
            auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
            if (ec != std::errc() || end != value.data() + value.size()) {
              return error(flag, "expected an integer, got " + quote(value));
            }
            *target = parsed;
          } else if constexpr (std::is_same_v<T, double>) {
            char* end = nullptr;
            double parsed = std::strtod(value.c_str(), &end);
            if (value.empty() || end != value.c_str() + value.size()) {
              return error(flag, "expected a number, got " + quote(value));
            }
            *target = parsed;
          } else if constexpr (std::is_same_v<T, bool>) {
            if (value == "true" || value == "1" || value == "t" || value == "TRUE" || value == "True") {
              *target = true;
            } else if (value == "false" || value == "0" || value == "f" || value == "FALSE" || value == "False") {
              *target = false;
            } else {
              return error(flag, "expected true or false, got " + quote(value));
            }
          } else {
            auto parsed = parse_duration(value);
            if (!parsed) return error(flag, parsed.status().message());
            *target = *parsed;
          }
          return Status::ok();
        },
        flag.target);
  }
};

FlagSet::FlagSet(std::string command_name) : impl_(std::make_unique<Impl>()) {
  impl_->command = std::move(command_name);
}
FlagSet::~FlagSet() = default;

void FlagSet::add_string(std::string name, std::string* target, std::string help) {
  impl_->flags.push_back({std::move(name), target, std::move(help), target->empty() ? "" : quote(*target)});
}
void FlagSet::add_int(std::string name, std::int64_t* target, std::string help) {
  impl_->flags.push_back({std::move(name), target, std::move(help), std::to_string(*target)});
}
void FlagSet::add_double(std::string name, double* target, std::string help) {
  impl_->flags.push_back({std::move(name), target, std::move(help), std::to_string(*target)});
}
void FlagSet::add_bool(std::string name, bool* target, std::string help) {
  impl_->flags.push_back({std::move(name), target, std::move(help), *target ? "true" : "false"});
}
void FlagSet::add_duration(std::string name, std::chrono::nanoseconds* target, std::string help) {
  impl_->flags.push_back({std::move(name), target, std::move(help), format_duration(*target)});
}
void FlagSet::add_string_list(std::string name, std::vector<std::string>* target, std::string help) {
  std::string items;
  for (const auto& item : *target) items += (items.empty() ? "" : " ") + quote(item);
  impl_->flags.push_back({std::move(name), target, std::move(help), std::move(items)});
}

Status FlagSet::parse(const std::vector<std::string>& args) {
  impl_->positionals.clear();
  impl_->double_dash = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      impl_->double_dash = true;
      impl_->positionals.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      return Status::ok();
    }
    if (arg.size() < 2 || arg[0] != '-') {
      impl_->positionals.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      return Status::ok();
    }
    std::string_view body = std::string_view(arg).substr(arg[1] == '-' ? 2 : 1);
    std::string_view name = body;
    std::optional<std::string> inline_value;
    if (auto eq = body.find('='); eq != std::string_view::npos) {
      name = body.substr(0, eq);
      inline_value = std::string(body.substr(eq + 1));
    }
    Flag* flag = impl_->find(name);
    if (flag == nullptr && (name == "h" || name == "help")) {
      return Status::invalid("usage: " + impl_->command + " [flags]\n" + usage());
    }
    if (flag == nullptr) return Status::invalid(impl_->command + ": unknown flag -" + std::string(name));
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (std::holds_alternative<bool*>(flag->target)) {
      value = "true";
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return impl_->error(*flag, "needs a value");
    }
    if (auto status = impl_->assign(*flag, value); !status) return status;
    impl_->set_names.insert(flag->name);
  }
  return Status::ok();
}

const std::vector<std::string>& FlagSet::positionals() const noexcept { return impl_->positionals; }
bool FlagSet::saw_double_dash() const noexcept { return impl_->double_dash; }
bool FlagSet::was_set(std::string_view name) const noexcept { return impl_->set_names.count(name) > 0; }

std::string FlagSet::usage() const {
  std::string out;
  for (const auto& f : impl_->flags) {
    bool is_bool = std::holds_alternative<bool*>(f.target);
    // Like Go's flag package, an empty default is not shown.
    out += "  -" + f.name + (is_bool ? "" : " value") + "\n        " + f.help +
           (f.default_text.empty() ? "" : " (default " + f.default_text + ")") + "\n";
  }
  return out;
}

}  // namespace nmz::sdk
