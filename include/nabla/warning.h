#pragma once
/// Warnings (PyTorch's UserWarning): printed to stderr once per message by default;
/// tests and applications can install their own handler.
///   nabla::set_warning_handler([](const std::string& m) { log(m); });
#include <functional>
#include <string>

namespace nabla {

using WarningHandler = std::function<void(const std::string&)>;
/// Installs a handler; returns the previous one. An empty handler restores the default.
WarningHandler set_warning_handler(WarningHandler handler);
void warn(const std::string& message);

}  // namespace nabla
