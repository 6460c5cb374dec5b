#pragma once
// Shared by the fuzz targets (libFuzzer, tests/fuzz): each target writes the fuzzer's bytes to
// a file, hands it to one reader, and lets only nabla::Error pass — any other exception, a
// crash or a sanitizer report is a failure that libFuzzer saves as a reproducer.
#include <nabla/error.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace nabla::fuzz {

/// A file in the temporary directory holding `size` bytes; one per process and suffix.
inline const std::string& write_input(const uint8_t* data, size_t size, const std::string& suffix) {
  static std::string path;
  const char* dir = std::getenv("TMPDIR");
  path = std::string(dir && *dir ? dir : "/tmp") + "/nabla-fuzz-" + std::to_string(getpid()) + suffix;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) __builtin_trap();
  if (size > 0 && std::fwrite(data, 1, size, f) != size) __builtin_trap();
  std::fclose(f);
  return path;
}

/// Runs fn; a nabla::Error is the expected answer to a bad file and is swallowed.
template <typename F>
void expect_only_nabla_errors(F&& fn) {
  try {
    fn();
  } catch (const nabla::Error&) {
  }
}

}  // namespace nabla::fuzz
