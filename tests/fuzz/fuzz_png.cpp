// Fuzzes nabla::vision::io::read_image on PNG (libpng: chunks, interlacing, palettes, bit depths);
// the seed corpus holds small valid files PIL wrote. read_image tells the formats apart by
// their signatures, so mutations of the signature reach the "unsupported image file" path.
#include <nabla/vision/io.h>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = nabla::fuzz::write_input(data, size, ".png");
  nabla::fuzz::expect_only_nabla_errors([&] { (void)nabla::vision::io::read_image(path).sum(); });
  return 0;
}
