#include "nabla/data/dataloader.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "data/state.h"

namespace nabla::data {

namespace {
// The generator of the batch being fetched on this thread (Note [Reproducible batches]).
thread_local Generator* t_batch_generator = nullptr;
}  // namespace

Generator& transform_generator() { return t_batch_generator ? *t_batch_generator : default_generator(); }

namespace detail {

// Note [Reproducible batches]
// The order of the examples comes from the sampler, drawn in the iterating thread at the start
// of the epoch, so it cannot depend on the workers. What a batch contains can also depend on
// random transforms (RandomCrop, RandomHorizontalFlip); were they to draw from one shared
// generator, the batches would depend on which worker fetched what first. So each batch j is
// fetched with its own generator, seeded base_seed + j, as transform_generator() of the fetching
// thread; base_seed is drawn once per epoch from the loader's generator (or the default one),
// as Python's DataLoader draws its _base_seed. Same seed, same batches, with 0 or 8 workers, and
// a resumed epoch (base_seed is part of the state) continues with the same batches.

/// Runs fetch(j) for the batches [first, end) of an epoch on `workers` threads, at most
/// `window` batches ahead of the one the consumer waits for; with no workers, wait(j) runs it.
class FetchEngine {
 public:
  FetchEngine(size_t workers, size_t window, size_t first, size_t end, int64_t base_seed,
              std::function<void(size_t)> fetch)
      : first_(first), end_(end), window_(std::max<size_t>(window, 1)), base_seed_(base_seed),
        fetch_(std::move(fetch)), done_(end - first, 0), errors_(end - first), next_(first), waiting_(first) {
    for (size_t i = 0; i < workers && i < end - first; ++i) threads_.emplace_back([this] { work(); });
  }
  ~FetchEngine() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_workers_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void wait(size_t j) {
    if (threads_.empty()) {
      run(j);
    } else {
      std::unique_lock<std::mutex> lock(mutex_);
      waiting_ = j;
      wake_workers_.notify_all();
      batch_done_.wait(lock, [&] { return done_[j - first_] != 0; });
    }
    if (errors_[j - first_]) std::rethrow_exception(errors_[j - first_]);
  }

 private:
  void run(size_t j) {
    Generator gen = make_generator<CPUGeneratorImpl>(static_cast<uint64_t>(base_seed_) + j);
    Generator* previous = t_batch_generator;
    t_batch_generator = &gen;
    try {
      fetch_(j);
    } catch (...) {
      errors_[j - first_] = std::current_exception();
    }
    t_batch_generator = previous;
  }

  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_workers_.wait(lock, [&] { return stop_ || next_ >= end_ || next_ < waiting_ + window_; });
      if (stop_ || next_ >= end_) return;
      const size_t j = next_++;
      lock.unlock();
      run(j);
      lock.lock();
      done_[j - first_] = 1;
      batch_done_.notify_all();
    }
  }

  const size_t first_, end_, window_;
  const int64_t base_seed_;
  std::function<void(size_t)> fetch_;
  std::vector<char> done_;
  std::vector<std::exception_ptr> errors_;
  size_t next_;     // the next batch a worker takes
  size_t waiting_;  // the batch the consumer waits for
  bool stop_ = false;
  std::mutex mutex_;
  std::condition_variable wake_workers_, batch_done_;
  std::vector<std::thread> threads_;
};

DataLoaderBase::DataLoaderBase(size_t dataset_size, DataLoaderOptions options,
                               std::unique_ptr<samplers::Sampler> sampler)
    : options_(std::move(options)), dataset_size_(dataset_size) {
  NABLA_CHECK(options_.batch_size() > 0, "batch_size should be a positive integer value, but got batch_size=",
              options_.batch_size());
  NABLA_CHECK(!(options_.seed() && options_.generator()), "DataLoader: give a seed or a generator, not both");
  if (options_.generator()) generator_ = *options_.generator();
  if (options_.seed()) generator_ = make_generator<CPUGeneratorImpl>(*options_.seed());
  if (sampler) {
    NABLA_CHECK(!options_.shuffle(), "sampler option is mutually exclusive with shuffle");
    sampler_ = std::move(sampler);
  } else if (options_.shuffle()) {
    sampler_ = std::make_unique<samplers::RandomSampler>(dataset_size_, generator_);
  } else {
    sampler_ = std::make_unique<samplers::SequentialSampler>(dataset_size_);
  }
}

DataLoaderBase::~DataLoaderBase() = default;

size_t DataLoaderBase::size() const {
  const size_t n = sampler_->size(), b = options_.batch_size();
  return options_.drop_last() ? n / b : (n + b - 1) / b;
}

void DataLoaderBase::stop() {
  engine_.reset();
  running_ = false;
}

void DataLoaderBase::begin_epoch(std::function<void(size_t)> fetch) {
  stop();
  if (!resume_) {
    ++epoch_;
    batch_ = 0;
    base_seed_ = empty({}, kLong).random_(generator_).item<int64_t>();
    sampler_->reset();
    sampler_start_ = sampler_->state_dict();
  }
  resume_ = false;
  running_ = true;
  engine_ = std::make_unique<FetchEngine>(options_.workers(), options_.workers() * options_.prefetch_factor(),
                                          batch_, size(), base_seed_, std::move(fetch));
}

ArrayRef<size_t> DataLoaderBase::batch_indices(size_t j) const {
  const std::vector<size_t>& order = sampler_->indices();
  const size_t b = options_.batch_size();
  const size_t begin = j * b;
  return ArrayRef<size_t>(order.data() + begin, std::min(b, order.size() - begin));
}

bool DataLoaderBase::next_batch(size_t& j) {
  if (!running_ || batch_ >= size()) {
    stop();
    return false;
  }
  j = batch_;
  engine_->wait(j);
  ++batch_;
  return true;
}

DataLoaderState DataLoaderBase::state_dict() const {
  DataLoaderState s{{"epoch", scalar_tensor(epoch_, kLong)},
                    {"batch", scalar_tensor(static_cast<int64_t>(batch_), kLong)},
                    {"base_seed", scalar_tensor(base_seed_, kLong)}};
  if (generator_) {
    const std::vector<uint8_t> g = generator_->get_state();
    Tensor t = empty({static_cast<int64_t>(g.size())}, kByte);
    std::copy(g.begin(), g.end(), t.data_ptr<uint8_t>());
    s.emplace_back("generator", t);
  }
  for (const auto& [k, v] : sampler_start_) s.emplace_back("sampler." + k, v);
  return s;
}

void DataLoaderBase::load_state_dict(const DataLoaderState& state) {
  stop();
  const int64_t epoch = state_int(state, "epoch", "DataLoader");
  const int64_t batch = state_int(state, "batch", "DataLoader");
  const int64_t base_seed = state_int(state, "base_seed", "DataLoader");
  samplers::SamplerState sampler_state;
  for (const auto& [k, v] : state)
    if (k.rfind("sampler.", 0) == 0) sampler_state.emplace_back(k.substr(8), v);
  std::vector<uint8_t> gen_state;
  bool has_gen = false;
  for (const auto& [k, v] : state) {
    if (k != "generator") continue;
    NABLA_CHECK(v.dim() == 1 && v.scalar_type() == kByte, "DataLoader.load_state_dict: 'generator' must be a 1-D uint8 tensor");
    const Tensor c = v.contiguous();
    gen_state.assign(c.data_ptr<uint8_t>(), c.data_ptr<uint8_t>() + c.numel());
    has_gen = true;
  }
  NABLA_CHECK(has_gen == generator_.has_value(), "DataLoader.load_state_dict: the state ",
              has_gen ? "has" : "lacks", " a 'generator' entry but this loader ", generator_ ? "has" : "has no",
              " generator of its own (seed or generator option)");
  NABLA_CHECK(epoch < 0 || !sampler_state.empty(), "DataLoader.load_state_dict: the state has no 'sampler.' entries");
  if (!sampler_state.empty()) {
    const Tensor& idx = state_entry(sampler_state, "indices", "DataLoader (sampler)");
    NABLA_CHECK(idx.dim() == 1 && static_cast<size_t>(idx.size(0)) == sampler_->size(),
                "DataLoader.load_state_dict: the saved epoch has ", idx.numel(), " indices, but this loader's has ",
                sampler_->size());
  }
  NABLA_CHECK(batch >= 0 && static_cast<size_t>(batch) <= size(), "DataLoader.load_state_dict: 'batch' ", batch,
              " is outside the epoch of ", size(), " batches");
  if (!sampler_state.empty()) sampler_->load_state_dict(sampler_state);
  if (has_gen) generator_->set_state(gen_state);
  epoch_ = epoch;
  batch_ = static_cast<size_t>(batch);
  base_seed_ = base_seed;
  sampler_start_ = std::move(sampler_state);
  resume_ = epoch_ >= 0 && batch_ < size();
}

}  // namespace detail
}  // namespace nabla::data
