// Fuzzes nabla::data::read_idx, raw and gzip'd (the gzip magic decides; the seed corpus has both).
#include <nabla/data/idx.h>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = nabla::fuzz::write_input(data, size, ".idx");
  nabla::fuzz::expect_only_nabla_errors([&] { (void)nabla::data::read_idx(path).sum(); });
  return 0;
}
