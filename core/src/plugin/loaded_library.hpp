// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include <boost/dll/shared_library.hpp>

#include <nmz/sdk/abi.hpp>

namespace nmz::core {

// One loaded .so, shared by everything it produced. dlclose happens in the
// destructor of `library`, so every object made by the plugin holds a
// shared_ptr to this.
struct LoadedLibrary {
  std::filesystem::path path;
  boost::dll::shared_library library;
  const sdk::PluginInfo* info = nullptr;  // points into the library's data
};

// A component instance together with the library its code lives in. The
// library is declared first so that it is destroyed last: the object's
// destructor is plugin code.
template <class T>
struct PluginObject {
  std::shared_ptr<const LoadedLibrary> library;
  std::unique_ptr<T> object;
  std::string name;  // the component's registered name

  T* operator->() const noexcept { return object.get(); }
  T& operator*() const noexcept { return *object; }
  explicit operator bool() const noexcept { return object != nullptr; }
};

}  // namespace nmz::core
