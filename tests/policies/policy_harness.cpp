// SPDX-License-Identifier: Apache-2.0
#include "policy_harness.hpp"

#include <cstdlib>
#include <stdexcept>

namespace nmz::test {

void RecordingSink::emit(sdk::Action action) noexcept {
  {
    std::lock_guard lock(mutex_);
    emitted_.push_back(Emitted{std::move(action), Clock::now()});
  }
  changed_.notify_all();
}

bool RecordingSink::wait_for(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return emitted_.size() >= count; });
}

std::vector<Emitted> RecordingSink::emitted() const {
  std::lock_guard lock(mutex_);
  return emitted_;
}

std::size_t RecordingSink::size() const {
  std::lock_guard lock(mutex_);
  return emitted_.size();
}

void RecordingLogger::write(sdk::LogLevel level, std::string_view message) noexcept {
  std::lock_guard lock(mutex_);
  lines_.emplace_back(level, std::string(message));
}

bool RecordingLogger::enabled(sdk::LogLevel level) const noexcept { return debug_ || level != sdk::LogLevel::debug; }

std::vector<std::string> RecordingLogger::lines(sdk::LogLevel level) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [l, text] : lines_) {
    if (l == level) out.push_back(text);
  }
  return out;
}

TestContext::TestContext(std::string name, std::unique_ptr<sdk::ConfigView> options, std::uint64_t seed,
                         std::string seed_text, bool debug)
    : name_(std::move(name)), logger_(debug), options_(std::move(options)), seed_(seed),
      seed_text_(std::move(seed_text)) {}

namespace {

// The built plugins, loaded once per test process: a library stays loaded
// for as long as its host lives.
core::PluginHost& plugin_host() {
  static core::PluginHost host;
  static const bool loaded = [] {
    const char* root = std::getenv("NMZ_BUILD_ROOT");
    if (root == nullptr) throw std::runtime_error("NMZ_BUILD_ROOT is not set (run through meson test)");
    for (const char* name : {"dumb", "random", "replayable", "explore"}) {
      auto path = std::string(root) + "/plugins/" + name + "/nmz-" + name + ".so";
      if (auto status = host.load_file(path); !status) throw std::runtime_error(status.message());
    }
    return true;
  }();
  (void)loaded;
  return host;
}

}  // namespace

PolicyUnderTest::PolicyUnderTest(const std::string& policy, const std::string& params, PolicyOptions options) {
  auto config = core::parse_config("explorePolicy = \"" + policy + "\"\n[explorePolicyParam]\n" + params, "test.toml");
  if (!config) {
    configured_ = config.status();
    return;
  }
  config_ = std::move(*config);
  context_ = std::make_unique<TestContext>(policy, core::TomlConfigView::for_policy(config_), options.seed,
                                           options.seed_text, options.debug);
  auto created = plugin_host().create_policy(policy);
  if (!created) {
    configured_ = created.status();
    return;
  }
  policy_ = std::move(*created);
  configured_ = policy_->configure(*context_);
}

PolicyUnderTest::~PolicyUnderTest() { stop(); }

void PolicyUnderTest::start() {
  if (!configured_) throw std::logic_error("policy not configured: " + configured_.message());
  if (auto status = policy_->start(sink_); !status) throw std::runtime_error(status.message());
  started_ = true;
}

void PolicyUnderTest::queue(sdk::Event event) {
  {
    std::lock_guard lock(queued_mutex_);
    queued_at_[event.uuid] = Clock::now();
  }
  policy_->queue_event(std::move(event));
}

void PolicyUnderTest::stop() {
  if (started_ && !stopped_) policy_->stop();
  stopped_ = true;
}

Clock::time_point PolicyUnderTest::queued_at(const std::string& event_uuid) const {
  std::lock_guard lock(queued_mutex_);
  return queued_at_.at(event_uuid);
}

std::vector<Decision> decisions(const TestContext& context) {
  std::vector<Decision> out;
  for (const auto& line : context.recorded().lines(sdk::LogLevel::debug)) {
    // "<EventClass> <uuid> from <entity> -> <ActionClass> <option> after <n>ns"
    auto arrow = line.find(" -> ");
    auto after = line.rfind(" after ");
    if (arrow == std::string::npos || after == std::string::npos) continue;
    Decision d;
    auto head = line.substr(0, arrow);
    auto first_space = head.find(' ');
    auto from = head.find(" from ");
    d.event_class = head.substr(0, first_space);
    d.event_uuid = head.substr(first_space + 1, from - first_space - 1);
    d.entity = head.substr(from + 6);
    auto body = line.substr(arrow + 4, after - arrow - 4);
    auto space = body.find(' ');
    d.action_class = body.substr(0, space);
    d.action_option = body.substr(space + 1);
    d.delay = std::chrono::nanoseconds(std::stoll(line.substr(after + 7)));
    out.push_back(std::move(d));
  }
  return out;
}

sdk::Event numbered(sdk::Event event, int n) {
  event.uuid = "e-" + std::to_string(n);
  return event;
}

}  // namespace nmz::test
