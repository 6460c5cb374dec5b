// Fuzzes nabla::pickle_load (torch.save's zip archives and legacy files, and the unpickler):
// the loaded value is walked and printed, so every tensor it holds is read.
#include <nabla/serialize.h>

#include <sstream>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<char> bytes(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + size);
  nabla::fuzz::expect_only_nabla_errors([&] {
    std::ostringstream out;
    out << nabla::pickle_load(bytes);
  });
  return 0;
}
