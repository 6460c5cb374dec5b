// Fuzzes nabla::load (safetensors) and nabla::load_metadata.
#include <nabla/serialize.h>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = nabla::fuzz::write_input(data, size, ".safetensors");
  nabla::fuzz::expect_only_nabla_errors([&] {
    auto tensors = nabla::load(path);
    for (auto& [name, t] : tensors) (void)t.sum();  // every element is readable
  });
  nabla::fuzz::expect_only_nabla_errors([&] { (void)nabla::load_metadata(path); });
  return 0;
}
