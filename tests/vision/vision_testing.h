#pragma once
// Shared by tests/vision: a temporary directory per test program, and calls into the
// torchvision helpers of tests/vision/vision_ref.py through the oracle process.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/testing.h"

namespace nabla::vision_testing {

/// A fresh directory for this test program's files (removed at exit).
inline const std::string& temp_dir() {
  struct Dir {
    std::string path;
    Dir() {
      path = (std::filesystem::temp_directory_path() / ("nabla-vision-test-" + std::to_string(getpid()))).string();
      std::filesystem::remove_all(path);
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static Dir dir;
  return dir.path;
}

/// Runs Python statements with vision_ref imported (they assign `out`).
inline oracle::Result run_ref(const std::string& code, const oracle::Inputs& inputs = {}) {
  return oracle::run(std::string("import sys\nif '") + NABLA_VISION_TEST_DIR +
                         "' not in sys.path: sys.path.insert(0, '" + NABLA_VISION_TEST_DIR +
                         "')\nimport vision_ref\nimport torchvision\n" + code,
                     inputs);
}

/// A Python string literal of s (paths in the generated code).
inline std::string py_str(const std::string& s) { return "'" + s + "'"; }

}  // namespace nabla::vision_testing
