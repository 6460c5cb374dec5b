// Checkpoints in the safetensors format: round trips, interop with Python, corrupt files,
// atomic writes.
#include <nabla/serialize.h>
#include <signal.h>
#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "data/data_testing.h"

namespace nabla::testing {
namespace {

// A safetensors reader and writer in plain Python (json + struct + torch.frombuffer), used when
// the `safetensors` package is missing from /usr/bin/python3; the real one is used if present.
const char* kPythonSafetensors = R"PY(
import json, struct
try:
    from safetensors.torch import load_file as st_load, save_file as st_save
    from safetensors import safe_open
    def st_metadata(path):
        with safe_open(path, framework='pt') as f:
            return f.metadata() or {}
except ImportError:
    DT = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'I32': torch.int32,
          'U8': torch.uint8, 'BOOL': torch.bool, 'F16': torch.float16, 'I16': torch.int16, 'I8': torch.int8}
    def _header(path):
        with open(path, 'rb') as f:
            raw = f.read()
        (n,) = struct.unpack('<Q', raw[:8])
        return json.loads(raw[8:8 + n]), raw[8 + n:]
    def st_load(path):
        h, data = _header(path)
        out = {}
        for name, e in h.items():
            if name == '__metadata__':
                continue
            b, end = e['data_offsets']
            buf = bytearray(data[b:end])
            t = torch.frombuffer(buf, dtype=DT[e['dtype']]) if buf else torch.empty(0, dtype=DT[e['dtype']])
            out[name] = t.reshape(e['shape']).clone()
        return out
    def st_metadata(path):
        return _header(path)[0].get('__metadata__', {})
    def st_save(tensors, path, metadata=None):
        names = {v: k for k, v in DT.items()}
        header, blobs, off = {}, [], 0
        if metadata:
            header['__metadata__'] = metadata
        for name, t in tensors.items():
            b = t.contiguous().numpy().tobytes()
            header[name] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
            blobs.append(b)
            off += len(b)
        text = json.dumps(header).encode()
        text += b' ' * ((8 - len(text) % 8) % 8)
        with open(path, 'wb') as f:
            f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
)PY";

NamedTensors samples() {
  NamedTensors out;
  const ScalarType types[] = {kFloat, kDouble, kLong, kInt, kByte, kBool, kHalf, kShort, kChar};
  int i = 0;
  for (ScalarType t : types) {
    out.emplace_back("layer" + std::to_string(i) + ".weight", sample({3, 2}, t, i));
    out.emplace_back("layer" + std::to_string(i) + ".bias", sample({4}, t, i + 100));
    ++i;
  }
  out.emplace_back("scalar", sample({}, kDouble, 7));
  out.emplace_back("empty", sample({0, 3}, kFloat, 8));
  return out;
}

void expect_same_list(const NamedTensors& got, const NamedTensors& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_SAME(got[i].second, want[i].second);
  }
}

TEST(Safetensors, RoundTripKeepsOrderDtypesShapesAndMetadata) {
  TempDir dir;
  const std::string p = dir.file("model.safetensors");
  const NamedTensors tensors = samples();
  save(tensors, p, {{"epoch", "3"}, {"format", "pt"}});
  expect_same_list(load(p), tensors);
  EXPECT_EQ(load_metadata(p), (std::map<std::string, std::string>{{"epoch", "3"}, {"format", "pt"}}));
  // Non-contiguous and requires_grad tensors are saved by value.
  Tensor w = sample({3, 4}, kFloat).t();
  Tensor g = sample({2}, kDouble).requires_grad_();
  save(std::map<std::string, Tensor>{{"w", w}, {"g", g}}, p);
  const NamedTensors back = load(p);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].first, "g");  // map order
  EXPECT_SAME(back[0].second, g.detach());
  EXPECT_FALSE(back[0].second.requires_grad());
  EXPECT_SAME(back[1].second, w.contiguous());
  EXPECT_TRUE(load_metadata(p).empty());
}

TEST(Safetensors, LayoutIsTheFormats) {
  TempDir dir;
  const std::string p = dir.file("a.safetensors");
  save({{"b", sample({2}, kFloat)}, {"a", sample({3}, kLong)}}, p, {{"k", "v"}});
  const std::vector<uint8_t> bytes = read_bytes(p);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<size_t>(i)];
  EXPECT_EQ(n % 8, 0u);
  ASSERT_EQ(bytes.size(), 8 + n + 8 + 24);
  const auto h = nlohmann::json::parse(std::string(bytes.begin() + 8, bytes.begin() + 8 + static_cast<long>(n)));
  EXPECT_EQ(h["__metadata__"]["k"], "v");
  EXPECT_EQ(h["b"]["dtype"], "F32");
  EXPECT_EQ(h["b"]["shape"], nlohmann::json::array({2}));
  EXPECT_EQ(h["b"]["data_offsets"], nlohmann::json::array({0, 8}));
  EXPECT_EQ(h["a"]["dtype"], "I64");
  EXPECT_EQ(h["a"]["data_offsets"], nlohmann::json::array({8, 32}));
}

TEST(Safetensors, PythonReadsNablaFiles) {
  TempDir dir;
  const std::string p = dir.file("n.safetensors");
  const NamedTensors tensors = samples();
  save(tensors, p, {{"step", "1200"}});
  std::string code = std::string(kPythonSafetensors) + "d = st_load('" + p + "')\nm = st_metadata('" + p +
                     "')\nout = [','.join(sorted(d)), m.get('step', '')] + [d[k] for k in [";
  for (const auto& [name, t] : tensors) code += "'" + name + "',";
  code += "]]";
  auto r = oracle::run(code);
  ASSERT_TRUE(r.ok) << r.error;
  std::vector<std::string> names;
  for (const auto& [name, t] : tensors) names.push_back(name);
  std::sort(names.begin(), names.end());
  std::string joined;
  for (const auto& s : names) joined += (joined.empty() ? "" : ",") + s;
  EXPECT_EQ(r.strings[0], joined);
  EXPECT_EQ(r.strings[1], "1200");
  for (size_t i = 0; i < tensors.size(); ++i) EXPECT_SAME(r.outputs[i + 2], tensors[i].second);
}

TEST(Safetensors, NablaReadsPythonFiles) {
  TempDir dir;
  const std::string p = dir.file("py.safetensors");
  const Tensor a = sample({2, 3}, kFloat, 1), b = sample({5}, kLong, 2), c = sample({2, 2}, kBool, 3),
               d = sample({3}, kByte, 4), e = sample({1, 2}, kDouble, 5), f = sample({4}, kInt, 6),
               g = sample({2, 2}, kHalf, 7), h = sample({3}, kShort, 8), i = sample({5}, kChar, 9);
  auto r = oracle::run(std::string(kPythonSafetensors) +
                           "st_save({'a': a, 'b': b, 'c': c, 'd': d, 'e': e, 'f': f, 'g': g, 'h': h, 'i': i}, '" + p +
                           "', metadata={'who': 'python'})\nout = None",
                       {{"a", a}, {"b", b}, {"c", c}, {"d", d}, {"e", e}, {"f", f}, {"g", g}, {"h", h}, {"i", i}});
  ASSERT_TRUE(r.ok) << r.error;
  NamedTensors got = load(p);
  std::sort(got.begin(), got.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  expect_same_list(got, {{"a", a}, {"b", b}, {"c", c}, {"d", d}, {"e", e}, {"f", f}, {"g", g}, {"h", h}, {"i", i}});
  EXPECT_EQ(load_metadata(p).at("who"), "python");
}

// A file with the given header text and data bytes.
std::vector<uint8_t> file_with(const std::string& header, size_t data_bytes, uint64_t declared = UINT64_MAX) {
  const uint64_t n = declared == UINT64_MAX ? header.size() : declared;
  std::vector<uint8_t> b;
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(n >> (8 * i)));
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + data_bytes, 0);
  return b;
}

TEST(Safetensors, CorruptFilesAreRejectedNamingTheFile) {
  TempDir dir;
  const std::string p = dir.file("bad.safetensors");
  auto err = [&](const std::vector<uint8_t>& bytes) {
    write_bytes(p, bytes);
    return error_message([&] { load(p); });
  };
  const std::string pre = "invalid safetensors file '" + p + "' at byte offset ";
  const std::string ok = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  EXPECT_EQ(err({1, 2, 3}), pre + "0: expected an 8-byte header length, but the file has only 3 bytes");
  EXPECT_EQ(err(file_with(ok, 8, 200'000'000)),
            pre + "0: expected a header length of at most 100000000 bytes, got 200000000");
  EXPECT_EQ(err(file_with(ok, 0, ok.size() + 9)),
            pre + "8: expected a JSON header of " + std::to_string(ok.size() + 9) + " bytes, but the file ends after " +
                std::to_string(8 + ok.size()) + " bytes");
  EXPECT_EQ(err(file_with("[1]", 0)), pre + "8: expected the JSON header to start with '{'");
  EXPECT_EQ(err(file_with(R"({"x": })", 0)).substr(0, pre.size() + 23), pre + "14: expected valid JSON");
  EXPECT_EQ(err(file_with(R"({"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", 4)),
            pre +
                "8: expected a dtype of F32, F64, F16, I64, I32, I16, I8, U8 or BOOL (got 'BF16') for tensor 'x' in "
                "the JSON header");
  EXPECT_EQ(err(file_with(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)),
            pre + "8: expected data_offsets spanning 3 elements of 4 bytes as its shape says (got [0, 8]) for tensor "
                  "'x' in the JSON header");
  EXPECT_EQ(err(file_with(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4)),
            pre + "8: expected data_offsets inside the data (got [0, 8], but the data holds 4 bytes) for tensor 'x' "
                  "in the JSON header");
  EXPECT_EQ(err(file_with(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8)),
            pre + "8: expected data_offsets with begin <= end (got [8, 0]) for tensor 'x' in the JSON header");
  const std::string two = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  EXPECT_EQ(err(file_with(two, 12)),
            pre + std::to_string(8 + two.size() + 4) +
                ": expected tensor 'y' to begin at data offset 8 after the previous tensor, but its data_offsets [4, "
                "12] overlap it");
  const std::string gap = R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  EXPECT_EQ(err(file_with(gap, 8)), pre + std::to_string(8 + gap.size()) +
                                        ": expected tensor 'x' to begin at data offset 0, but its data_offsets [4, 8] "
                                        "leave a gap");
  EXPECT_EQ(err(file_with(ok, 12)), pre + std::to_string(8 + ok.size() + 8) +
                                        ": expected the data to end after 8 bytes, as the header says, but 4 more "
                                        "bytes follow");
  EXPECT_EQ(err(file_with(R"({"__metadata__":{"a":1}})", 0)),
            pre + "8: expected \"__metadata__\" to be an object of strings, but 'a' is not");
  EXPECT_EQ(err(file_with(R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)),
            pre + "8: expected a shape of non-negative integers for tensor 'x' in the JSON header");
  EXPECT_EQ(err(file_with(R"({"x":{"dtype":"F32","shape":[2]}})", 8)),
            pre + "8: expected \"data_offsets\" as two non-negative integers [begin, end] for tensor 'x' in the JSON "
                  "header");
  EXPECT_EQ(error_message([&] { load(dir.file("none.safetensors")); }),
            "cannot open file '" + dir.file("none.safetensors") + "': No such file or directory");
}

TEST(Safetensors, EveryTruncationIsAnError) {
  TempDir dir;
  save({{"w", sample({2, 2}, kFloat)}, {"b", sample({2}, kLong)}}, dir.file("a.safetensors"), {{"m", "1"}});
  expect_every_prefix_rejected(read_bytes(dir.file("a.safetensors")), dir.file("cut.safetensors"),
                               [](const std::string& p) { load(p); });
}

TEST(Safetensors, SaveRejectsBadInput) {
  TempDir dir;
  const std::string p = dir.file("x.safetensors");
  EXPECT_EQ(error_message([&] { save({{"a", sample({2})}, {"a", sample({2})}}, p); }),
            "save: the tensor name 'a' appears twice ('" + p + "')");
  EXPECT_EQ(error_message([&] { save({{"__metadata__", sample({2})}}, p); }),
            "save: '__metadata__' is reserved and cannot name a tensor ('" + p + "')");
  EXPECT_EQ(error_message([&] { save({{"u", Tensor()}}, p); }), "save: tensor 'u' is undefined ('" + p + "')");
  EXPECT_EQ(error_message([&] { save({{"a", sample({2})}}, "/nonexistent_dir_nabla/x.safetensors"); }),
            "cannot write file '/nonexistent_dir_nabla/x.safetensors': No such file or directory");
}

TEST(Safetensors, AFailingWriteLeavesTheOldFileIntact) {
  TempDir dir;
  const std::string p = dir.file("ckpt.safetensors");
  const NamedTensors old = {{"w", sample({4}, kFloat)}};
  save(old, p);
  const std::vector<uint8_t> before = read_bytes(p);
  // A file size limit makes the write of the larger new checkpoint fail half-way (EFBIG).
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto previous = signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string msg = error_message([&] { save({{"w", sample({100000}, kFloat)}}, p); });
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous);
  EXPECT_EQ(msg, "cannot write file '" + p + "': write failed: File too large");
  EXPECT_EQ(read_bytes(p), before);
  expect_same_list(load(p), old);
  // No temporary file is left behind.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

}  // namespace
}  // namespace nabla::testing
