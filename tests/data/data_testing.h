#pragma once
// Helpers of the data tests: a temporary directory, raw file bytes, truncation fuzzing.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "support/testing.h"

namespace nabla::testing {

/// A fresh directory under /tmp, removed with its content at the end of the scope.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/nabla_data_test_XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// path/name
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// Writes every proper prefix of `bytes` to `path` and expects `read(path)` to throw a
/// nabla::Error naming the file (never crash, never succeed).
inline void expect_every_prefix_rejected(const std::vector<uint8_t>& bytes, const std::string& path,
                                         const std::function<void(const std::string&)>& read) {
  for (size_t n = 0; n < bytes.size(); ++n) {
    write_bytes(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
    try {
      read(path);
      ADD_FAILURE() << "a prefix of " << n << " of " << bytes.size() << " bytes was accepted";
    } catch (const nabla::Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

/// The file's bytes as a Python bytes literal's hex: bytes.fromhex('<hex>').
inline std::string hex(const std::vector<uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

}  // namespace nabla::testing
