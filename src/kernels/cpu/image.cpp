// PNG and JPEG decoding (kernels/cpu/image.h).
//
// Note [Decoder error paths]: libpng and libjpeg report errors by calling a handler that must
// not return; ours record the message and longjmp back to a setjmp. A longjmp skips the
// destructors of every frame it leaves, so each setjmp sits in a small function (png_header,
// png_pixels, jpeg_header, jpeg_pixels) that owns nothing with a destructor and only calls into
// the C library; the C++ function around it owns the decoder structs (released by a guard, on
// success and on error alike) and the output tensor, and turns a failure into a nabla::Error
// naming the file and the byte offset the decoder had reached. Warnings are ignored, except
// libjpeg's "premature end of file", which would otherwise silently give gray rows: a
// truncated image is an error.
#include "kernels/cpu/image.h"

#include <png.h>
#include <stdio.h>

// jpeglib.h needs FILE and size_t declared before it (stdio.h above).
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <cstring>
#include <vector>

#include "io/bytes.h"
#include "nabla/functions.h"

namespace nabla::kernels {

namespace {

[[noreturn]] void too_many_pixels(const char* kind, const std::string& path, uint64_t width, uint64_t height,
                                  int64_t max_pixels) {
  throw Error(::nabla::detail::str("cannot read ", kind, " file '", path, "': the image is ", width, " x ", height,
                                   " pixels, more than the ", max_pixels, " that read_image decodes"));
}

std::string ends_early(size_t size) {
  return ::nabla::detail::str("the file ends after ", size, " bytes, before the image is complete");
}

// [H, W, 3] rows -> [3, H, W].
Tensor to_chw(const Tensor& hwc) { return hwc.permute({2, 0, 1}).contiguous(); }

// ---- PNG --------------------------------------------------------------------------------------

struct PngSource {
  const uint8_t* data;
  size_t size;
  size_t pos;
  bool truncated;
  char message[256];
};

void png_read_bytes(png_structp png, png_bytep out, size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->size - src->pos) {
    src->truncated = true;
    png_error(png, "truncated");
  }
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

void png_on_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->message, sizeof src->message, "%s", message);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}

struct PngHeader {
  png_uint_32 width, height;
  int bit_depth, color_type;
};

bool png_header(png_structp png, png_infop info, PngHeader* h) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  int interlace = 0, compression = 0, filter = 0;
  png_get_IHDR(png, info, &h->width, &h->height, &h->bit_depth, &h->color_type, &interlace, &compression, &filter);
  return true;
}

// The transformations of torchvision's ImageReadMode.RGB: palettes and 1/2/4-bit gray expanded
// to 8 bits, gray replicated, alpha and tRNS dropped.
bool png_pixels(png_structp png, png_infop info, const PngHeader* h, png_bytep* rows, size_t* rowbytes) {
  if (setjmp(png_jmpbuf(png))) return false;
  if (h->color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (h->color_type == PNG_COLOR_TYPE_GRAY && h->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if ((h->color_type & PNG_COLOR_MASK_COLOR) == 0) png_set_gray_to_rgb(png);
  if ((h->color_type & PNG_COLOR_MASK_ALPHA) != 0 || png_get_valid(png, info, PNG_INFO_tRNS) != 0)
    png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  *rowbytes = png_get_rowbytes(png, info);
  if (*rowbytes != static_cast<size_t>(h->width) * 3) return true;  // the caller reports the layout
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

struct PngGuard {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngGuard() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

// ---- JPEG -------------------------------------------------------------------------------------

struct JpegErrors {
  jpeg_error_mgr mgr;  // first: libjpeg hands handlers a pointer to it
  std::jmp_buf jump;
  bool truncated;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void jpeg_on_message(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<JpegErrors*>(cinfo->err);
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    err->truncated = true;
    std::longjmp(err->jump, 1);
  }
}

bool jpeg_header(jpeg_decompress_struct* cinfo, JpegErrors* err, const uint8_t* data, size_t size) {
  if (setjmp(err->jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(cinfo, TRUE);
  return true;
}

bool jpeg_pixels(jpeg_decompress_struct* cinfo, JpegErrors* err, uint8_t* out, size_t max_rows) {
  if (setjmp(err->jump)) return false;
  cinfo->out_color_space = JCS_RGB;
  jpeg_start_decompress(cinfo);
  if (cinfo->output_components != 3 || cinfo->output_height != max_rows) return true;  // the caller checks
  const size_t stride = static_cast<size_t>(cinfo->output_width) * 3;
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW row = out + static_cast<size_t>(cinfo->output_scanline) * stride;
    jpeg_read_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_decompress(cinfo);
  return true;
}

struct JpegGuard {
  jpeg_decompress_struct* cinfo;
  ~JpegGuard() { jpeg_destroy_decompress(cinfo); }
};

}  // namespace

bool is_png(const uint8_t* data, size_t size) { return size >= 8 && png_sig_cmp(data, 0, 8) == 0; }

bool is_jpeg(const uint8_t* data, size_t size) {
  return size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

Tensor decode_png_rgb(const uint8_t* data, size_t size, const std::string& path, int64_t max_pixels) {
  PngSource src{data, size, 0, false, {}};
  PngGuard guard;
  guard.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
  NABLA_CHECK(guard.png, "cannot read PNG file '", path, "': libpng could not start (out of memory)");
  guard.info = png_create_info_struct(guard.png);
  NABLA_CHECK(guard.info, "cannot read PNG file '", path, "': libpng could not start (out of memory)");
  png_set_read_fn(guard.png, &src, png_read_bytes);
  auto fail = [&] {
    if (src.truncated) io::fail_at("PNG", path, size, ends_early(size));
    io::fail_at("PNG", path, src.pos, src.message);
  };
  PngHeader h{};
  if (!png_header(guard.png, guard.info, &h)) fail();
  NABLA_CHECK(h.bit_depth <= 8, "cannot read PNG file '", path, "': At most 8-bit PNG images are supported currently.");
  if (uint64_t{h.width} * h.height > static_cast<uint64_t>(max_pixels))
    too_many_pixels("PNG", path, h.width, h.height, max_pixels);
  Tensor hwc = empty({static_cast<int64_t>(h.height), static_cast<int64_t>(h.width), 3}, kByte);
  std::vector<png_bytep> rows(h.height);
  uint8_t* base = hwc.data_ptr<uint8_t>();
  for (size_t y = 0; y < rows.size(); ++y) rows[y] = base + y * size_t{h.width} * 3;
  size_t rowbytes = 0;
  if (!png_pixels(guard.png, guard.info, &h, rows.data(), &rowbytes)) fail();
  if (rowbytes != size_t{h.width} * 3)
    io::fail_at("PNG", path, src.pos,
                ::nabla::detail::str("unsupported layout: color type ", h.color_type, ", bit depth ", h.bit_depth,
                                     " does not give 8-bit RGB rows"));
  return to_chw(hwc);
}

Tensor decode_jpeg_rgb(const uint8_t* data, size_t size, const std::string& path, int64_t max_pixels) {
  jpeg_decompress_struct cinfo{};
  JpegErrors err{};
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_on_error;
  err.mgr.emit_message = jpeg_on_message;
  JpegGuard guard{&cinfo};
  auto fail = [&] {
    if (err.truncated) io::fail_at("JPEG", path, size, ends_early(size));
    // How far libjpeg got: its read pointer, while it points into the file's bytes.
    size_t offset = size;
    if (cinfo.src && cinfo.src->next_input_byte >= data && cinfo.src->next_input_byte <= data + size)
      offset = static_cast<size_t>(cinfo.src->next_input_byte - data);
    io::fail_at("JPEG", path, offset, err.message);
  };
  if (!jpeg_header(&cinfo, &err, data, size)) fail();
  if (uint64_t{cinfo.image_width} * cinfo.image_height > static_cast<uint64_t>(max_pixels))
    too_many_pixels("JPEG", path, cinfo.image_width, cinfo.image_height, max_pixels);
  Tensor hwc = empty({static_cast<int64_t>(cinfo.image_height), static_cast<int64_t>(cinfo.image_width), 3}, kByte);
  if (!jpeg_pixels(&cinfo, &err, hwc.data_ptr<uint8_t>(), cinfo.image_height)) fail();
  if (cinfo.output_components != 3 || cinfo.output_height != cinfo.image_height ||
      cinfo.output_width != cinfo.image_width)
    io::fail_at("JPEG", path, size,
                ::nabla::detail::str("unsupported layout: color space ", static_cast<int>(cinfo.jpeg_color_space),
                                     " does not decode to RGB"));
  return to_chw(hwc);
}

}  // namespace nabla::kernels
