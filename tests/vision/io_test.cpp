// vision::io::read_image against torchvision.io.read_image(ImageReadMode.RGB) on PNG and JPEG
// files PIL writes (gray, gray+alpha, tRNS, RGB, RGBA, 1-bit, palette, Adam7-interlaced;
// baseline, progressive, subsampled, gray JPEG), and the errors of broken files.
#include <nabla/vision.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "io/bytes.h"
#include "vision/vision_testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::same;
using nabla::vision::io::read_image;
using nabla::vision_testing::py_str;
using nabla::vision_testing::run_ref;
using nabla::vision_testing::temp_dir;

namespace {

std::string images_dir() {
  static const std::string dir = [] {
    std::string d = temp_dir() + "/images";
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

std::vector<uint8_t> bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
  const std::string path = images_dir() + "/" + name;
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

void put_be32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// The images vision_ref.write_images makes, written once per test program.
const std::vector<std::string>& image_names() {
  static const std::vector<std::string> names = [] {
    auto r = run_ref("out = vision_ref.write_images(" + py_str(images_dir()) + ")");
    EXPECT_TRUE(r.ok) << r.error;
    return r.strings;
  }();
  return names;
}

}  // namespace

TEST(ReadImage, MatchesTorchvision) {
  const auto& names = image_names();
  ASSERT_GE(names.size(), 13u);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + py_str(n);
  auto ref = run_ref("out = vision_ref.read_images(" + py_str(images_dir()) + ", [" + list + "])");
  ASSERT_TRUE(ref.ok) << ref.error;
  for (size_t i = 0; i < names.size(); ++i) {
    Tensor img = read_image(images_dir() + "/" + names[i]);
    EXPECT_EQ(img.scalar_type(), kByte) << names[i];
    EXPECT_TRUE(same(img, ref.tensor(i))) << names[i];
  }
}

TEST(ReadImage, BrokenFilesGiveErrorsNamingTheFile) {
  image_names();
  const std::vector<uint8_t> png = bytes_of(images_dir() + "/rgb.png");
  const std::vector<uint8_t> jpg = bytes_of(images_dir() + "/baseline.jpg");
  const std::vector<uint8_t> progressive = bytes_of(images_dir() + "/progressive.jpg");
  ASSERT_GT(png.size(), 100u);
  ASSERT_GT(jpg.size(), 100u);
  auto ends = [](const std::string& kind, const std::string& path, size_t n) {
    return "invalid " + kind + " file '" + path + "' at byte offset " + std::to_string(n) + ": the file ends after " +
           std::to_string(n) + " bytes, before the image is complete";
  };
  // Truncated anywhere: in the signature's wake, inside IHDR, inside the image data, before IEND.
  for (size_t n : {size_t{8}, size_t{20}, size_t{33}, png.size() / 2, png.size() - 12, png.size() - 1}) {
    const std::string path = write("cut.png", {png.begin(), png.begin() + static_cast<std::ptrdiff_t>(n)});
    EXPECT_EQ(error_message([&] { read_image(path); }), ends("PNG", path, n)) << n;
  }
  for (const auto* full : {&jpg, &progressive}) {
    for (size_t n : {size_t{3}, size_t{40}, full->size() / 2, full->size() - 2}) {
      const std::string path = write("cut.jpg", {full->begin(), full->begin() + static_cast<std::ptrdiff_t>(n)});
      EXPECT_EQ(error_message([&] { read_image(path); }), ends("JPEG", path, n)) << n;
    }
  }
  // A damaged header: IHDR's CRC (it ends at byte 8 + 8 + 13 + 4) no longer matches.
  std::vector<uint8_t> bad = png;
  bad[16] ^= 0x01;
  std::string path = write("crc.png", bad);
  EXPECT_EQ(error_message([&] { read_image(path); }),
            "invalid PNG file '" + path + "' at byte offset 33: IHDR: CRC error");
  // Dimensions past the limit (with a valid CRC): refused before any pixel memory.
  bad = png;
  put_be32(bad, 16, 20000);
  put_be32(bad, 20, 20000);
  put_be32(bad, 29, io::crc32(bad.data() + 12, 17));
  path = write("huge.png", bad);
  EXPECT_EQ(error_message([&] { read_image(path); }),
            "cannot read PNG file '" + path + "': the image is 20000 x 20000 pixels, more than the " +
                std::to_string(vision::io::kMaxImagePixels) + " that read_image decodes");
  // 16-bit samples, refused as torchvision refuses them.
  bad = png;
  bad[24] = 16;
  put_be32(bad, 29, io::crc32(bad.data() + 12, 17));
  path = write("deep.png", bad);
  EXPECT_EQ(error_message([&] { read_image(path); }),
            "cannot read PNG file '" + path +
                "': " + oracle::error_of("import torchvision\ntorchvision.io.read_image(" + py_str(path) + ")"));
  // A JPEG with 12-bit samples declared in its frame header (SOF0: FF C0, length, precision):
  // libjpeg refuses it once it has read the headers, wherever it then is in the file.
  bad = jpg;
  size_t sof = 2;
  while (sof + 4 < bad.size() && !(bad[sof] == 0xFF && bad[sof + 1] == 0xC0)) ++sof;
  ASSERT_LT(sof + 4, bad.size());
  bad[sof + 4] = 12;
  path = write("precision.jpg", bad);
  const std::string message = error_message([&] { read_image(path); });
  const std::string prefix = "invalid JPEG file '" + path + "' at byte offset ";
  const std::string suffix = ": Unsupported JPEG data precision 12";
  ASSERT_EQ(message.substr(0, prefix.size()), prefix) << message;
  ASSERT_GT(message.size(), prefix.size() + suffix.size()) << message;
  EXPECT_EQ(message.substr(message.size() - suffix.size()), suffix) << message;
  const size_t offset = std::stoul(message.substr(prefix.size()));
  EXPECT_GT(offset, sof);
  EXPECT_LE(offset, bad.size());
  // Neither PNG nor JPEG, an empty file, no file.
  for (const auto& [name, content] : std::vector<std::pair<std::string, std::vector<uint8_t>>>{
           {"image.gif", {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0}}, {"empty.png", {}}}) {
    path = write(name, content);
    EXPECT_EQ(
        error_message([&] { read_image(path); }),
        "cannot read image file '" + path + "': Unsupported image file. Only jpeg and png are currently supported.");
  }
  path = images_dir() + "/missing.png";
  EXPECT_EQ(error_message([&] { read_image(path); }), "cannot open file '" + path + "': No such file or directory");
}
