// Fuzzes nabla::data::read_npy.
#include <nabla/data/npy.h>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = nabla::fuzz::write_input(data, size, ".npy");
  nabla::fuzz::expect_only_nabla_errors([&] { (void)nabla::data::read_npy(path).sum(); });
  return 0;
}
