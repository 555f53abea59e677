// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/plugin.hpp>

#include "components.hpp"

namespace {

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("mypolicy", &make_my_policy,
                               "template policy: holds every event `holdFor`, then its default action");
  registrar.add_inspector("syslog", &make_syslog_inspector,
                          "template inspector: each line received on a UDP port becomes a LogEvent");
}

}  // namespace

NMZ_PLUGIN("template", "0.1.0", "nmz plugin template: a policy and an inspector", register_components)
