// Training checkpoints (nabla::Checkpoint): resuming mid-epoch gives bit-identical losses, every
// section round-trips, PyTorch loads the model section, corrupt files are rejected, and a failed
// save leaves the previous checkpoint intact.
#include <nabla/checkpoint.h>
#include <nabla/nabla.h>
#include <signal.h>
#include <sys/resource.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>

#include "data/data_testing.h"
#include "support/oracle.h"

namespace nabla::testing {
namespace {

namespace F = nn::functional;

nn::Sequential make_mlp() { return nn::Sequential(nn::Linear(8, 16), nn::ReLU(), nn::Dropout(0.3), nn::Linear(16, 3)); }

data::TensorDataset make_dataset() {
  auto gen = make_generator<CPUGeneratorImpl>(123);
  Tensor x = randn({100, 8}, gen);
  Tensor y = randint(0, 3, {100}, gen);
  return data::TensorDataset(x, y);
}

// Everything a training run holds; a fresh one is built after a different manual_seed.
struct TrainingRun {
  explicit TrainingRun(uint64_t seed)
      : model((manual_seed(seed), make_mlp())),
        opt(model->parameters(), optim::AdamOptions(0.01)),
        sched(opt, /*step_size=*/1, /*gamma=*/0.5),
        loader(make_dataset(), data::DataLoaderOptions(16).shuffle(true).seed(7)) {}

  // Trains until epoch `end_epoch` (exclusive) or, within `stop_epoch`, after `stop_batch`
  // batches; returns the losses.
  std::vector<float> train(int64_t first_epoch, int64_t end_epoch, int64_t stop_epoch = -1, size_t stop_batch = 0) {
    std::vector<float> losses;
    model->train();
    for (int64_t epoch = first_epoch; epoch < end_epoch; ++epoch) {
      size_t b = 0;
      for (auto& batch : loader) {
        opt.zero_grad();
        Tensor loss = F::cross_entropy(model->forward(batch.data), batch.target);
        loss.backward();
        opt.step();
        losses.push_back(loss.item<float>());
        if (epoch == stop_epoch && ++b == stop_batch) return losses;
      }
      sched.step();
    }
    return losses;
  }

  Checkpoint checkpoint(int64_t epoch) const {
    Checkpoint c;
    c.add_module(*model);
    c.add_optimizer(opt);
    c.add_scheduler(sched);
    c.add_data_loader(loader);
    c.add_generator();
    c.set_int("epoch", epoch);
    return c;
  }

  void restore(const Checkpoint& c) {
    model->load_state_dict(c.module_state());
    opt.load_state_dict(c.optimizer_state());
    sched.load_state_dict(c.scheduler_state());
    loader.load_state_dict(c.data_loader_state());
    default_generator().set_state(c.generator_state());
  }

  nn::Sequential model;
  optim::Adam opt;
  optim::StepLR sched;
  data::DataLoader<data::TensorDataset> loader;
};

TEST(Checkpoint, ResumeMidEpochIsBitIdentical) {
  TempDir dir;
  const std::string path = dir.file("ckpt.safetensors");
  std::vector<float> full;
  {
    TrainingRun run(1);
    full = run.train(0, 2);
  }
  ASSERT_EQ(full.size(), 14u);  // 7 batches of 16 (the last of 4) per epoch
  std::vector<float> head;
  {
    TrainingRun run(1);
    head = run.train(0, 2, /*stop_epoch=*/1, /*stop_batch=*/3);
    run.checkpoint(1).save(path);
  }
  ASSERT_EQ(head.size(), 10u);
  for (size_t i = 0; i < head.size(); ++i) ASSERT_EQ(head[i], full[i]) << "batch " << i;
  TrainingRun fresh(999);
  Checkpoint c = Checkpoint::load(path);
  fresh.restore(c);
  const std::vector<float> tail = fresh.train(c.get_int("epoch"), 2);
  ASSERT_EQ(tail.size(), 4u);
  for (size_t i = 0; i < tail.size(); ++i) EXPECT_EQ(tail[i], full[10 + i]) << "batch " << 10 + i;
  EXPECT_EQ(fresh.sched.get_last_lr(), std::vector<double>{0.0025});
}

void expect_same_maps(const optim::OptionMap& a, const optim::OptionMap& b) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [k, v] : a) {
    ASSERT_TRUE(b.count(k)) << k;
    const auto& w = b.at(k);
    ASSERT_EQ(v.index(), w.index()) << k;
    if (std::holds_alternative<double>(v) && std::isnan(std::get<double>(v))) {
      EXPECT_TRUE(std::isnan(std::get<double>(w))) << k;
    } else {
      EXPECT_TRUE(v == w) << k;
    }
  }
}

TEST(Checkpoint, EverySectionRoundTrips) {
  TempDir dir;
  const std::string path = dir.file("all.safetensors");
  TrainingRun run(3);
  run.train(0, 1, 0, 2);

  optim::OptimizerStateDict lists;  // tensor lists and every kind of value, as LBFGS keeps
  lists.state[4].tensor_lists["old_dirs"] = {randn({3}, kDouble), randn({3}, kDouble)};
  lists.state[4].tensor_lists["old_stps"] = {};
  lists.state[4].values = {{"n_iter", int64_t{-5}},
                           {"t", 1.0},
                           {"prev_loss", std::numeric_limits<double>::quiet_NaN()},
                           {"H_diag", -std::numeric_limits<double>::infinity()},
                           {"ro", std::vector<double>{0.1, std::numeric_limits<double>::infinity()}},
                           {"none", std::monostate{}},
                           {"flag", true},
                           {"name", std::string("x \"y\"")}};
  lists.param_groups.push_back({{{"lr", 0.5}, {"betas", std::vector<double>{0.9, 0.999}}}, {4}});
  optim::SchedulerStateDict chained;
  chained.values = {{"best", std::numeric_limits<double>::infinity()}, {"last_epoch", int64_t{3}}};
  chained.schedulers = {run.sched.state_dict(), {}};

  Checkpoint c = run.checkpoint(0);
  c.add_optimizer_state(lists, "lbfgs");
  c.add_scheduler_state(chained, "chained");
  c.add_generator(make_generator<CPUGeneratorImpl>(5), "other_rng");
  c.set_string("note", "héllo");
  c.set_int("big", std::numeric_limits<int64_t>::min());
  c.save(path);
  const Checkpoint r = Checkpoint::load(path);

  EXPECT_EQ(r.sections(), (std::vector<std::string>{"big", "chained", "epoch", "lbfgs", "loader", "model", "note",
                                                    "optimizer", "other_rng", "rng", "scheduler"}));
  const auto sd = run.model->state_dict();
  const auto ms = r.module_state();
  ASSERT_EQ(ms.size(), sd.size());
  for (size_t i = 0; i < sd.size(); ++i) {
    EXPECT_EQ(ms[i].key(), sd[i].key());
    EXPECT_SAME(ms[i].value(), sd[i].value());
  }
  for (const auto& [name, want] : {std::pair{"optimizer", run.opt.state_dict()}, std::pair{"lbfgs", lists}}) {
    const auto got = r.optimizer_state(name);
    ASSERT_EQ(got.state.size(), want.state.size());
    for (const auto& [i, ps] : want.state) {
      const auto& g = got.state.at(i);
      ASSERT_EQ(g.tensors.size(), ps.tensors.size());
      for (const auto& [k, t] : ps.tensors) EXPECT_SAME(g.tensors.at(k), t);
      ASSERT_EQ(g.tensor_lists.size(), ps.tensor_lists.size());
      for (const auto& [k, l] : ps.tensor_lists) {
        ASSERT_EQ(g.tensor_lists.at(k).size(), l.size());
        for (size_t j = 0; j < l.size(); ++j) EXPECT_SAME(g.tensor_lists.at(k)[j], l[j]);
      }
      expect_same_maps(g.values, ps.values);
    }
    ASSERT_EQ(got.param_groups.size(), want.param_groups.size());
    for (size_t i = 0; i < want.param_groups.size(); ++i) {
      expect_same_maps(got.param_groups[i].options, want.param_groups[i].options);
      EXPECT_EQ(got.param_groups[i].params, want.param_groups[i].params);
    }
  }
  const auto sched = r.scheduler_state("chained");
  expect_same_maps(sched.values, chained.values);
  ASSERT_EQ(sched.schedulers.size(), 2u);
  expect_same_maps(sched.schedulers[0].values, run.sched.state_dict().values);
  EXPECT_TRUE(sched.schedulers[1].values.empty());
  const auto ls = r.data_loader_state();
  const auto want_ls = run.loader.state_dict();
  ASSERT_EQ(ls.size(), want_ls.size());
  for (size_t i = 0; i < ls.size(); ++i) {
    EXPECT_EQ(ls[i].first, want_ls[i].first);
    EXPECT_SAME(ls[i].second, want_ls[i].second);
  }
  EXPECT_EQ(r.generator_state(), default_generator().get_state());
  EXPECT_EQ(r.generator_state("other_rng"), make_generator<CPUGeneratorImpl>(5).get_state());
  EXPECT_EQ(r.get_int("epoch"), 0);
  EXPECT_EQ(r.get_int("big"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(r.get_string("note"), "héllo");

  EXPECT_EQ(error_message([&] { r.optimizer_state("opt"); }),
            "Checkpoint has no section 'opt' (optimizer); its sections are: big, chained, epoch, lbfgs, loader, "
            "model, note, optimizer, other_rng, rng, scheduler");
  EXPECT_EQ(error_message([&] { r.get_int("note"); }), "Checkpoint section 'note' is of kind 'string', not 'int'");
  EXPECT_EQ(error_message([&] { c.set_int("epoch", 2); }), "Checkpoint: a section named 'epoch' already exists");
}

TEST(Checkpoint, PyTorchLoadsTheModelSection) {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  TrainingRun run(4);
  run.train(0, 1);
  run.checkpoint(1).save(path);
  run.model->eval();
  Tensor x = randn({5, 8});
  Tensor want;
  {
    NoGradGuard guard;
    want = run.model->forward(x);
  }
  // A minimal safetensors reader (json + struct), or the safetensors package where installed.
  const std::string code = R"PY(
import json, struct
try:
    from safetensors.torch import load_file
except ImportError:
    def load_file(path):
        DT = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64, 'U8': torch.uint8}
        raw = open(path, 'rb').read()
        (n,) = struct.unpack('<Q', raw[:8])
        header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
        out = {}
        for k, e in header.items():
            if k == '__metadata__':
                continue
            b, end = e['data_offsets']
            buf = bytearray(data[b:end])
            t = torch.frombuffer(buf, dtype=DT[e['dtype']]) if buf else torch.empty(0, dtype=DT[e['dtype']])
            out[k] = t.reshape(e['shape']).clone()
        return out
d = load_file(')PY" + path +
                           R"PY(')
sd = {k[len('model.'):]: v for k, v in d.items() if k.startswith('model.')}
m = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 3))
m.load_state_dict(sd, strict=True)
m.eval()
with torch.no_grad():
    y = m(x)
out = [y, ','.join(sorted(sd)), str('optimizer.state.0.exp_avg' in d and 'rng' in d)]
)PY";
  auto r = oracle::run(code, {{"x", x}});
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(allclose(r.outputs[0], want, 1e-6, 1e-6));
  EXPECT_EQ(r.strings[1], "0.bias,0.weight,3.bias,3.weight");
  EXPECT_EQ(r.strings[2], "True");
}

TEST(Checkpoint, CorruptFilesAreRejected) {
  TempDir dir;
  const std::string good = dir.file("good.safetensors");
  Checkpoint c;
  c.add_state_dict({{"w", ones({2})}});
  c.add_generator_state({1, 2, 3});
  c.set_int("epoch", 1);
  c.save(good);
  expect_every_prefix_rejected(read_bytes(good), dir.file("cut.safetensors"),
                               [](const std::string& p) { Checkpoint::load(p); });

  const std::string bad = dir.file("bad.safetensors");
  save(NamedTensors{{"model.w", ones({2})}}, bad, {{"model", R"({"kind":"module","keys":["w","b"]})"}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(bad); }),
            "Checkpoint file '" + bad + "' is malformed: the tensor 'model.b' is missing");
  save(NamedTensors{{"model.w", ones({2})}, {"stray", ones({1})}}, bad,
       {{"model", R"({"kind":"module","keys":["w"]})"}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(bad); }),
            "Checkpoint file '" + bad + "' is malformed: the tensor 'stray' belongs to no section");
  save(NamedTensors{}, bad, {{"epoch", "3"}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(bad); }),
            "Checkpoint file '" + bad +
                "' is malformed: section 'epoch' is not a checkpoint section (expected a JSON object with a \"kind\")");
  save(NamedTensors{}, bad, {{"s", R"({"kind":"scheduler","values":{"lr":{"bad":1}},"schedulers":[]})"}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(bad); }),
            "Checkpoint file '" + bad + "' is malformed: Checkpoint: expected a float, got {\"bad\":1}");
  save(NamedTensors{}, bad, {{"s", R"({"kind":"scheduler","values":{}})"}});
  EXPECT_NE(error_message([&] { Checkpoint::load(bad); }).find("Checkpoint file '" + bad + "' is malformed: "),
            std::string::npos);
  save(NamedTensors{}, bad, {{"epoch", R"({"kind":"int","value":"3"})"}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(bad); }),
            "Checkpoint file '" + bad + "' is malformed: Checkpoint section 'epoch' has no integer value");
  save(NamedTensors{{"rng", ones({3})}}, bad, {{"rng", R"({"kind":"generator"})"}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(bad); }),
            "Checkpoint file '" + bad + "' is malformed: Checkpoint section 'rng' must hold a 1-D uint8 tensor");
  save(NamedTensors{}, bad, {{"x", R"({"kind":"tensor"})"}});
  EXPECT_EQ(error_message([&] { Checkpoint::load(bad); }),
            "Checkpoint file '" + bad + "' is malformed: unknown section kind 'tensor'");
}

TEST(Checkpoint, FailedSaveKeepsThePreviousCheckpoint) {
  TempDir dir;
  const std::string p = dir.file("ckpt.safetensors");
  Checkpoint old;
  old.set_int("epoch", 1);
  old.add_state_dict({{"w", ones({4})}});
  old.save(p);
  const std::vector<uint8_t> before = read_bytes(p);
  Checkpoint big;
  big.set_int("epoch", 2);
  big.add_state_dict({{"w", ones({100000})}});
  // A file size limit makes the write of the larger new checkpoint fail half-way (EFBIG).
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto previous = signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string msg = error_message([&] { big.save(p); });
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous);
  EXPECT_EQ(msg, "cannot write file '" + p + "': write failed: File too large");
  EXPECT_EQ(read_bytes(p), before);
  EXPECT_EQ(Checkpoint::load(p).get_int("epoch"), 1);
}

}  // namespace
}  // namespace nabla::testing
