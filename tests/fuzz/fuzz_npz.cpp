// Fuzzes nabla::data::read_npz (zip archives of .npy members, stored or deflated).
#include <nabla/data/npy.h>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = nabla::fuzz::write_input(data, size, ".npz");
  nabla::fuzz::expect_only_nabla_errors([&] {
    for (auto& [name, t] : nabla::data::read_npz(path)) (void)t.sum();
  });
  return 0;
}
