// Trains an MLP or a small CNN on Fashion-MNIST, the way a PyTorch training script does:
// DataLoader, nn modules, cross-entropy, an optimizer and an LR scheduler, a test pass after
// each epoch, a checkpoint per epoch that --resume continues from, metrics as CSV and SVG.
//   ./train_fashion_mnist                               # MLP, 2 epochs, Adam, cosine LR: under a minute
//   ./train_fashion_mnist --model cnn --epochs 5 --out runs/cnn
//   ./train_fashion_mnist --resume runs/cnn/checkpoint_epoch3.safetensors --epochs 5 --out runs/cnn
//   mpirun -np 2 ./train_fashion_mnist --distributed      # each process computes half of every batch
// Writes OUT/metrics.csv, OUT/metrics.svg, OUT/checkpoint_epoch<N>.safetensors (model, optimizer,
// scheduler, loader, rng, epoch) and OUT/model.safetensors (the model's state_dict, PyTorch keys:
// torch's model.load_state_dict(safetensors.torch.load_file("model.safetensors")) reads it).
#include <nabla/checkpoint.h>
#include <nabla/distributed.h>
#include <nabla/nabla.h>
#include <nabla/nn/parallel/distributed.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>

#include "fashion_mnist_models.h"
#include "progress_bar.h"

namespace {

namespace nn = nabla::nn;
namespace optim = nabla::optim;
namespace data = nabla::data;
using Clock = std::chrono::steady_clock;

struct Config {
  std::string model = "mlp";
  int64_t epochs = 2;
  size_t batch_size = 64;
  double lr = 0;  // 0: the optimizer's default
  std::string optimizer = "adam";
  std::string scheduler = "cosine";
  int threads = 1;
  uint64_t seed = 0;
  std::string out = "runs/fashion_mnist";
  std::string resume;
  std::string data_root = data::datasets::FashionMNIST::kDefaultRoot;
  size_t train_limit = 0;  // 0: all images
  bool distributed = false;
};

// Fashion-MNIST's pixel mean and standard deviation (training set).
constexpr double kMean = 0.2860, kStd = 0.3530;

std::unique_ptr<optim::Optimizer> make_optimizer(const Config& c, const std::vector<nabla::Tensor>& params) {
  if (c.optimizer == "sgd") {
    return std::make_unique<optim::SGD>(params, optim::SGDOptions(c.lr > 0 ? c.lr : 0.05).momentum(0.9));
  }
  if (c.optimizer == "adamw")
    return std::make_unique<optim::AdamW>(params, optim::AdamWOptions(c.lr > 0 ? c.lr : 1e-3));
  return std::make_unique<optim::Adam>(params, optim::AdamOptions(c.lr > 0 ? c.lr : 1e-3));
}

// Epoch schedulers step after each epoch; OneCycleLR steps after each batch.
std::unique_ptr<optim::LRScheduler> make_scheduler(const Config& c, optim::Optimizer& opt, size_t batches) {
  if (c.scheduler == "step") return std::make_unique<optim::StepLR>(opt, 2, 0.5);
  if (c.scheduler == "cosine") return std::make_unique<optim::CosineAnnealingLR>(opt, c.epochs);
  if (c.scheduler == "onecycle") {
    const double max_lr = opt.param_groups()[0].options().get_lr();
    return std::make_unique<optim::OneCycleLR>(
        opt, optim::OneCycleLROptions({max_lr}).total_steps(c.epochs * static_cast<int64_t>(batches)));
  }
  return nullptr;
}

struct Row {
  int64_t epoch;
  double train_loss, test_loss, test_accuracy, lr, seconds;
};

std::string csv(const std::vector<Row>& rows) {
  std::ostringstream s;
  s << "epoch,train_loss,test_loss,test_accuracy,lr,seconds\n";
  char line[256];
  for (const auto& r : rows) {
    std::snprintf(line, sizeof line, "%lld,%.9g,%.9g,%.6f,%.9g,%.3f\n", static_cast<long long>(r.epoch), r.train_loss,
                  r.test_loss, r.test_accuracy, r.lr, r.seconds);
    s << line;
  }
  return s.str();
}

std::vector<Row> parse_csv(const std::string& text) {
  std::vector<Row> rows;
  std::istringstream s(text);
  std::string line;
  std::getline(s, line);  // header
  while (std::getline(s, line)) {
    Row r{};
    long long e = 0;
    if (std::sscanf(line.c_str(), "%lld,%lf,%lf,%lf,%lf,%lf", &e, &r.train_loss, &r.test_loss, &r.test_accuracy, &r.lr,
                    &r.seconds) == 6) {
      r.epoch = e;
      rows.push_back(r);
    }
  }
  return rows;
}

void write_metrics(const std::vector<Row>& rows, const std::string& dir) {
  std::ofstream(dir + "/metrics.csv") << csv(rows);
  std::vector<double> x, train, test, acc;
  for (const auto& r : rows) {
    x.push_back(static_cast<double>(r.epoch));
    train.push_back(r.train_loss);
    test.push_back(r.test_loss);
    acc.push_back(r.test_accuracy);
  }
  nabla::viz::save_charts({{"Loss", "epoch", "cross-entropy", {{"train", x, train}, {"test", x, test}}},
                           {"Test accuracy", "epoch", "accuracy", {{"test", x, acc}}}},
                          dir + "/metrics.svg");
}

// The checkpoint's run settings must match the command line's.
void check_same(const nabla::Checkpoint& ckpt, const std::string& key, const std::string& value) {
  const std::string saved = ckpt.get_string(key + "_kind");
  if (saved != value) {
    throw std::runtime_error("--resume: the checkpoint was made with --" + key + " " + saved + ", not " + value);
  }
}

// Note [Distributed demo]
// With --distributed every process reads the same batches in the same order, and rank r
// computes rows [B*r/n, B*(r+1)/n) of each. Its loss is its rows' summed cross-entropy divided
// by the whole batch size B and multiplied by n, so that DistributedDataParallel's average of
// the ranks' gradients is exactly the gradient of the batch's mean loss: the run's losses and
// weights are those of the single-process run with the same --batch-size and --seed. Only
// rank 0 prints and writes files.
int run(const Config& c) {
  nabla::set_num_threads(c.threads);
  nabla::manual_seed(c.seed);
  int rank = 0, world = 1;
  if (c.distributed) {
    nabla::distributed::init_process_group("mpi");
    rank = nabla::distributed::get_rank();
    world = nabla::distributed::get_world_size();
    if (c.batch_size < static_cast<size_t>(world))
      throw std::runtime_error("--batch-size must be at least the number of processes");
  }
  const bool leader = rank == 0;
  if (leader) std::filesystem::create_directories(c.out);

  auto train_full = std::make_shared<data::datasets::FashionMNIST>(c.data_root, true);
  const size_t n_train = c.train_limit > 0 ? std::min(c.train_limit, *train_full->size()) : *train_full->size();
  std::vector<size_t> indices(n_train);
  std::iota(indices.begin(), indices.end(), size_t{0});
  auto train_set = data::Subset<data::datasets::FashionMNIST>(train_full, std::move(indices))
                       .map(data::transforms::Normalize<>(kMean, kStd));
  data::DataLoader train_loader(std::move(train_set), data::DataLoaderOptions(c.batch_size).shuffle(true).seed(c.seed));
  auto test_set = data::datasets::FashionMNIST(c.data_root, false).map(data::transforms::Normalize<>(kMean, kStd));
  data::DataLoader test_loader(std::move(test_set), data::DataLoaderOptions(1000));

  nn::Sequential model = fashion_mnist_model(c.model);
  nabla::nn::parallel::DistributedDataParallel<nn::SequentialImpl> ddp(nullptr);
  if (c.distributed) ddp = nabla::nn::parallel::DistributedDataParallel(model.ptr());
  auto opt = make_optimizer(c, model->parameters());
  auto sched = make_scheduler(c, *opt, train_loader.size());
  const bool per_batch = c.scheduler == "onecycle";

  std::vector<Row> rows;
  int64_t start_epoch = 0;
  if (!c.resume.empty()) {
    const auto ckpt = nabla::Checkpoint::load(c.resume);
    check_same(ckpt, "model", c.model);
    check_same(ckpt, "optimizer", c.optimizer);
    check_same(ckpt, "scheduler", c.scheduler);
    model->load_state_dict(ckpt.module_state());
    opt->load_state_dict(ckpt.optimizer_state());
    if (sched) sched->load_state_dict(ckpt.scheduler_state());
    train_loader.load_state_dict(ckpt.data_loader_state());
    nabla::default_generator().set_state(ckpt.generator_state());
    start_epoch = ckpt.get_int("epoch");
    rows = parse_csv(ckpt.get_string("metrics"));
    if (leader)
      std::fprintf(stderr, "resumed from %s after epoch %lld\n", c.resume.c_str(), static_cast<long long>(start_epoch));
  }
  if (leader)
    std::cout << model << "\n"
              << train_loader.dataset().size().value() << " training images, " << train_loader.size() << " batches of "
              << c.batch_size << ", optimizer " << c.optimizer << ", scheduler " << c.scheduler << ", " << c.threads
              << (c.threads == 1 ? " thread" : " threads")
              << (c.distributed ? " per process, " + std::to_string(world) + " processes\n" : "\n");

  for (int64_t epoch = start_epoch + 1; epoch <= c.epochs; ++epoch) {
    const auto t0 = Clock::now();
    const double lr = opt->param_groups()[0].options().get_lr();
    model->train();
    std::optional<ProgressBar> bar;
    if (leader) bar.emplace(epoch, train_loader.size(), 4);
    double loss_sum = 0;
    size_t batches = 0;
    for (auto& batch : train_loader) {
      opt->zero_grad();
      nabla::Tensor loss;
      if (c.distributed) {
        // Note [Distributed demo]
        const int64_t b = batch.data.size(0), begin = b * rank / world, end = b * (rank + 1) / world;
        auto logits = ddp->forward(batch.data.narrow(0, begin, end - begin));
        loss = nn::functional::cross_entropy(logits, batch.target.narrow(0, begin, end - begin),
                                             nn::functional::CrossEntropyFuncOptions().reduction(nabla::kSum)) *
               (static_cast<double>(world) / static_cast<double>(b));
        loss.backward();
        loss = loss.detach() / world;
        nabla::distributed::all_reduce(loss);  // the batch's mean loss, for the progress bar
      } else {
        loss = nn::functional::cross_entropy(model->forward(batch.data), batch.target);
        loss.backward();
      }
      opt->step();
      if (per_batch) sched->step();
      loss_sum += loss.item<float>();
      ++batches;
      if (bar)
        bar->update(batches, [&](double secs) {
          const double rate = static_cast<double>(batches) / std::max(secs, 1e-9);
          const double eta = static_cast<double>(train_loader.size() - batches) / std::max(rate, 1e-9);
          char figures[96];
          std::snprintf(figures, sizeof figures, "%.0f batch/s  loss %.4f  ETA %.0fs", rate,
                        loss_sum / static_cast<double>(batches), eta);
          return std::string(figures);
        });
    }
    if (sched && !per_batch) sched->step();

    model->eval();
    double test_loss = 0;
    int64_t correct = 0, seen = 0;
    {
      nabla::NoGradGuard no_grad;
      for (auto& batch : test_loader) {
        auto logits = model->forward(batch.data);
        test_loss += nn::functional::cross_entropy(logits, batch.target,
                                                   nn::functional::CrossEntropyFuncOptions().reduction(nabla::kSum))
                         .item<float>();
        correct += logits.argmax(1).eq(batch.target).sum().item<int64_t>();
        seen += batch.target.size(0);
      }
    }
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    rows.push_back({epoch, loss_sum / static_cast<double>(batches), test_loss / static_cast<double>(seen),
                    static_cast<double>(correct) / static_cast<double>(seen), lr, secs});
    const Row& r = rows.back();
    if (!leader) continue;
    std::printf("epoch %lld  train loss %.4f  test loss %.4f  test accuracy %.2f%%  %.1fs\n",
                static_cast<long long>(epoch), r.train_loss, r.test_loss, 100 * r.test_accuracy, r.seconds);
    std::fflush(stdout);

    write_metrics(rows, c.out);
    nabla::Checkpoint ckpt;
    ckpt.add_module(*model);
    ckpt.add_optimizer(*opt);
    if (sched) ckpt.add_scheduler(*sched);
    ckpt.add_data_loader(train_loader);
    ckpt.add_generator();
    ckpt.set_int("epoch", epoch);
    ckpt.set_string("model_kind", c.model);
    ckpt.set_string("optimizer_kind", c.optimizer);
    ckpt.set_string("scheduler_kind", c.scheduler);
    ckpt.set_string("metrics", csv(rows));
    ckpt.save(c.out + "/checkpoint_epoch" + std::to_string(epoch) + ".safetensors");
  }
  if (leader) {
    nabla::save(model->state_dict(), c.out + "/model.safetensors");
    std::cout << "wrote " << c.out << "/metrics.csv, metrics.svg, checkpoints and model.safetensors\n";
  }
  if (c.distributed) nabla::distributed::destroy_process_group();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  CLI::App app{"Train an MLP or a CNN on Fashion-MNIST with nabla"};
  app.add_option("--model", c.model, "mlp (784-256-128-10) or cnn (two conv layers)")
      ->check(CLI::IsMember({"mlp", "cnn"}))
      ->capture_default_str();
  app.add_option("--epochs", c.epochs, "number of epochs")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--batch-size", c.batch_size, "batch size")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--lr", c.lr, "learning rate (default: 0.05 for sgd, 1e-3 for adam and adamw)")
      ->check(CLI::PositiveNumber);
  app.add_option("--optimizer", c.optimizer, "sgd (momentum 0.9), adam or adamw")
      ->check(CLI::IsMember({"sgd", "adam", "adamw"}))
      ->capture_default_str();
  app.add_option("--scheduler", c.scheduler,
                 "none, step (x0.5 every 2 epochs), cosine (annealed to 0 over --epochs) or onecycle")
      ->check(CLI::IsMember({"none", "step", "cosine", "onecycle"}))
      ->capture_default_str();
  app.add_option("--threads", c.threads, "threads (nabla and OpenBLAS)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--seed", c.seed, "random seed (weights, order, dropout)")->capture_default_str();
  app.add_option("--out", c.out, "output directory")->capture_default_str();
  app.add_option("--resume", c.resume, "continue from a checkpoint_epoch<N>.safetensors")->check(CLI::ExistingFile);
  app.add_option("--data", c.data_root, "Fashion-MNIST directory (IDX files)")->capture_default_str();
  app.add_option("--train-limit", c.train_limit, "use only the first N training images (0: all)");
  app.add_flag("--distributed", c.distributed,
               "data-parallel over the processes of mpirun (MPI): same batches, losses and weights as one process");
  CLI11_PARSE(app, argc, argv);
  try {
    return run(c);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    // The other processes would wait for this one in their next collective until the group's
    // timeout: end the whole job now.
    if (nabla::distributed::is_initialized()) nabla::distributed::default_process_group()->abort(1);
    return 1;
  }
}
