#include "nabla/warning.h"

#include <iostream>
#include <mutex>
#include <set>

namespace nabla {

namespace {
std::mutex g_mutex;
WarningHandler g_handler;

void default_handler(const std::string& m) {
  static std::set<std::string> seen;
  if (seen.insert(m).second) std::cerr << "UserWarning: " << m << "\n";
}
}  // namespace

WarningHandler set_warning_handler(WarningHandler handler) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::swap(g_handler, handler);
  return handler;
}

void warn(const std::string& message) {
  WarningHandler h;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    h = g_handler;
  }
  if (h) {
    h(message);
  } else {
    std::lock_guard<std::mutex> lock(g_mutex);
    default_handler(message);
  }
}

}  // namespace nabla
