// SPDX-License-Identifier: Apache-2.0
// `test-java-order`: a policy for the java inspector's tests only. Every
// JavaFunctionEvent is accepted at once, except:
//   thread_name == holdThread   -> held until untilThread's second event
//                                  arrives (so its first call has returned
//                                  in the JVM), then accepted in arrival order;
//   function_name == faultFunction -> JavaFunctionFaultAction.
#include <mutex>
#include <string>
#include <vector>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/plugin.hpp>

namespace {

class ThreadOrderPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  nmz::sdk::Status configure(const nmz::sdk::ComponentContext& context) noexcept override {
    const auto& options = context.options();
    for (auto [key, target] : {std::pair{"holdThread", &hold_thread_}, std::pair{"untilThread", &until_thread_},
                               std::pair{"faultFunction", &fault_function_}}) {
      auto value = options.get_string(key);
      if (!value) return value.status();
      *target = value->value_or("");
    }
    return nmz::sdk::Status::ok();
  }

  nmz::sdk::Status start(nmz::sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    return nmz::sdk::Status::ok();
  }

  void queue_event(nmz::sdk::Event event) noexcept override {
    try {
      std::string thread = nmz::sdk::option_string(event.option, "thread_name").value_or("");
      std::string function = nmz::sdk::option_string(event.option, "function_name").value_or("");
      if (!fault_function_.empty() && function == fault_function_) {
        if (auto fault = nmz::sdk::default_fault_action(event)) {
          sink_->emit(std::move(*fault));
          return;
        }
      }
      std::vector<nmz::sdk::Event> released;
      {
        std::lock_guard lock(mutex_);
        if (!until_passed_ && !hold_thread_.empty() && thread == hold_thread_) {
          held_.push_back(std::move(event));
          return;
        }
        if (thread == until_thread_ && ++until_events_ >= 2) {
          until_passed_ = true;
          released.swap(held_);
        }
      }
      sink_->emit(nmz::sdk::default_action(event));
      for (const auto& held : released) sink_->emit(nmz::sdk::default_action(held));
    } catch (...) {
      // Out of memory: the host answers the event when it stops.
    }
  }

  void stop() noexcept override {
    std::vector<nmz::sdk::Event> released;
    {
      std::lock_guard lock(mutex_);
      released.swap(held_);
    }
    for (const auto& held : released) sink_->emit(nmz::sdk::default_action(held));
  }

 private:
  std::string hold_thread_;
  std::string until_thread_;
  std::string fault_function_;
  nmz::sdk::ActionSink* sink_ = nullptr;
  std::mutex mutex_;
  std::vector<nmz::sdk::Event> held_;
  int until_events_ = 0;
  bool until_passed_ = false;
};

void register_components(nmz::sdk::Registrar& registrar) {
  registrar.add_explore_policy("test-java-order", &nmz::sdk::make_policy<ThreadOrderPolicy>,
                               "tests only: holds one Java thread's calls until another's passed; faults one function");
}

}  // namespace

NMZ_PLUGIN("test-java-order", "0.1.0", "java inspector test policy", register_components)
