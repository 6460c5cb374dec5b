// .npy / .npz: round trips, interop with numpy (python3-numpy beside python3-torch), errors.
#include <nabla/data/npy.h>

#include "data/data_testing.h"

namespace nabla::testing {
namespace {

using data::read_npy;
using data::read_npz;
using data::write_npy;
using data::write_npz;

const ScalarType kAllTypes[] = {kFloat, kDouble, kLong, kInt, kByte, kBool, kHalf, kShort, kChar};

std::vector<Tensor> samples() {
  std::vector<Tensor> out;
  int seed = 0;
  for (ScalarType t : kAllTypes) {
    out.push_back(sample({2, 3}, t, seed++));
    out.push_back(sample({5}, t, seed++));
    out.push_back(sample({}, t, seed++));
    out.push_back(sample({2, 0, 3}, t, seed++));
    out.push_back(sample({3, 1, 2, 2}, t, seed++));
  }
  return out;
}

// prefix + i (appended, not `"p" + std::to_string(i)`, which trips GCC 12's -Wrestrict bug 105651).
std::string numbered(const char* prefix, int i) {
  std::string s = prefix;
  s += std::to_string(i);
  return s;
}

TEST(Npy, RoundTripEveryDtypeAndShape) {
  TempDir dir;
  for (const Tensor& t : samples()) {
    write_npy(dir.file("a.npy"), t);
    EXPECT_SAME(read_npy(dir.file("a.npy")), t);
  }
  // Non-contiguous input is written in C order.
  const Tensor x = sample({3, 4}, kDouble).t();
  write_npy(dir.file("t.npy"), x);
  EXPECT_SAME(read_npy(dir.file("t.npy")), x.contiguous());
}

TEST(Npy, HeaderIsNumpys) {
  TempDir dir;
  write_npy(dir.file("a.npy"), sample({2, 3}, kFloat));
  const std::vector<uint8_t> b = read_bytes(dir.file("a.npy"));
  ASSERT_EQ(b.size(), 128u + 24u);  // header padded to 64 bytes... then 6 floats
  const std::string header(b.begin() + 10, b.begin() + 128);
  EXPECT_EQ(header.substr(0, header.find('}') + 1), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  EXPECT_EQ(header.back(), '\n');
}

TEST(Npy, NumpyReadsWhatNablaWrites) {
  TempDir dir;
  int i = 0;
  for (const Tensor& t : samples()) {
    const std::string path = dir.file(numbered("n", i++) + ".npy");
    write_npy(path, t);
    auto r = oracle::run("import numpy as np\na = np.load('" + path +
                         "')\nout = (torch.from_numpy(a.copy()), str(a.dtype), a.flags['C_CONTIGUOUS'])");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_SAME(r.outputs[0], t);
    EXPECT_EQ(r.strings[1], std::string(toString(t.scalar_type())));
  }
}

TEST(Npy, NablaReadsWhatNumpyWrites) {
  TempDir dir;
  int i = 0;
  for (const Tensor& t : samples()) {
    const std::string base = dir.file(numbered("p", i++));
    auto r = oracle::run("import numpy as np\na = x.numpy()\n"
                         "np.save('" + base + "_c.npy', a)\n"
                         "np.save('" + base + "_f.npy', np.asfortranarray(a))\n"
                         "np.save('" + base + "_be.npy', a.astype(a.dtype.newbyteorder('>')))\nout = None",
                         {{"x", t}});
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_SAME(read_npy(base + "_c.npy"), t);
    // numpy's asfortranarray makes a 0-d array 1-d.
    EXPECT_SAME(read_npy(base + "_f.npy"), t.dim() == 0 ? t.reshape({1}) : t);
    EXPECT_SAME(read_npy(base + "_be.npy"), t);
  }
  // A Fortran-order file really is stored transposed.
  const Tensor x = sample({2, 3, 4}, kInt);
  auto r = oracle::run("import numpy as np\nnp.save('" + dir.file("f.npy") +
                       "', np.asfortranarray(x.numpy()))\nout = None", {{"x", x}});
  ASSERT_TRUE(r.ok) << r.error;
  const std::vector<uint8_t> b = read_bytes(dir.file("f.npy"));
  EXPECT_NE(std::string(b.begin(), b.begin() + 128).find("'fortran_order': True"), std::string::npos);
  EXPECT_SAME(read_npy(dir.file("f.npy")), x);
}

TEST(Npz, RoundTripStoredAndCompressed) {
  TempDir dir;
  std::vector<std::pair<std::string, Tensor>> arrays;
  int i = 0;
  for (const Tensor& t : samples()) arrays.emplace_back("arr" + std::to_string(i++), t);
  for (bool compressed : {false, true}) {
    write_npz(dir.file("a.npz"), arrays, compressed);
    const auto back = read_npz(dir.file("a.npz"));
    ASSERT_EQ(back.size(), arrays.size());
    for (size_t k = 0; k < arrays.size(); ++k) {
      EXPECT_EQ(back[k].first, arrays[k].first);
      EXPECT_SAME(back[k].second, arrays[k].second);
    }
  }
}

TEST(Npz, NumpyInterop) {
  TempDir dir;
  const Tensor a = sample({3, 4}, kFloat, 1), b = sample({7}, kLong, 2), c = sample({2, 2}, kBool, 3);
  for (bool compressed : {false, true}) {
    const std::string path = dir.file(compressed ? "z.npz" : "s.npz");
    write_npz(path, {{"weight", a}, {"steps", b}, {"mask", c}}, compressed);
    auto r = oracle::run("import numpy as np\nz = np.load('" + path +
                         "')\nout = (','.join(z.files), torch.from_numpy(z['weight']), torch.from_numpy(z['steps']),"
                         " torch.from_numpy(z['mask']))");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.strings[0], "weight,steps,mask");
    EXPECT_SAME(r.outputs[1], a);
    EXPECT_SAME(r.outputs[2], b);
    EXPECT_SAME(r.outputs[3], c);
  }
  for (const char* fn : {"savez", "savez_compressed"}) {
    const std::string path = dir.file(std::string(fn) + ".npz");
    auto r = oracle::run("import numpy as np\nnp." + std::string(fn) + "('" + path +
                         "', first=a.numpy(), second=np.asfortranarray(b.numpy().reshape(7, 1)), third=c.numpy())\n"
                         "out = None", {{"a", a}, {"b", b}, {"c", c}});
    ASSERT_TRUE(r.ok) << r.error;
    const auto back = read_npz(path);
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back[0].first, "first");
    EXPECT_EQ(back[1].first, "second");
    EXPECT_EQ(back[2].first, "third");
    EXPECT_SAME(back[0].second, a);
    EXPECT_SAME(back[1].second, b.reshape({7, 1}));
    EXPECT_SAME(back[2].second, c);
  }
}

TEST(Npy, MalformedFilesNameFileOffsetAndExpectation) {
  TempDir dir;
  const std::string p = dir.file("bad.npy");
  write_npy(p, sample({2, 3}, kFloat));
  const std::vector<uint8_t> good = read_bytes(p);
  auto with = [&](size_t at, const std::string& text) {
    std::vector<uint8_t> b = good;
    std::copy(text.begin(), text.end(), b.begin() + static_cast<std::ptrdiff_t>(at));
    write_bytes(p, b);
    return error_message([&] { read_npy(p); });
  };
  EXPECT_EQ(with(0, "X"), "invalid npy file '" + p + "' at byte offset 0: expected the magic string \\x93NUMPY");
  EXPECT_EQ(with(6, "\x07"), "invalid npy file '" + p + "' at byte offset 6: expected format version 1.0, 2.0 or 3.0, got 7.0");
  EXPECT_EQ(with(10 + 11, "<c8"), "invalid npy file '" + p +
                                      "' at byte offset 10: expected a dtype descr of '<f4', '<f8', '<f2', '<i8', "
                                      "'<i4', '<i2', '|i1', '|u1' or '|b1', got '<c8'");
  EXPECT_EQ(with(10 + 34, "Maybe"),
            "invalid npy file '" + p + "' at byte offset 44: expected True or False for 'fortran_order'");
  EXPECT_EQ(with(10 + 50, "[2, 3]"), "invalid npy file '" + p + "' at byte offset 60: expected '(' starting the shape tuple");
  EXPECT_EQ(with(10 + 51, "9"), "invalid npy file '" + p + "' at byte offset 128: expected 27 elements of 4 bytes "
                                "(108 bytes) of array data, but the data ends after 152 bytes");
  EXPECT_EQ(error_message([&] { read_npy(dir.file("missing.npy")); }),
            "cannot open file '" + dir.file("missing.npy") + "': No such file or directory");
}

TEST(Npy, EveryTruncationIsAnError) {
  TempDir dir;
  write_npy(dir.file("a.npy"), sample({2, 2}, kDouble));
  expect_every_prefix_rejected(read_bytes(dir.file("a.npy")), dir.file("cut.npy"),
                               [](const std::string& p) { read_npy(p); });
}

TEST(Npz, EveryTruncationIsAnError) {
  TempDir dir;
  for (bool compressed : {false, true}) {
    write_npz(dir.file("a.npz"), {{"x", sample({3}, kFloat)}, {"y", sample({2}, kByte)}}, compressed);
    expect_every_prefix_rejected(read_bytes(dir.file("a.npz")), dir.file("cut.npz"),
                                 [](const std::string& p) { read_npz(p); });
  }
}

TEST(Npz, CorruptMembersAreRejected) {
  TempDir dir;
  const std::string p = dir.file("a.npz");
  write_npz(p, {{"x", sample({4}, kFloat)}});
  std::vector<uint8_t> b = read_bytes(p);
  // Flip a data byte: the CRC-32 check catches it.
  std::vector<uint8_t> flipped = b;
  flipped[30 + 5 + 130] ^= 0xff;
  write_bytes(p, flipped);
  EXPECT_EQ(error_message([&] { read_npz(p); }),
            "invalid npz file '" + p + "' at byte offset 35: expected the data of 'x.npy' to match its CRC-32 checksum");
  // An unknown compression method.
  std::vector<uint8_t> method = b;
  method[8] = 12;  // bzip2 in the local header (the central directory decides)
  const size_t central = b.size() - 22 - (46 + 5);
  method[central + 10] = 12;
  write_bytes(p, method);
  EXPECT_EQ(error_message([&] { read_npz(p); }),
            "invalid npz file '" + p + "' at byte offset 0: expected compression method 0 (stored) or 8 (deflate) for "
            "'x.npy', got 12");
  // Not a zip at all.
  write_bytes(p, std::vector<uint8_t>(100, 'a'));
  EXPECT_EQ(error_message([&] { read_npz(p); }),
            "invalid npz file '" + p + "' at byte offset 78: expected the zip end of central directory signature 50 4b 05 06");
}

}  // namespace
}  // namespace nabla::testing
