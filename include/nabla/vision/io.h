#pragma once
/// Image files as tensors, as torchvision.io.read_image(path, ImageReadMode.RGB): PNG (libpng) and JPEG
/// (libjpeg-turbo).
///   Tensor img = nabla::vision::io::read_image("cat.jpg");   // uint8 [3, H, W], RGB
/// Grayscale images are replicated into the three channels, palettes expanded, alpha (and tRNS
/// transparency) dropped, as torchvision's RGB mode does. Files are untrusted: a malformed,
/// truncated or unsupported file gives a nabla::Error naming the file and what is wrong, e.g.
///   invalid PNG file 'x.png' at byte offset 33: IHDR: CRC error
///   invalid JPEG file 'x.jpg' at byte offset 2051: the file ends after 2051 bytes, before the image is complete
///   cannot read image file 'x.gif': Unsupported image file. Only jpeg and png are currently supported.
/// 16-bit PNGs are refused as torchvision 0.14 refuses them ("At most 8-bit PNG images are
/// supported currently."), and so are images of more than kMaxImagePixels pixels.
#include <cstdint>
#include <string>

#include "nabla/tensor.h"

namespace nabla::vision::io {

/// The most pixels (width * height) read_image decodes: 2^27 = 134,217,728 (e.g. 16384 x 8192;
/// 384 MiB as RGB), which bounds what a small hostile file can make the decoders allocate. PIL's
/// decompression-bomb limit, for comparison, is 178,956,970.
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 27;

/// The PNG or JPEG image in the file (told apart by their signatures, not by the file name)
/// as a uint8 tensor [3, H, W] in RGB order.
Tensor read_image(const std::string& path);

}  // namespace nabla::vision::io
