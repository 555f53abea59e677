// SPDX-License-Identifier: Apache-2.0
#include <condition_variable>
#include <iostream>
#include <mutex>

#include "cli/commands.hpp"
#include "util/signal_watcher.hpp"
#include "cli/verb_flags.hpp"
#include "config/config.hpp"
#include "log/logging.hpp"
#include "orchestrator/orchestrator_session.hpp"
#include "pb/pb_endpoint.hpp"
#include "plugin/config_warnings.hpp"
#include "plugin/plugin_loading.hpp"
#include "rest/rest_endpoint.hpp"

namespace nmz::core::cli {

int command_orchestrator(const std::vector<std::string>& args) {
  init_logging();
  if (args.size() > 1 || asks_for_help(args)) {
    const bool help = asks_for_help(args);
    (help ? std::cout : std::cerr) << "usage: nmz orchestrator [config.toml]\n"
                                      "Serves REST (config restPort; 10080 without a file) until SIGINT/SIGTERM.\n";
    return help ? 0 : 2;
  }
  // Without a file, Namazu listens for REST on 10080.
  auto config = args.empty() ? parse_config("restPort = 10080", "<defaults>") : load_config(args[0]);
  if (!config) {
    std::cerr << "nmz orchestrator: " << config.status().message() << "\n";
    return 2;
  }
  PluginHost host;
  load_plugins(host, *config);
  (void)report_config_warnings(*config, host, /*strict=*/false);

  std::mutex mutex;
  std::condition_variable interrupted;
  bool stop = false;
  SignalWatcher signals([&](int) {
    std::lock_guard lock(mutex);
    stop = true;
    interrupted.notify_all();
  });
  auto session = start_orchestrator(host, *config, /*collect_trace=*/false);
  if (!session) {
    std::cerr << "nmz orchestrator: " << session.status().message() << "\n";
    return 2;
  }
  auto endpoint = rest::start_rest_endpoint(*(*session)->orchestrator, *config);
  if (!endpoint) {
    std::cerr << "nmz orchestrator: " << endpoint.status().message() << "\n";
    return 2;
  }
  auto pb_endpoint = pb::start_pb_endpoint(*(*session)->orchestrator, *config);
  if (!pb_endpoint) {
    (*session)->orchestrator->stop();
    std::cerr << "nmz orchestrator: " << pb_endpoint.status().message() << "\n";
    return 2;
  }
  named_logger("nmz")->info("orchestrator running; stop it with Ctrl-C");
  std::unique_lock lock(mutex);
  interrupted.wait(lock, [&] { return stop; });
  (*session)->orchestrator->stop();
  return 0;
}

}  // namespace nmz::core::cli
