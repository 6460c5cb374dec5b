// Hostile input for the file readers: only nabla::Error naming the file leaves a reader, JSON
// nesting is bounded, headers parse in linear time, gzip'd IDX stops at the declared size, and
// npy/npz/CSV reject what numpy rejects.
#include <nabla/data.h>
#include <nabla/nabla.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "data/data_testing.h"

namespace nabla::testing {
namespace {

using data::read_csv;
using data::read_idx;
using data::read_npy;
using data::read_npz;

// A safetensors file with this JSON header and these data bytes.
void write_safetensors(const std::string& path, const std::string& header, const std::vector<uint8_t>& data = {}) {
  std::vector<uint8_t> b(8);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(uint64_t{header.size()} >> (8 * i));
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  write_bytes(path, b);
}

TEST(ReaderHostile, SafetensorsNumbersBeyondDoubleGiveANablaError) {
  TempDir dir;
  const std::string p = dir.file("big.safetensors");
  write_safetensors(p, R"({"x":{"dtype":"F32","shape":[1e400],"data_offsets":[0,0]}})");
  EXPECT_EQ(error_message([&] { load(p); }),
            "invalid safetensors file '" + p + "' at byte offset 41: expected valid JSON: number overflow parsing "
            "'1e400' in the JSON header");
  write_safetensors(p, R"({"__metadata__":{"a":"1"},"__metadata__":{"a":"2"}})");
  EXPECT_EQ(error_message([&] { load_metadata(p); }),
            "invalid safetensors file '" + p + "' at byte offset 8: expected each key once, but '__metadata__' "
            "appears twice in the JSON header");
}

TEST(ReaderHostile, SafetensorsHeaderNestingIsBounded) {
  TempDir dir;
  const std::string p = dir.file("deep.safetensors");
  write_safetensors(p, R"({"__metadata__":)" + std::string(200000, '[') + "}");
  EXPECT_EQ(error_message([&] { load(p); }), "invalid safetensors file '" + p +
                                                 "' at byte offset 87: expected JSON nested at most 64 levels deep "
                                                 "in the JSON header");
  // A long bad token is cut in the message.
  write_safetensors(p, "{\"" + std::string(100000, 'a') + "\x01\"}");
  const std::string msg = error_message([&] { load(p); });
  EXPECT_LT(msg.size(), 600u) << msg.substr(0, 300);
  EXPECT_EQ(msg.rfind("invalid safetensors file '" + p + "' at byte offset 100010: expected valid JSON: ", 0), 0u)
      << msg.substr(0, 300);
}

TEST(ReaderHostile, SafetensorsHeaderOf200000EntriesParsesInLinearTime) {
  TempDir dir;
  const std::string p = dir.file("many.safetensors");
  NamedTensors tensors;
  const int n = 200000;
  tensors.reserve(n);
  Tensor one = ones({1}, kByte);
  for (int i = 0; i < n; ++i) tensors.emplace_back("layer." + std::to_string(n - i) + ".weight", one);
  save(tensors, p);
  // ordered_json took 94 s for this header (a linear search per key); the linear parse takes
  // a fraction of a second. The figure is printed, not asserted (timings are not tests).
  const auto start = std::chrono::steady_clock::now();
  const NamedTensors back = load(p);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ info ] load() of a %d-entry header: %.3f s\n", n, seconds);
  ASSERT_EQ(back.size(), tensors.size());
  for (int i : {0, 1, n / 2, n - 1}) EXPECT_EQ(back[i].first, tensors[i].first);  // file order, not name order
  // Zero-byte tensors share an offset; they keep the header's order too.
  save(NamedTensors{{"b", zeros({0})}, {"a", zeros({0})}, {"c", zeros({0})}}, p);
  const NamedTensors empty_ones = load(p);
  EXPECT_EQ(empty_ones[0].first, "b");
  EXPECT_EQ(empty_ones[1].first, "a");
  EXPECT_EQ(empty_ones[2].first, "c");
}

// A gzip member of `bytes`.
std::vector<uint8_t> gzip_member(const std::vector<uint8_t>& bytes) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, bytes.size()) + 32);
  zs.next_in = const_cast<Bytef*>(bytes.data());
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(ReaderHostile, GzippedIdxStopsInflatingAtTheDeclaredSize) {
  TempDir dir;
  const std::string p = dir.file("bomb.idx.gz");
  // The header declares one uint8 element; 1 GiB of zeros follow, in 1024 gzip members of 1 MiB.
  std::vector<uint8_t> first = {0, 0, 0x08, 1, 0, 0, 0, 1, 42};
  first.resize(1 << 20);
  std::vector<uint8_t> file = gzip_member(first);
  const std::vector<uint8_t> zeros_member = gzip_member(std::vector<uint8_t>(1 << 20));
  for (int i = 1; i < 1024; ++i) file.insert(file.end(), zeros_member.begin(), zeros_member.end());
  write_bytes(p, file);
  EXPECT_EQ(error_message([&] { read_idx(p); }),
            "invalid IDX (decompressed gzip) file '" + p +
                "' at byte offset 9: expected the end of the data after 9 bytes, but the decompressed stream holds more");
  // Exactly the declared size reads.
  write_bytes(p, gzip_member({0, 0, 0x08, 1, 0, 0, 0, 1, 42}));
  EXPECT_SAME(read_idx(p), full({1}, 42, kByte));
}

// A .npy image with this header dict (padded as numpy pads it) and version.
std::vector<uint8_t> npy_with(const std::string& dict, uint8_t major = 1, uint8_t minor = 0) {
  std::string h = dict;
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string file = "\x93NUMPY";
  for (size_t v : {size_t{major}, size_t{minor}, h.size() & 0xff, h.size() >> 8}) file += static_cast<char>(v);
  file += h + std::string(8, '\0');  // two float32 zeros
  return std::vector<uint8_t>(file.begin(), file.end());
}

TEST(ReaderHostile, NpyRejectsWhatNumpyRejects) {
  TempDir dir;
  const std::string p = dir.file("a.npy");
  const std::string pre = "invalid npy file '" + p + "' at byte offset ";
  auto nabla_error = [&](const std::vector<uint8_t>& b) {
    write_bytes(p, b);
    return error_message([&] { read_npy(p); });
  };
  auto numpy_error = [&](const std::vector<uint8_t>& b) {
    write_bytes(p, b);
    return oracle::error_of("import numpy as np\nnp.load('" + p + "')");
  };
  const std::vector<uint8_t> after = npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }x");
  EXPECT_EQ(nabla_error(after), pre + "67: expected only spaces and a newline after the header dict's closing '}'");
  EXPECT_NE(numpy_error(after).find("Cannot parse header"), std::string::npos);
  const std::vector<uint8_t> number = npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }");
  EXPECT_EQ(nabla_error(number), pre + "60: expected the shape to be a tuple such as (2,), got the number (2)");
  EXPECT_EQ(numpy_error(number), "shape is not valid: 2");
  for (auto [major, minor] : {std::pair<uint8_t, uint8_t>{1, 1}, {2, 5}, {4, 0}, {0, 0}}) {
    const std::vector<uint8_t> v = npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", major, minor);
    EXPECT_EQ(nabla_error(v), pre + "6: expected format version 1.0, 2.0 or 3.0, got " + std::to_string(major) + "." +
                                  std::to_string(minor));
    EXPECT_NE(numpy_error(v), "");
  }
  // What numpy accepts still reads: trailing tabs and "\r\n", no space before ')', a 0-d shape.
  for (const char* ok : {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\t\r",
                         "{'descr':'<f4','fortran_order':False,'shape':(1,2,)}", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }"}) {
    write_bytes(p, npy_with(ok));
    EXPECT_EQ(read_npy(p).numel(), std::string(ok).find("()") != std::string::npos ? 1 : 2) << ok;
    const auto r = oracle::run("import numpy as np\nnp.load('" + p + "')\nout = None");
    EXPECT_TRUE(r.ok) << ok << ": " << r.error;
  }
}

TEST(ReaderHostile, NpzWhoseEndRecordCountsNothingMustBeEmpty) {
  TempDir dir;
  const std::string p = dir.file("a.npz");
  data::write_npz(p, {{"x", ones({3})}});
  std::vector<uint8_t> b = read_bytes(p);
  const size_t end = b.size() - 22;
  std::vector<uint8_t> zero = b;
  zero[end + 8] = zero[end + 9] = zero[end + 10] = zero[end + 11] = 0;  // both entry counts
  write_bytes(p, zero);
  EXPECT_EQ(error_message([&] { read_npz(p); }),
            "invalid npz file '" + p + "' at byte offset " + std::to_string(end) +
                ": expected an archive whose end record counts 0 entries to be empty, but " + std::to_string(end) +
                " bytes precede the record");
  // A count that disagrees with the directory's size.
  data::write_npz(p, {{"x", ones({3})}, {"y", ones({2})}});
  b = read_bytes(p);
  const size_t end2 = b.size() - 22;
  b[end2 + 8] = b[end2 + 10] = 1;
  write_bytes(p, b);
  EXPECT_NE(error_message([&] { read_npz(p); }).find("expected the central directory's 1 entries to fill its"),
            std::string::npos);
  // The empty archive numpy writes for np.savez(path) reads as nothing.
  auto r = oracle::run("import numpy as np\nnp.savez('" + p + "')\nout = None");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(read_npz(p).empty());
}

TEST(ReaderHostile, CsvAllowsOneSign) {
  TempDir dir;
  const std::string p = dir.file("a.csv");
  write_bytes(p, {'+', '1', ',', '-', '2', '\n'});
  EXPECT_SAME(read_csv(p), tensor({{1.f, -2.f}}));
  for (const std::string field : {"+-1", "++1", "-+1", "--1"}) {
    const std::string text = "1," + field + "\n";
    write_bytes(p, std::vector<uint8_t>(text.begin(), text.end()));
    EXPECT_EQ(error_message([&] { read_csv(p); }),
              "invalid CSV file '" + p + "' at byte offset 2: expected a number in line 1, column 2, got '" + field + "'");
    EXPECT_EQ(error_message([&] { read_csv(p, data::CsvOptions().dtype(kLong)); }),
              "invalid CSV file '" + p + "' at byte offset 2: expected an integer that fits in int64 in line 1, column "
              "2, got '" + field + "'");
  }
}

}  // namespace
}  // namespace nabla::testing
