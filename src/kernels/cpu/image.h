#pragma once
// Image decoders (libpng, libjpeg-turbo) into uint8 [3, H, W] RGB tensors, for
// vision::io::read_image (src/vision/io.cpp). The pixel bytes live here: the decoders write rows
// of an [H, W, 3] tensor that becomes [3, H, W]. Errors are nabla::Errors naming the file
// (io::fail_at); libpng's and libjpeg's longjmp error paths end in the functions that called
// setjmp, which own no C++ objects (Note [Decoder error paths], image.cpp).
#include <cstddef>
#include <cstdint>
#include <string>

#include "nabla/tensor.h"

namespace nabla::kernels {

/// Whether the bytes start with the PNG signature / a JPEG SOI marker.
bool is_png(const uint8_t* data, size_t size);
bool is_jpeg(const uint8_t* data, size_t size);
/// The PNG / JPEG in data[0, size) as uint8 [3, H, W]; images of more than max_pixels pixels
/// are refused before any pixel memory is allocated.
Tensor decode_png_rgb(const uint8_t* data, size_t size, const std::string& path, int64_t max_pixels);
Tensor decode_jpeg_rgb(const uint8_t* data, size_t size, const std::string& path, int64_t max_pixels);

}  // namespace nabla::kernels
