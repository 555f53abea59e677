// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>

#include <iostream>

#include "cli/commands.hpp"
#include "util/signal_watcher.hpp"
#include "cli/verb_flags.hpp"
#include "config/config.hpp"
#include "container/container_run.hpp"
#include "container/engine_client.hpp"
#include "container/run_options.hpp"
#include "log/logging.hpp"
#include "plugin/config_warnings.hpp"
#include "plugin/plugin_loading.hpp"

namespace nmz::core::cli {
namespace {

// docker run's convention: 125 when the failure is nmz's (flags, engine,
// image), so that it cannot be mistaken for the container's own status.
constexpr int kOwnFailure = 125;

int fail(const std::string& message) {
  std::cerr << "nmz container run: " << message << "\n";
  return kOwnFailure;
}

const char* container_usage() {
  return "usage: nmz container run [OPTIONS] IMAGE CMD [ARG...]\n"
         "Run `nmz container run --help` for the options.\n";
}

}  // namespace

int command_container(const std::vector<std::string>& args) {
  if (args.empty() || asks_for_help({args[0]}) || args[0] == "help") {
    std::cout << container_usage();
    return 0;
  }
  if (args[0] != "run") {
    std::cerr << "nmz container: '" << args[0] << "' is not a nmz container command (the only one is run)\n"
              << container_usage();
    return 2;
  }
  auto options = container::parse_run_options(std::vector<std::string>(args.begin() + 1, args.end()));
  if (!options) return fail(options.status().message());
  if (options->help) {
    std::cout << container::run_usage();
    return 0;
  }
  init_logging();
  auto config = options->autopilot.empty() ? parse_config("", "<defaults>") : load_config(options->autopilot);
  if (!config) return fail("--nmz-autopilot: " + config.status().message());

  auto socket = container::engine_socket_from_environment();
  if (!socket) return fail(socket.status().message());
  container::EngineClient engine(*socket);
  if (auto version = engine.version(); !version) return fail(version.status().message());
  if (auto image = engine.inspect_image(options->image); !image) {
    if (image.status().code() != sdk::StatusCode::not_found) return fail(image.status().message());
    return fail("image \"" + options->image + "\" is not in the engine at " + *socket +
                " (nmz never pulls): get it with `docker pull " + options->image + "` or `podman pull " +
                options->image + "`, or offline from a root file system tarball with `podman import ROOTFS.tar " +
                options->image + "` (`docker import` for Docker)");
  }

  container::block_window_changes();  // before the first thread
  PluginHost host;  // before everything that holds plugin objects
  load_plugins(host, *config);
  (void)report_config_warnings(*config, host, /*strict=*/false);
  container::ContainerRun run(engine, *options, *config, host);
  SignalWatcher signals([&run](int signal_number) {
    static int count = 0;
    if (++count >= 3) _exit(128 + signal_number);  // the user insists: do not wait for cleanup
    run.on_signal(signal_number);
  });
  auto status = run.execute();
  if (!status) return fail(status.status().message());
  return *status;
}

}  // namespace nmz::core::cli
