// vision::io::read_image (include/nabla/vision/io.h): the file's bytes, told apart by signature,
// decoded by kernels/cpu/image.cpp.
#include "nabla/vision/io.h"

#include <vector>

#include "io/bytes.h"
#include "kernels/cpu/image.h"

namespace nabla::vision::io {

Tensor read_image(const std::string& path) {
  return nabla::io::guard_reader("image", path, [&] {
    const std::vector<uint8_t> bytes = nabla::io::read_file(path);
    if (kernels::is_png(bytes.data(), bytes.size()))
      return kernels::decode_png_rgb(bytes.data(), bytes.size(), path, kMaxImagePixels);
    if (kernels::is_jpeg(bytes.data(), bytes.size()))
      return kernels::decode_jpeg_rgb(bytes.data(), bytes.size(), path, kMaxImagePixels);
    throw Error(::nabla::detail::str("cannot read image file '", path,
                                     "': Unsupported image file. Only jpeg and png are currently supported."));
  });
}

}  // namespace nabla::vision::io
