// torch.save's files (Note [torch.save files]): what python3-torch writes loads in nabla, what
// nabla writes loads in python3-torch, and hostile pickles and archives are refused.
#include <nabla/nabla.h>

#include "data/data_testing.h"

using namespace nabla;
using namespace nabla::testing;

namespace {

// Runs Python that writes files; fails the test on a Python error.
void python(const std::string& code) {
  auto r = oracle::run(code + "\nout = None");
  ASSERT_TRUE(r.ok) << r.error;
}

std::string q(const std::string& path) { return "'" + path + "'"; }

std::vector<int64_t> vec(IntArrayRef a) { return {a.begin(), a.end()}; }

}  // namespace

TEST(TorchSave, LoadsTensorsViewsAndDtypesWrittenByPython) {
  TempDir dir;
  for (const bool legacy : {false, true}) {
    const std::string path = dir.file(legacy ? "legacy.pt" : "zip.pt");
    python("x = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7\n"
           "torch.save({'x': x, 'row': x[1], 't': x.t(), 'col': x[:, 2], 'other': torch.ones(2, dtype=torch.float64)},"
           " " + q(path) + ", _use_new_zipfile_serialization=" + (legacy ? "False" : "True") + ")");
    const GenericDict d = torch_load(path).toGenericDict();
    ASSERT_EQ(d.size(), 5u);
    std::vector<std::string> keys;
    for (const DictEntry& e : d) keys.push_back(e.key().toStringRef());
    EXPECT_EQ(keys, (std::vector<std::string>{"x", "row", "t", "col", "other"}));
    auto r = oracle::run("x = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7\n"
                         "out = (x, x[1], x.t(), x[:, 2], torch.Size(x.t().stride()), torch.Size(x[:, 2].stride()))");
    ASSERT_TRUE(r.ok) << r.error;
    const Tensor x = d.at("x").toTensor(), row = d.at("row").toTensor(), t = d.at("t").toTensor(),
                 col = d.at("col").toTensor();
    EXPECT_SAME(x, r.outputs[0]);
    EXPECT_SAME(row, r.outputs[1]);
    EXPECT_SAME(t, r.outputs[2]);
    EXPECT_SAME(col, r.outputs[3]);
    EXPECT_EQ(vec(t.strides()), r.lists[4]);
    EXPECT_EQ(vec(col.strides()), r.lists[5]);
    EXPECT_EQ(row.storage_offset(), 4);
    EXPECT_EQ(col.storage_offset(), 2);
    // One storage: writing through one view changes the others.
    EXPECT_EQ(x.unsafeGetTensorImpl()->storage().get(), t.unsafeGetTensorImpl()->storage().get());
    EXPECT_EQ(x.unsafeGetTensorImpl()->storage().get(), col.unsafeGetTensorImpl()->storage().get());
    x.select(0, 1).select(0, 2).fill_(100.0);
    EXPECT_EQ(row[2].item<float>(), 100.0f);
    EXPECT_EQ(t[2][1].item<float>(), 100.0f);
    EXPECT_EQ(d.at("other").toTensor().scalar_type(), kDouble);
  }
}

TEST(TorchSave, EveryDtypeLoadsExactly) {
  TempDir dir;
  const std::string path = dir.file("dtypes.pt");
  const std::string make =
      "v = torch.tensor([-2.5, -1.0, 0.0, 0.333, 1.5, 65504.0, 1e-7, 3.0e38])\n"
      "i = torch.tensor([-128, -1, 0, 1, 7, 127])\n"
      "ts = [v.float(), v.double(), v.half(), v.bfloat16(), (i * 1000).long() * 100000, (i * 1000).int(),"
      " (i * 100).short(), i.to(torch.int8), (i + 128).to(torch.uint8), i > 0]\n";
  python(make + "torch.save(ts, " + q(path) + ")");
  const std::vector<IValue> list = torch_load(path).toListRef();
  ASSERT_EQ(list.size(), 10u);
  // Each dtype loads as itself, but bfloat16 (widened to float32): compare with Python's own widening.
  auto r = oracle::run(make + "out = (ts[0], ts[1], ts[2], ts[3].float(), ts[4], ts[5], ts[6], ts[7], ts[8], ts[9])");
  ASSERT_TRUE(r.ok) << r.error;
  for (size_t k = 0; k < list.size(); ++k) EXPECT_SAME(list[k].toTensor(), r.outputs[k]) << "entry " << k;
  // A bare (non-contiguous) tensor.
  const std::string bare = dir.file("bare.pt");
  python("torch.save(torch.arange(20.).reshape(4, 5)[1:, ::2], " + q(bare) + ")");
  const Tensor t = torch_load(bare).toTensor();
  EXPECT_SAME(t, arange(20, kFloat).reshape({4, 5}).slice(0, 1).slice(1, 0, 5, 2));
  EXPECT_EQ(vec(t.strides()), (std::vector<int64_t>{5, 2}));
  EXPECT_EQ(t.storage_offset(), 5);
}

TEST(TorchSave, LoadsATrainingCheckpoint) {
  TempDir dir;
  for (const bool legacy : {false, true}) {
    const std::string path = dir.file("ckpt.pt");
    python("torch.manual_seed(0)\n"
           "m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))\n"
           "opt = torch.optim.Adam(m.parameters(), lr=0.01)\n"
           "m(torch.randn(5, 3)).sum().backward(); opt.step()\n"
           "torch.save({'epoch': 7, 'step': 2**40, 'neg': -2**40, 'loss': 0.125, 'name': 'run \\u00e9', "
           "'history': [1.0, 0.5, -3], 'flags': (True, False, None), 'ids': {3: 'a', -1: 'b'}, "
           "'model': m.state_dict(), 'optimizer': opt.state_dict(), 'p': torch.nn.Parameter(torch.ones(2))}, " +
           q(path) + ", _use_new_zipfile_serialization=" + (legacy ? "False" : "True") + ")");
    const GenericDict ckpt = torch_load(path).toGenericDict();
    EXPECT_EQ(ckpt.at("epoch").toInt(), 7);
    EXPECT_EQ(ckpt.at("step").toInt(), int64_t{1} << 40);
    EXPECT_EQ(ckpt.at("neg").toInt(), -(int64_t{1} << 40));
    EXPECT_EQ(ckpt.at("loss").toDouble(), 0.125);
    EXPECT_EQ(ckpt.at("name").toStringRef(), "run \xc3\xa9");
    const auto& history = ckpt.at("history").toListRef();
    ASSERT_EQ(history.size(), 3u);
    EXPECT_EQ(history[1].toDouble(), 0.5);
    EXPECT_EQ(history[2].toInt(), -3);
    const auto& flags = ckpt.at("flags").toTupleRef().elements();
    ASSERT_EQ(flags.size(), 3u);
    EXPECT_TRUE(flags[0].toBool());
    EXPECT_FALSE(flags[1].toBool());
    EXPECT_TRUE(flags[2].isNone());
    EXPECT_EQ(ckpt.at("ids").toGenericDict().at(int64_t{-1}).toStringRef(), "b");
    EXPECT_TRUE(ckpt.at("p").toTensor().requires_grad());

    const auto sd = to_state_dict(ckpt.at("model"));
    EXPECT_TRUE(ckpt.at("model").toGenericDict().is_ordered_dict());
    EXPECT_EQ(sd.keys(), (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                                    "1.running_var", "1.num_batches_tracked", "2.weight", "2.bias"}));
    EXPECT_EQ(sd["1.num_batches_tracked"].scalar_type(), kLong);
    auto r = oracle::run("c = torch.load(" + q(path) + ")\nout = (c['model']['0.weight'], c['model']['1.running_var'],"
                         " c['optimizer']['state'][0]['exp_avg'])");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_SAME(sd["0.weight"], r.outputs[0]);
    EXPECT_SAME(sd["1.running_var"], r.outputs[1]);
    const GenericDict opt = ckpt.at("optimizer").toGenericDict();
    EXPECT_SAME(opt.at("state").toGenericDict().at(int64_t{0}).toGenericDict().at("exp_avg").toTensor(),
                r.outputs[2]);
    const GenericDict group = opt.at("param_groups").toListRef().at(0).toGenericDict();
    EXPECT_EQ(group.at("lr").toDouble(), 0.01);
    EXPECT_EQ(group.at("params").toListRef().size(), 6u);
    EXPECT_EQ(group.at("betas").toTupleRef().elements()[1].toDouble(), 0.999);
  }
}

TEST(TorchSave, PythonLoadsWhatNablaWrites) {
  TempDir dir;
  const std::string path = dir.file("nabla.pth");
  Tensor x = arange(12, kDouble).reshape({3, 4});
  GenericDict sd;
  sd.set_ordered_dict(true);
  sd.insert_or_assign("x", x);
  sd.insert_or_assign("t", x.t());
  sd.insert_or_assign("row", x[2]);
  sd.insert_or_assign("b", tensor({true, false, true}));
  sd.insert_or_assign("i", arange(5, kInt) - 2);
  sd.insert_or_assign("l", full({2}, int64_t{1} << 50, kLong));
  sd.insert_or_assign("u", arange(3, kByte));
  sd.insert_or_assign("w", ones({2, 2}, requires_grad()));
  sd.insert_or_assign("h", tensor({0.5, -2.25, 1.0 / 3, 65504.0}, kHalf));
  sd.insert_or_assign("i16", tensor({-300, 2, 32767}, kShort).reshape({3, 1}).t());
  sd.insert_or_assign("i8", tensor({-128, 7, 127}, kChar));
  sd.insert_or_assign("n", int64_t{-(int64_t{1} << 40)});
  sd.insert_or_assign("s", "caf\xc3\xa9");
  sd.insert_or_assign("list", GenericList({IValue(1), IValue(true), IValue()}));
  sd.insert_or_assign("tuple", ivalue::Tuple::create({IValue(1), IValue("a"), IValue(2), IValue(3)}));
  torch_save(sd, path);
  // weights_only=True: torch 1.13's restricted unpickler reads everything but floats.
  auto r = oracle::run("d = torch.load(" + q(path) +
                       ", weights_only=True)\n"
                       "import collections\n"
                       "assert type(d) is collections.OrderedDict, type(d)\n"
                       "assert d['t'].storage().data_ptr() == d['x'].storage().data_ptr()\n"
                       "assert d['row'].storage_offset() == 8 and d['t'].stride() == (1, 4)\n"
                       "assert d['w'].requires_grad and not d['x'].requires_grad\n"
                       "assert d['n'] == -2**40 and d['s'] == 'caf\\u00e9'\n"
                       "assert d['list'] == [1, True, None] and d['tuple'] == (1, 'a', 2, 3), (d['list'], d['tuple'])\n"
                       "out = (d['x'], d['t'], d['row'], d['b'], d['i'], d['l'], d['u'], d['w'].detach(), d['h'],"
                       " d['i16'], d['i8'])");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_SAME(r.outputs[0], x);
  EXPECT_SAME(r.outputs[1], x.t().contiguous());
  EXPECT_SAME(r.outputs[2], x[2]);
  EXPECT_SAME(r.outputs[3], tensor({true, false, true}));
  EXPECT_SAME(r.outputs[4], arange(5, kInt) - 2);
  EXPECT_SAME(r.outputs[5], full({2}, int64_t{1} << 50, kLong));
  EXPECT_SAME(r.outputs[6], arange(3, kByte));
  EXPECT_SAME(r.outputs[7], ones({2, 2}));
  // float16, int16, int8 keep their dtypes (same() compares dtypes).
  EXPECT_TRUE(same(r.outputs[8], tensor({0.5, -2.25, 1.0 / 3, 65504.0}, kHalf), 0, 0));
  EXPECT_SAME(r.outputs[9], tensor({-300, 2, 32767}, kShort).reshape({1, 3}));
  EXPECT_SAME(r.outputs[10], tensor({-128, 7, 127}, kChar));

  // Floats: torch.load without weights_only.
  const std::string p2 = dir.file("floats.pt");
  GenericDict f;
  f.insert_or_assign("lr", 0.001);
  f.insert_or_assign("big", 1e300);
  f.insert_or_assign(int64_t{3}, -0.0);
  torch_save(f, p2);
  auto r2 = oracle::run("d = torch.load(" + q(p2) + ")\n"
                        "assert d == {'lr': 0.001, 'big': 1e300, 3: -0.0} and type(d) is dict, d\nout = None");
  EXPECT_TRUE(r2.ok) << r2.error;
}

TEST(TorchSave, ModuleStateDictsTravelBothWays) {
  TempDir dir;
  manual_seed(3);
  nn::Sequential net(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::ReLU(), nn::Linear(4, 2));
  const std::string path = dir.file("net.pth");
  torch_save(IValue(net->state_dict()), path);
  const Tensor input = sample({5, 3});
  net->eval();
  const Tensor expected = net->forward(input);
  auto r = oracle::run("m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),"
                       " torch.nn.Linear(4, 2))\n"
                       "m.load_state_dict(torch.load(" + q(path) + ", weights_only=True)); m.eval()\n"
                       "torch.save(m.state_dict(), " + q(dir.file("back.pth")) + ")\n"
                       "out = m(x)", {{"x", input}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(close_values(r.tensor(), expected));
  nn::Sequential other(nn::Linear(3, 4), nn::BatchNorm1d(4), nn::ReLU(), nn::Linear(4, 2));
  other->load_state_dict(to_state_dict(torch_load(dir.file("back.pth"))));
  other->eval();
  EXPECT_SAME(other->forward(input), expected);
}

TEST(TorchSave, RoundTripsInMemory) {
  Tensor base = arange(6, kFloat);
  GenericList list({IValue(base.slice(0, 1, 4)), IValue(base), IValue(2.5), IValue("x"),
                    IValue(ivalue::Tuple::create({IValue(), IValue(false)}))});
  const IValue back = pickle_load(pickle_save(list));
  const auto& items = back.toListRef();
  ASSERT_EQ(items.size(), 5u);
  EXPECT_SAME(items[0].toTensor(), base.slice(0, 1, 4));
  EXPECT_EQ(items[0].toTensor().storage_offset(), 1);
  EXPECT_EQ(items[0].toTensor().unsafeGetTensorImpl()->storage().get(),
            items[1].toTensor().unsafeGetTensorImpl()->storage().get());
  EXPECT_EQ(items[2].toDouble(), 2.5);
  EXPECT_EQ(items[3].toStringRef(), "x");
  EXPECT_FALSE(items[4].toTupleRef().elements()[1].toBool());
  std::ostringstream repr;
  repr << IValue(GenericList({IValue(1), IValue(0.001), IValue("it's"), IValue(ivalue::Tuple::create({IValue(2)}))}));
  EXPECT_EQ(repr.str(), "[1, 0.001, \"it's\", (2,)]");
}

TEST(TorchSave, IValueAccessorsNameTheKinds) {
  const IValue v(3);
  EXPECT_EQ(error_message([&] { v.toDouble(); }), "Expected Double but got Int");
  EXPECT_EQ(error_message([&] { IValue("a").toTensor(); }), "Expected Tensor but got String");
  GenericDict d;
  d.insert_or_assign("a", 1);
  EXPECT_EQ(error_message([&] { d.at("b"); }), "Argument passed to at() was not in the map.");
  EXPECT_EQ(error_message([&] { d.insert_or_assign(1.5, 1); }), "dict keys must be str or int, but got Double");
  EXPECT_EQ(error_message([&] { to_state_dict(IValue(d)); }),
            "to_state_dict: expected a Tensor under 'a', but got Int (a checkpoint holds its state_dict under a "
            "key: to_state_dict(ckpt.toGenericDict().at(\"model\")))");
  GenericList self;
  self.push_back(self);  // a list holding itself
  EXPECT_EQ(error_message([&] { pickle_save(self); }),
            "pickle_save: the value is nested more than 200 deep (or refers to itself)");
  self.clear();
}

// ---- hostile files -------------------------------------------------------------------------

namespace {

// A torch.save-style archive whose data.pkl is `pickle_bytes` (a Python bytes expression).
std::string archive_with(const TempDir& dir, const std::string& name, const std::string& pickle_bytes,
                         const std::string& extra = "") {
  const std::string path = dir.file(name);
  python("import zipfile\n"
         "with zipfile.ZipFile(" + q(path) + ", 'w') as z:\n"
         "    z.writestr('a/data.pkl', " + pickle_bytes + ")\n"
         "    z.writestr('a/version', '3\\n')\n" + extra);
  return path;
}

std::string load_error(const std::string& path) { return error_message([&] { torch_load(path); }); }

}  // namespace

TEST(TorchSave, RefusesWhatWeightsOnlyRefuses) {
  TempDir dir;
  // A pickle that would run a shell command in Python's unrestricted torch.load.
  const std::string evil = dir.file("evil.pt");
  python("import os\nclass E:\n    def __reduce__(self): return (os.system, ('echo owned',))\n"
         "torch.save({'x': E()}, " + q(evil) + ")");
  EXPECT_EQ(load_error(evil), "invalid torch.save file '" + evil +
                                  "' at byte offset 77: unsupported global 'posix.system' (nabla constructs only "
                                  "what torch.load(weights_only=True) allows)");
  // REDUCE of an allowed global that is not a function nabla calls.
  const std::string p1 = archive_with(dir, "reduce.pt", "b'\\x80\\x02ctorch\\nFloatStorage\\n)R.'");
  EXPECT_NE(load_error(p1).find("calling 'torch.FloatStorage' (REDUCE) is not supported"), std::string::npos);
  // A class of the user's (a whole pickled module).
  const std::string p2 = dir.file("module.pt");
  python("torch.save(torch.nn.Linear(2, 2), " + q(p2) + ")");
  EXPECT_NE(load_error(p2).find("unsupported global 'torch.nn.modules.linear.Linear'"), std::string::npos);
  // Sets, bytes.
  const std::string p3 = archive_with(dir, "set.pt", "__import__('pickle').dumps({1, 2}, protocol=4)", "");
  EXPECT_NE(load_error(p3).find("sets are not supported"), std::string::npos);
  // TorchScript.
  const std::string p4 = dir.file("script.pt");
  python("torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), " + q(p4) + ")");
  EXPECT_NE(load_error(p4).find("this is a TorchScript archive (torch.jit.save)"), std::string::npos);
}

TEST(TorchSave, RefusesHostileSizesAndStructures) {
  TempDir dir;
  // _rebuild_tensor_v2 with a size far beyond its 2-element storage.
  const std::string rebuild = "b'\\x80\\x02ctorch._utils\\n_rebuild_tensor_v2\\n((X\\x07\\x00\\x00\\x00storage"
                              "ctorch\\nFloatStorage\\nX\\x01\\x00\\x00\\x000X\\x03\\x00\\x00\\x00cpuK\\x02tQK\\x00";
  const std::string p1 = archive_with(dir, "huge.pt", rebuild + "\\x8a\\x06\\x00\\x00\\x00\\x00\\x00\\x01\\x85K\\x01"
                                                              "\\x85\\x89}tR.'",
                                      "    z.writestr('a/data/0', b'\\x00' * 8)\n");
  EXPECT_NE(load_error(p1).find("a tensor of size [1099511627776], stride [1] and offset 0 needs a storage of "
                                "1099511627776 elements, but its storage has 2"),
            std::string::npos)
      << load_error(p1);
  // The storage's member holds fewer bytes than its element count needs.
  const std::string p2 = archive_with(dir, "short.pt", rebuild + "K\\x02\\x85K\\x01\\x85\\x89}tR.'",
                                      "    z.writestr('a/data/0', b'\\x00' * 7)\n");
  EXPECT_NE(load_error(p2).find("expected 8 bytes for the storage '0' of 2 elements, but its member has 7"),
            std::string::npos)
      << load_error(p2);
  // A storage without its member.
  const std::string p3 = archive_with(dir, "nodata.pt", rebuild + "K\\x02\\x85K\\x01\\x85\\x89}tR.'");
  EXPECT_NE(load_error(p3).find("the storage '0' has no member 'a/data/0'"), std::string::npos) << load_error(p3);
  // A list that contains itself; nesting deeper than 200.
  const std::string p4 = archive_with(dir, "cycle.pt", "b'\\x80\\x02]q\\x00h\\x00a.'");
  EXPECT_NE(load_error(p4).find("refer to themselves (a cycle)"), std::string::npos) << load_error(p4);
  const std::string p5 = archive_with(dir, "deep.pt", "b'\\x80\\x02' + b'(' * 300 + b']' + b'l' * 300 + b'.'");
  EXPECT_NE(load_error(p5).find("expected containers nested at most 200 deep"), std::string::npos) << load_error(p5);
  // Stack underflow, memo misses, unknown opcodes, truncation.
  EXPECT_NE(load_error(archive_with(dir, "under.pt", "b'\\x80\\x02a.'")).find("unpickling stack underflow"),
            std::string::npos);
  EXPECT_NE(load_error(archive_with(dir, "memo.pt", "b'\\x80\\x02h\\x05.'")).find("memo key 5 was never stored"),
            std::string::npos);
  EXPECT_NE(load_error(archive_with(dir, "text.pt", "b'I01\\n.'")).find("unsupported pickle opcode 0x49"),
            std::string::npos);
  EXPECT_NE(load_error(archive_with(dir, "trunc.pt", "b'\\x80\\x02X\\xff\\x00\\x00\\x00ab'")).find("a string"),
            std::string::npos);
  // Duplicate members.
  const std::string p6 = archive_with(dir, "dup.pt", "b'\\x80\\x02K\\x01.'",
                                      "    z.writestr('a/data.pkl', b'\\x80\\x02K\\x02.')\n");
  EXPECT_NE(load_error(p6).find("the member 'a/data.pkl' appears twice"), std::string::npos) << load_error(p6);
  // Bool storage bytes other than 0 and 1.
  const std::string boolp = dir.file("bool.pt");
  python("torch.save(torch.tensor([True, False]), " + q(boolp) + ")\n"
         "import zipfile\nz = zipfile.ZipFile(" + q(boolp) + ")\nitems = [(i, z.read(i)) for i in z.infolist()]\n"
         "z.close()\nwith zipfile.ZipFile(" + q(boolp) + ", 'w') as w:\n"
         "    for i, b in items: w.writestr(i.filename, b'\\x07\\x00' if i.filename.endswith('data/0') else b)");
  EXPECT_NE(load_error(boolp).find("expected the bytes of a bool storage to be 0 or 1, got 7"), std::string::npos)
      << load_error(boolp);
  // Every truncation of a real file is refused with a nabla::Error.
  const std::string real = dir.file("real.pt");
  python("torch.save({'w': torch.ones(3), 'n': [1, 2]}, " + q(real) + ")");
  const std::vector<uint8_t> bytes = read_bytes(real);
  for (size_t n = 0; n < bytes.size(); n += 7) {
    const std::vector<char> part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(error_message([&] { pickle_load(part); }).find("invalid torch.save file"), std::string::npos) << n;
  }
  const std::string legacy = dir.file("legacy.pt");
  python("torch.save({'w': torch.ones(3), 'n': [1, 2]}, " + q(legacy) + ", _use_new_zipfile_serialization=False)");
  const std::vector<uint8_t> lbytes = read_bytes(legacy);
  for (size_t n = 0; n < lbytes.size(); n += 5) {
    const std::vector<char> part(lbytes.begin(), lbytes.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_NE(error_message([&] { pickle_load(part); }).find("invalid torch.save file"), std::string::npos) << n;
  }
}

// ---- optimizers ------------------------------------------------------------------------------

namespace {

struct OptCase {
  const char* python;  // the optimizer in Python, over m.parameters()
  std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)> make;  // nabla's (options are loaded)
};

}  // namespace

TEST(TorchSave, OptimizerStateDictsTravelBothWays) {
  TempDir dir;
  const std::vector<OptCase> cases = {
      {"torch.optim.Adam(m.parameters(), lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)",
       [](std::vector<Tensor> p) { return std::make_unique<optim::Adam>(p, optim::AdamOptions(1)); }},
      {"torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, nesterov=True)",
       [](std::vector<Tensor> p) { return std::make_unique<optim::SGD>(p, optim::SGDOptions(1)); }},
  };
  for (const OptCase& c : cases) {
    const std::string path = dir.file("python.pt");
    const std::string setup = "torch.manual_seed(0)\nm = torch.nn.Linear(3, 2)\nopt = " + std::string(c.python) +
                              "\nx = torch.randn(4, 3)\n"
                              "def step():\n    opt.zero_grad(); m(x).pow(2).sum().backward(); opt.step()\n";
    auto r = oracle::run(setup + "for _ in range(3): step()\n"
                                 "torch.save({'model': m.state_dict(), 'opt': opt.state_dict(), 'x': x}, " + q(path) +
                         ")\nstep()\nout = (m.weight.detach(), m.bias.detach())");
    ASSERT_TRUE(r.ok) << r.error;
    const GenericDict ckpt = torch_load(path).toGenericDict();
    nn::Linear lin(3, 2);
    lin->load_state_dict(to_state_dict(ckpt.at("model")));
    auto opt = c.make(lin->parameters());
    opt->load_state_dict(ckpt.at("opt"));
    const Tensor x = ckpt.at("x").toTensor();
    auto step = [&] {
      opt->zero_grad();
      lin->forward(x).pow(2).sum().backward();
      opt->step();
    };
    step();
    EXPECT_TRUE(close_values(lin->weight, r.outputs[0], 1e-6, 1e-7)) << c.python;
    EXPECT_TRUE(close_values(lin->bias, r.outputs[1], 1e-6, 1e-7)) << c.python;

    // And back: Python continues from nabla's state as nabla does.
    const std::string back = dir.file("nabla.pt");
    GenericDict out;
    out.insert_or_assign("model", IValue(lin->state_dict()));
    out.insert_or_assign("opt", opt->state_dict().to_ivalue());
    torch_save(out, back);
    step();
    auto r2 = oracle::run(setup + "c = torch.load(" + q(back) + ")\nm.load_state_dict(c['model'])\n"
                                  "opt.load_state_dict(c['opt'])\nstep()\nout = (m.weight.detach(), m.bias.detach())");
    ASSERT_TRUE(r2.ok) << r2.error;
    EXPECT_TRUE(close_values(lin->weight, r2.outputs[0], 1e-6, 1e-7)) << c.python;
    EXPECT_TRUE(close_values(lin->bias, r2.outputs[1], 1e-6, 1e-7)) << c.python;
  }
  nn::Linear lin(3, 2);
  optim::SGD sgd(lin->parameters(), optim::SGDOptions(0.1));
  GenericDict bad;
  bad.insert_or_assign("state", GenericDict());
  EXPECT_EQ(error_message([&] { sgd.load_state_dict(IValue(bad)); }),
            "an optimizer state_dict must have the keys 'state' and 'param_groups'");
}
