// IDX (raw and gzip'd) and CSV readers.
#include <nabla/data/csv.h>
#include <nabla/data/idx.h>

#include "data/data_testing.h"

namespace nabla::testing {
namespace {

using data::CsvOptions;
using data::read_csv;
using data::read_idx;

std::vector<uint8_t> idx_file(uint8_t type, std::vector<uint32_t> dims, std::vector<uint8_t> data) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

// Gzips `bytes` into `path` with Python's gzip module (`members` concatenated pieces).
void gzip_file(const std::vector<uint8_t>& bytes, const std::string& path, int members = 1) {
  auto r = oracle::run("import gzip\nraw = bytes.fromhex('" + hex(bytes) + "')\nk = " + std::to_string(members) +
                       "\ncut = [raw[i * len(raw) // k:(i + 1) * len(raw) // k] for i in range(k)]\n"
                       "open('" + path + "', 'wb').write(b''.join(gzip.compress(c) for c in cut))\nout = None");
  ASSERT_TRUE(r.ok) << r.error;
}

TEST(Idx, EveryElementTypeRawAndGzipped) {
  TempDir dir;
  struct Case {
    uint8_t type;
    std::vector<uint8_t> data;
    Tensor expected;
  };
  const std::vector<Case> cases = {
      {0x08, {0, 1, 127, 128, 200, 255}, tensor({0, 1, 127, 128, 200, 255}, kByte)},
      {0x09, {0, 1, 127, 128, 200, 255}, tensor({0, 1, 127, -128, -56, -1}, kInt)},
      {0x0B, {0, 1, 0x7f, 0xff, 0x80, 0, 0xff, 0xff, 0x12, 0x34, 0xfe, 0xdc},
       tensor({1, 32767, -32768, -1, 0x1234, -292}, kInt)},
      {0x0C, {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0x7f, 0xff, 0xff, 0xff, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0},
       tensor({1, -2, 2147483647, static_cast<int>(-2147483648LL), 65536, 0}, kInt)},
      {0x0D, {0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0, 0x3e, 0x20, 0, 0, 0, 0, 0, 0, 0x42, 0xc8, 0, 0, 0xbf, 0, 0, 0},
       tensor({1.f, -2.f, 0.15625f, 0.f, 100.f, -0.5f}, kFloat)},
      {0x0E, {0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0,
              0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x59, 0, 0, 0, 0, 0, 0, 0xbf, 0xd0, 0, 0, 0, 0, 0, 0},
       tensor({1., -2., 0.5, 0., 100., -0.25}, kDouble)},
  };
  for (const Case& c : cases) {
    const std::vector<uint8_t> bytes = idx_file(c.type, {2, 3}, c.data);
    write_bytes(dir.file("a.idx"), bytes);
    EXPECT_SAME(read_idx(dir.file("a.idx")), c.expected.reshape({2, 3}));
    gzip_file(bytes, dir.file("a.idx.gz"));
    EXPECT_SAME(read_idx(dir.file("a.idx.gz")), c.expected.reshape({2, 3}));
  }
  // Several gzip members are one stream, as gunzip reads them.
  const std::vector<uint8_t> bytes = idx_file(0x08, {4, 5}, std::vector<uint8_t>(20, 7));
  gzip_file(bytes, dir.file("m.gz"), 3);
  EXPECT_SAME(read_idx(dir.file("m.gz")), full({4, 5}, 7, kByte));
}

TEST(Idx, MalformedFiles) {
  TempDir dir;
  const std::string p = dir.file("bad.idx");
  auto err = [&](const std::vector<uint8_t>& b) {
    write_bytes(p, b);
    return error_message([&] { read_idx(p); });
  };
  const std::string pre = "invalid IDX file '" + p + "' at byte offset ";
  EXPECT_EQ(err({0, 1, 8, 1, 0, 0, 0, 0}), pre + "0: expected the IDX magic number to start with two zero bytes");
  EXPECT_EQ(err({0, 0, 7, 1, 0, 0, 0, 0}),
            pre + "2: expected a type code 0x08, 0x09, 0x0B, 0x0C, 0x0D or 0x0E, got 0x7");
  EXPECT_EQ(err({0, 0, 8, 2, 0, 0, 0, 3}),
            pre + "8: expected dimension 1 of 2 (4 bytes), but the data ends after 8 bytes");
  EXPECT_EQ(err(idx_file(0x0C, {3}, std::vector<uint8_t>(10))),
            pre + "8: expected 3 elements of 4 bytes of data, but the data ends after 18 bytes");
  EXPECT_EQ(err(idx_file(0x08, {3}, std::vector<uint8_t>(5))),
            pre + "11: expected the end of the data after 11 bytes, but 2 more bytes follow");
  // Offsets of a gzip'd file are offsets in its decompressed data.
  gzip_file(idx_file(0x08, {3}, std::vector<uint8_t>(2)), p);
  EXPECT_EQ(error_message([&] { read_idx(p); }),
            "invalid IDX (decompressed gzip) file '" + p +
                "' at byte offset 8: expected 3 elements of 1 bytes of data, but the data ends after 10 bytes");
}

TEST(Idx, EveryTruncationIsAnError) {
  TempDir dir;
  const std::vector<uint8_t> raw = idx_file(0x0B, {2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  expect_every_prefix_rejected(raw, dir.file("cut.idx"), [](const std::string& p) { read_idx(p); });
  gzip_file(raw, dir.file("a.gz"));
  // Also the gzip stream: every prefix of the compressed file (the 1f 8b magic decides gzip).
  expect_every_prefix_rejected(read_bytes(dir.file("a.gz")), dir.file("cut.gz"),
                               [](const std::string& p) { read_idx(p); });
}

TEST(Idx, RealFashionMnistLabelsMatchPython) {
  const std::string p = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
  const Tensor labels = read_idx(p);
  ASSERT_EQ(labels.sizes(), IntArrayRef({10000}));
  const Tensor ref = oracle::eval("torch.frombuffer(bytearray(__import__('gzip').open('" + p +
                                  "').read()[8:]), dtype=torch.uint8).clone()");
  EXPECT_SAME(labels, ref);
}

TEST(Csv, ReadsNumbersLikeNumpyLoadtxt) {
  TempDir dir;
  const std::string p = dir.file("a.csv");
  const std::string text = "a,b,c\r\n1.5, -2,3e-3\r\n\n  4 ,\"5.25\",+6\n-7.125,8,9\n";
  write_bytes(p, std::vector<uint8_t>(text.begin(), text.end()));
  for (ScalarType t : {kFloat, kDouble}) {
    const Tensor got = read_csv(p, CsvOptions().header(true).dtype(t));
    // Python's csv module, skipping blank lines and the header.
    const Tensor ref = oracle::eval(
        "torch.tensor([[float(f) for f in r] for r in [r for r in __import__('csv').reader(open('" + p +
        "', newline='')) if any(f.strip() for f in r)][1:]], dtype=torch." +
        std::string(t == kFloat ? "float32" : "float64") + ")");
    EXPECT_SAME(got, ref);
  }
  const std::string ints = "1;2\n-3;4\n";
  write_bytes(p, std::vector<uint8_t>(ints.begin(), ints.end()));
  EXPECT_SAME(read_csv(p, CsvOptions().delimiter(';').dtype(kLong)), tensor({{1, 2}, {-3, 4}}));
  EXPECT_SAME(read_csv(p, CsvOptions().delimiter(';').dtype(kInt)), tensor({{1, 2}, {-3, 4}}, kInt));
  const std::string header_only = "x,y\n";
  write_bytes(p, std::vector<uint8_t>(header_only.begin(), header_only.end()));
  EXPECT_EQ(read_csv(p, CsvOptions().header(true)).sizes(), IntArrayRef({0, 0}));
  const std::string specials = "nan,inf,-inf\n";
  write_bytes(p, std::vector<uint8_t>(specials.begin(), specials.end()));
  const Tensor s = read_csv(p, CsvOptions().dtype(kDouble));
  EXPECT_TRUE(std::isnan(s[0][0].item<double>()));
  EXPECT_EQ(s[0][1].item<double>(), INFINITY);
  EXPECT_EQ(s[0][2].item<double>(), -INFINITY);
}

TEST(Csv, BadFieldsNameLineColumnAndOffset) {
  TempDir dir;
  const std::string p = dir.file("bad.csv");
  auto err = [&](const std::string& text, CsvOptions o = {}) {
    write_bytes(p, std::vector<uint8_t>(text.begin(), text.end()));
    return error_message([&] { read_csv(p, o); });
  };
  const std::string pre = "invalid CSV file '" + p + "' at byte offset ";
  EXPECT_EQ(err("1,2\n3,x4\n"), pre + "6: expected a number in line 2, column 2, got 'x4'");
  EXPECT_EQ(err("1,2\n3,\n"), pre + "6: expected a number in line 2, column 2, got ''");
  EXPECT_EQ(err("1,2\n3,4,5\n"), pre + "4: expected 2 fields in line 2 (as in the first row), got 3");
  EXPECT_EQ(err("1.5\n", CsvOptions().dtype(kLong)), pre + "0: expected an integer that fits in int64 in line 1, column 1, got '1.5'");
  EXPECT_EQ(err("256\n", CsvOptions().dtype(kByte)), pre + "0: expected an integer in [0, 255] in line 1, column 1, got '256'");
  EXPECT_EQ(err("2\n", CsvOptions().dtype(kBool)), pre + "0: expected 0 or 1 in line 1, column 1, got '2'");
  EXPECT_EQ(err("h\n1\n2,3\n", CsvOptions().header(true)), pre + "4: expected 1 fields in line 3 (as in the first row), got 2");
}

}  // namespace
}  // namespace nabla::testing
