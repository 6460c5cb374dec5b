// DataLoader: PyTorch's batch order, workers, drop_last, collate, resuming mid-epoch.
#include <nabla/data.h>
#include <nabla/serialize.h>

#include <mutex>
#include <set>
#include <thread>

#include "data/data_testing.h"

namespace nabla::testing {
namespace {

using namespace nabla::data;

datasets::TensorDataset range_dataset(int64_t n) { return datasets::TensorDataset(arange(n), arange(n) * 10); }

// The data of `epochs` epochs, concatenated, and the batch sizes.
template <typename Loader>
std::pair<Tensor, std::vector<int64_t>> run_epochs(Loader& loader, int epochs) {
  std::vector<Tensor> parts;
  std::vector<int64_t> sizes;
  for (int e = 0; e < epochs; ++e)
    for (auto& batch : loader) {
      EXPECT_SAME(batch.target, batch.data * 10);
      parts.push_back(batch.data);
      sizes.push_back(batch.data.size(0));
    }
  return {cat(parts), sizes};
}

std::string python_loader(int64_t n, int64_t bs, bool drop_last, const std::string& extra) {
  return "ds = torch.utils.data.TensorDataset(torch.arange(" + std::to_string(n) + "))\n" +
         "dl = torch.utils.data.DataLoader(ds, batch_size=" + std::to_string(bs) +
         ", drop_last=" + (drop_last ? "True" : "False") + extra + ")\n";
}

TEST(DataLoader, ShuffledOrderIsPyTorchsForAGeneratorSeed) {
  for (int64_t n : {10, 37}) {
    for (int64_t bs : {4, 5}) {
      for (bool drop_last : {false, true}) {
        for (uint64_t seed : {0, 123}) {
          DataLoader loader(range_dataset(n),
                            DataLoaderOptions(static_cast<size_t>(bs)).shuffle(true).seed(seed).drop_last(drop_last));
          const auto [data, sizes] = run_epochs(loader, 3);
          const auto r = oracle::run(
              python_loader(n, bs, drop_last,
                            ", shuffle=True, generator=torch.Generator().manual_seed(" + std::to_string(seed) + ")") +
              "b = [x for _ in range(3) for (x,) in dl]\nout = (torch.cat(b), torch.tensor([len(x) for x in b]), "
              "len(dl))");
          ASSERT_TRUE(r.ok) << r.error;
          EXPECT_SAME(data, r.outputs[0]) << "n=" << n << " bs=" << bs << " drop_last=" << drop_last;
          EXPECT_SAME(tensor(sizes), r.outputs[1]);
          EXPECT_EQ(static_cast<int64_t>(loader.size()), r.outputs[2].item<int64_t>());
        }
      }
    }
  }
  // A Generator object given by the caller is shared and advanced, as in Python.
  auto gen = make_generator<CPUGeneratorImpl>(7);
  DataLoader loader(range_dataset(12), DataLoaderOptions(5).shuffle(true).generator(gen));
  const Tensor data = run_epochs(loader, 2).first;
  const auto r = oracle::run(python_loader(12, 5, false, ", shuffle=True, generator=g").insert(0, "g = torch.Generator().manual_seed(7)\n") +
                             "out = (torch.cat([x for _ in range(2) for (x,) in dl]), torch.rand(3, generator=g))");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_SAME(data, r.outputs[0]);
  EXPECT_SAME(rand({3}, gen), r.outputs[1]);
}

TEST(DataLoader, WithoutAGeneratorTheDefaultGeneratorDrawsAsInPyTorch) {
  manual_seed(3);
  DataLoader shuffled(range_dataset(9), DataLoaderOptions(4).shuffle(true));
  const Tensor data = run_epochs(shuffled, 2).first;
  DataLoader sequential(range_dataset(9), DataLoaderOptions(4));
  const Tensor seq = run_epochs(sequential, 1).first;
  const Tensor after = rand({3});
  const auto r = oracle::run("torch.manual_seed(3)\n" + python_loader(9, 4, false, ", shuffle=True") +
                             "a = torch.cat([x for _ in range(2) for (x,) in dl])\n" + python_loader(9, 4, false, "") +
                             "b = torch.cat([x for (x,) in dl])\nout = (a, b, torch.rand(3))");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_SAME(data, r.outputs[0]);
  EXPECT_SAME(seq, r.outputs[1]);
  EXPECT_SAME(after, r.outputs[2]);
}

TEST(DataLoader, SequentialBatchesAndDropLast) {
  DataLoader loader(range_dataset(10), DataLoaderOptions(4));
  std::vector<Tensor> batches;
  for (auto& b : loader) batches.push_back(b.data);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_SAME(batches[2], tensor({8, 9}));
  EXPECT_EQ(loader.size(), 3u);
  DataLoader dropping(range_dataset(10), DataLoaderOptions(4).drop_last(true));
  EXPECT_EQ(dropping.size(), 2u);
  EXPECT_SAME(run_epochs(dropping, 1).first, arange(8));
  // libtorch's factory: SequentialSampler in order, RandomSampler (its default) shuffled.
  auto seq = make_data_loader<samplers::SequentialSampler>(range_dataset(6), 4);
  EXPECT_SAME(run_epochs(*seq, 1).first, arange(6));
  manual_seed(11);
  auto rnd = make_data_loader(range_dataset(6), DataLoaderOptions(4));
  const Tensor shuffled = run_epochs(*rnd, 1).first;
  manual_seed(11);
  DataLoader same(range_dataset(6), DataLoaderOptions(4).shuffle(true));
  EXPECT_SAME(run_epochs(same, 1).first, shuffled);
  // A sampler object.
  auto custom = make_data_loader(range_dataset(10), samplers::RandomSampler(10, make_generator<CPUGeneratorImpl>(1), 15),
                                 DataLoaderOptions(6));
  const auto r = oracle::run(
      "s = torch.utils.data.RandomSampler(range(10), num_samples=15, generator=torch.Generator().manual_seed(1))\n"
      "out = torch.tensor(list(s))");
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_SAME(run_epochs(*custom, 1).first, r.outputs[0]);
}

TEST(DataLoader, BreakingOutStartsANewEpochNextTime) {
  DataLoader loader(range_dataset(20), DataLoaderOptions(3).shuffle(true).seed(4));
  for (auto& b : loader) {
    (void)b;
    break;
  }
  EXPECT_EQ(loader.epoch(), 0);
  EXPECT_EQ(loader.batch_index(), 1u);
  size_t count = 0;
  for (auto& b : loader) count += static_cast<size_t>(b.data.size(0));
  EXPECT_EQ(count, 20u);
  EXPECT_EQ(loader.epoch(), 1);
  EXPECT_EQ(loader.batch_index(), 7u);
}

// A dataset that applies random transforms and notes which threads fetched.
struct Recording : datasets::Dataset<Recording> {
  explicit Recording(int64_t n) : images(sample({n, 1, 6, 6})) {}
  Example<> get(size_t i) override {
    {
      std::lock_guard<std::mutex> lock(*mutex);
      threads->insert(std::this_thread::get_id());
    }
    NABLA_CHECK(static_cast<int64_t>(i) != fail_at, "cannot load example ", i);
    Tensor img = transforms::RandomCrop<>(4, 1)(images[static_cast<int64_t>(i)]);
    img = transforms::RandomHorizontalFlip<>(0.5)(img);
    return {img, scalar_tensor(static_cast<int64_t>(i))};
  }
  std::optional<size_t> size() const override { return static_cast<size_t>(images.size(0)); }
  Tensor images;
  int64_t fail_at = -1;
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::shared_ptr<std::set<std::thread::id>> threads = std::make_shared<std::set<std::thread::id>>();
};

TEST(DataLoader, BatchesDoNotDependOnTheWorkerCount) {
  std::vector<Tensor> reference;
  for (size_t workers : {0, 1, 3}) {
    for (size_t prefetch : {1, 2}) {
      Recording ds(23);
      auto threads = ds.threads;
      DataLoader loader(ds, DataLoaderOptions(4).shuffle(true).seed(9).workers(workers).prefetch_factor(prefetch));
      std::vector<Tensor> got;
      for (int e = 0; e < 2; ++e)
        for (auto& b : loader) {
          got.push_back(b.data);
          got.push_back(b.target);
        }
      if (reference.empty()) {
        reference = got;
      } else {
        ASSERT_EQ(got.size(), reference.size());
        for (size_t i = 0; i < got.size(); ++i) EXPECT_SAME(got[i], reference[i]) << "workers=" << workers;
      }
      if (workers == 0) {
        EXPECT_EQ(*threads, std::set<std::thread::id>{std::this_thread::get_id()});
      } else {
        EXPECT_EQ(threads->count(std::this_thread::get_id()), 0u);
      }
    }
  }
  // The random transforms were drawn: the two epochs differ in content, not only order.
  EXPECT_FALSE(equal(reference[0], reference[reference.size() / 2]));
}

TEST(DataLoader, AnErrorInAWorkerReachesTheLoop) {
  for (size_t workers : {0, 2}) {
    Recording ds(12);
    ds.fail_at = 6;
    DataLoader loader(ds, DataLoaderOptions(3).workers(workers));
    size_t seen = 0;
    EXPECT_EQ(error_message([&] {
                for (auto& b : loader) seen += static_cast<size_t>(b.data.size(0));
              }),
              "cannot load example 6");
    EXPECT_EQ(seen, 6u);
  }
}

TEST(DataLoader, ResumesMidEpochFromACheckpointWithTheSameBatches) {
  TempDir dir;
  const std::string ckpt = dir.file("ckpt.safetensors");
  auto options = DataLoaderOptions(5).shuffle(true).seed(21).workers(2);
  DataLoader original(Recording(33), options);
  std::vector<Tensor> expected;
  for (auto& b : original) (void)b;  // epoch 0
  int k = 0;
  for (auto& b : original) {  // epoch 1: checkpoint after 3 batches, then keep going
    if (k++ == 3) {
      EXPECT_EQ(original.batch_index(), 4u);
      save(original.state_dict(), ckpt);
    }
    if (k > 4) expected.push_back(b.data);
  }
  for (auto& b : original) expected.push_back(b.data);  // epoch 2

  DataLoader resumed(Recording(33), options.workers(1));
  resumed.load_state_dict(load(ckpt));
  EXPECT_EQ(resumed.epoch(), 1);
  EXPECT_EQ(resumed.batch_index(), 4u);
  std::vector<Tensor> got;
  for (auto& b : resumed) got.push_back(b.data);
  EXPECT_EQ(resumed.epoch(), 1);
  for (auto& b : resumed) got.push_back(b.data);
  EXPECT_EQ(resumed.epoch(), 2);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_SAME(got[i], expected[i]);

  // A state saved between epochs resumes with the next epoch.
  DataLoader between(Recording(33), options);
  between.load_state_dict(original.state_dict());
  DataLoader reference(Recording(33), options);
  for (int e = 0; e < 3; ++e)
    for (auto& b : reference) (void)b;
  auto a = between.begin();
  auto b = reference.begin();
  EXPECT_SAME((*a).data, (*b).data);
  EXPECT_EQ(between.epoch(), 3);
}

TEST(DataLoader, StateDictIsChecked) {
  DataLoader seeded(range_dataset(10), DataLoaderOptions(3).shuffle(true).seed(1));
  DataLoader unseeded(range_dataset(10), DataLoaderOptions(3).shuffle(true));
  for (auto& b : seeded) (void)b;
  EXPECT_EQ(error_message([&] { unseeded.load_state_dict(seeded.state_dict()); }),
            "DataLoader.load_state_dict: the state has a 'generator' entry but this loader has no generator of its "
            "own (seed or generator option)");
  DataLoader other(range_dataset(12), DataLoaderOptions(3).shuffle(true).seed(1));
  EXPECT_EQ(error_message([&] { other.load_state_dict(seeded.state_dict()); }),
            "DataLoader.load_state_dict: the saved epoch has 10 indices, but this loader's has 12");
  DataLoaderState missing = seeded.state_dict();
  missing.erase(missing.begin());
  EXPECT_EQ(error_message([&] { seeded.load_state_dict(missing); }),
            "DataLoader.load_state_dict: the state has no entry 'epoch'");
}

TEST(DataLoader, CustomCollateAndOptionErrors) {
  DataLoader sums(range_dataset(7), DataLoaderOptions(3), [](std::vector<Example<>> examples) {
    int64_t total = 0;
    for (auto& e : examples) total += e.data.item<int64_t>();
    return total;
  });
  std::vector<int64_t> got;
  for (int64_t s : sums) got.push_back(s);
  EXPECT_EQ(got, (std::vector<int64_t>{3, 12, 6}));
  EXPECT_EQ(error_message([] { DataLoader(range_dataset(4), DataLoaderOptions(0)); }),
            oracle::error_of("torch.utils.data.DataLoader(range(4), batch_size=0)"));
  EXPECT_EQ(error_message([] { DataLoader(range_dataset(4), DataLoaderOptions(2).shuffle(true).seed(1).generator(make_generator<CPUGeneratorImpl>(1))); }),
            "DataLoader: give a seed or a generator, not both");
  EXPECT_EQ(error_message([] { DataLoader(range_dataset(0), DataLoaderOptions(2).shuffle(true)); }),
            oracle::error_of("torch.utils.data.DataLoader([], batch_size=2, shuffle=True)"));
  EXPECT_EQ(error_message([] {
              DataLoader(range_dataset(4), DataLoaderOptions(2).shuffle(true),
                         std::make_unique<samplers::SequentialSampler>(4));
            }),
            oracle::error_of("torch.utils.data.DataLoader(range(4), batch_size=2, shuffle=True, "
                             "sampler=torch.utils.data.SequentialSampler(range(4)))"));
}

TEST(Samplers, NextIndexAndState) {
  samplers::SequentialSampler seq(5);
  EXPECT_EQ(*seq.next(2), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(seq.index(), 2u);
  const auto state = seq.state_dict();
  EXPECT_EQ(*seq.next(4), (std::vector<size_t>{2, 3, 4}));
  EXPECT_FALSE(seq.next(1).has_value());
  seq.load_state_dict(state);
  EXPECT_EQ(*seq.next(1), (std::vector<size_t>{2}));
  seq.reset(3);
  EXPECT_EQ(*seq.next(10), (std::vector<size_t>{0, 1, 2}));

  samplers::RandomSampler rnd(8, make_generator<CPUGeneratorImpl>(5));
  rnd.reset();
  std::vector<int64_t> order;
  while (auto idx = rnd.next(3))
    for (size_t i : *idx) order.push_back(static_cast<int64_t>(i));
  const Tensor ref = oracle::eval("torch.tensor(list(torch.utils.data.RandomSampler(range(8), generator=torch.Generator().manual_seed(5))))");
  EXPECT_SAME(tensor(order), ref);
}

}  // namespace
}  // namespace nabla::testing
