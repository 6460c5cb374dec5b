// One program, written against libtorch's API only, built twice: against libtorch-dev and
// against nabla::torch (run_compat_test.sh compares the outputs). It covers the idioms that
// differ from nabla's own spelling: const in-place methods, assignment to temporaries,
// default forward arguments in Sequential, libtorch's macros, devices, dtype short names,
// torch::save/load, and pickle files exchanged between the two builds.
//   compat_program <dir> <tag> write|read
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace {

void show(const std::string& name, const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kF64).contiguous();
  std::cout << name << " [";
  for (int64_t s : t.sizes()) std::cout << s << ",";
  std::cout << "]";
  const double* p = c.data<double>();
  for (int64_t i = 0; i < c.numel(); ++i) std::cout << " " << std::setprecision(6) << p[i];
  std::cout << "\n";
}

template <typename F>
void error_of(const std::string& name, F f) {
  try {
    f();
    std::cout << name << ": no error\n";
  } catch (const c10::Error& e) {
    std::string what = e.what();
    std::cout << name << ": " << what.substr(0, what.find('\n')) << "\n";
  }
}

template <typename F>
void raises(const std::string& name, F f) {
  try {
    f();
    std::cout << name << ": no error\n";
  } catch (const c10::Error&) {
    std::cout << name << ": raised\n";
  }
}

// The dtype's name from libtorch's constants (the two libraries print ScalarType differently).
std::string dtype_name(const torch::Tensor& t) {
  const std::pair<torch::Dtype, const char*> names[] = {
      {torch::kF16, "float16"}, {torch::kF32, "float32"}, {torch::kF64, "float64"},
      {torch::kI8, "int8"},     {torch::kI16, "int16"},   {torch::kI32, "int32"},
      {torch::kI64, "int64"},   {torch::kU8, "uint8"},    {torch::kBool, "bool"}};
  for (const auto& [dtype, name] : names)
    if (t.scalar_type() == dtype) return name;
  return "other";
}

struct NetImpl : torch::nn::Module {
  NetImpl()
      : fc1(register_module("fc1", torch::nn::Linear(4, 8))), fc2(register_module("fc2", torch::nn::Linear(8, 2))) {}
  torch::Tensor forward(torch::Tensor x) { return fc2->forward(torch::relu(fc1->forward(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Net);

struct ShiftImpl : torch::nn::Module {
  torch::Tensor forward(const torch::Tensor& x, double shift = 0.5, int64_t times = 2) { return x * times + shift; }

 protected:
  FORWARD_HAS_DEFAULT_ARGS({1, torch::nn::AnyValue(0.5)}, {2, torch::nn::AnyValue(int64_t{2})})
};
TORCH_MODULE(Shift);

class Squares : public torch::data::datasets::Dataset<Squares> {
 public:
  torch::data::Example<> get(size_t index) override {
    auto x = torch::full({4}, static_cast<double>(index) / 10, torch::kF32);
    return {x, torch::tensor(static_cast<int64_t>(index % 2), torch::kI64)};
  }
  torch::optional<size_t> size() const override { return 6; }
};

void tensors_and_autograd() {
  auto t = torch::zeros({2, 3});
  t[0][1] = 5;
  t[1] = 2;
  t[0][2] = t[1][0] * 3;
  show("assign_to_index", t);

  auto w = torch::arange(6, torch::kF64).reshape({2, 3}).requires_grad_();
  auto loss = (w * w).sum();
  loss.backward();
  show("grad", w.grad());
  w.grad().data() = w.grad().data() / 4;
  show("grad_data_assigned", w.grad());
  w.grad().zero_();
  show("grad_zeroed", w.grad());
  w.mutable_grad().add_(1);
  show("mutable_grad", w.grad());

  auto a = torch::tensor({1., 2., 3., 4.});
  auto b = torch::tensor({1., 0., 3., 5.});
  show("eq_", a.clone().eq_(b));
  show("ne_", a.clone().ne_(b));
  show("lt_", a.clone().lt_(b));
  show("le_", a.clone().le_(2));
  show("gt_", a.clone().gt_(b));
  show("ge_", a.clone().ge_(3));

  torch::Device device(torch::kCPU);
  if (torch::cuda::is_available()) device = torch::Device(torch::kCUDA);
  torch::cuda::manual_seed_all(7);
  std::cout << "cuda: " << torch::cuda::is_available() << " " << torch::cuda::device_count() << "\n";
  torch::DeviceType type = torch::kCPU;
  auto moved = a.to(device).to(type).cpu();
  std::cout << "device: " << moved.is_cuda() << " " << moved.device().is_cpu() << " "
            << (moved.device() == torch::Device(torch::kCPU)) << "\n";
  std::cout << "dtypes: " << (a.to(torch::kF64).scalar_type() == torch::kDouble)
            << (a.to(torch::kI32).scalar_type() == torch::kInt) << (a.to(torch::kI64).scalar_type() == torch::kLong)
            << (a.to(torch::kU8).scalar_type() == torch::kByte) << (a.to(torch::kF32).scalar_type() == torch::kFloat)
            << "\n";
  show("to_other", a.to(torch::zeros({1}, torch::kI64)));
  show("data_ptr", torch::from_blob(a.data<float>(), {2}, torch::kF32));

  torch::Dtype dtype = torch::kF64;
  std::cout << "dtype: " << (torch::zeros({1}, dtype).scalar_type() == torch::kDouble) << "\n";
  TORCH_WARN("a warning through TORCH_WARN, ", 1);
  torch::optional<int64_t> maybe = torch::nullopt;
  std::cout << "optional: " << maybe.has_value() << " " << torch::str("a", 1, "b", 2.5) << "\n";

  error_of("check_message", [] { TORCH_CHECK(1 + 1 == 3, "arithmetic is broken: ", 2); });
  error_of("check_bare", [] { TORCH_CHECK(1 + 1 == 3); });
  error_of("check_passes", [] { TORCH_CHECK(true, "unused"); });
  error_of("internal_assert", [] { TORCH_INTERNAL_ASSERT(false, "detail ", 3); });
  error_of("at_error", [] { AT_ERROR("failed with ", 42); });
  error_of("matmul", [] { torch::matmul(torch::ones({2, 3}), torch::ones({4, 2})); });
  error_of("broadcast", [] { torch::ones({3}) + torch::ones({4}); });
  error_of("assign_shape", [] {
    auto s = torch::zeros({2, 3});
    s[0] = torch::zeros({4});
  });
  // The texts differ: libtorch's C++ words against Python's, which nabla uses.
  raises("cuda_tensor", [] { torch::ones({1}).to(torch::kCUDA); });
  raises("cuda_module", [] { torch::nn::Linear(1, 1)->to(torch::kCUDA); });
}

// float16, int16 and int8: the short names, promotion, wrap-around and rounding, conversions,
// element access, autograd through float16.
void narrow_dtypes() {
  std::cout << "narrow names: " << (torch::kF16 == torch::kHalf) << (torch::kI16 == torch::kShort)
            << (torch::kI8 == torch::kChar) << (torch::kFloat16 == at::kHalf) << (torch::kInt16 == c10::kShort)
            << (torch::kInt8 == at::kChar) << "\n";
  auto a = torch::tensor({1, -5, 100}, torch::kI8);
  auto u = torch::tensor({200, 3, 7}, torch::kU8);
  auto s = torch::arange(5, torch::kI16) * 10000;
  auto h = torch::tensor({1.5, 2.25, -3.1, 100.0}, torch::kF16);
  for (const auto& [name, t] : std::vector<std::pair<std::string, torch::Tensor>>{
           {"i8_add", a + 1000},
           {"i8_mul", a * a},
           {"i8_u8", a + u},
           {"i8_i64", a + torch::ones({3}, torch::kI64)},
           {"i8_sum", a.sum()},
           {"i8_max", a.max()},
           {"i8_div", a / 3},
           {"i8_neg", -a},
           {"i8_lt", a < 2},
           {"i8_where", torch::where(a > 0, a, u)},
           {"i16", s},
           {"i16_cat", torch::cat({s, a.to(torch::kI16)})},
           {"f16", h},
           {"f16_add", h + 1},
           {"f16_mul", h * h},
           {"f16_i64", h + torch::ones({4}, torch::kI64)},
           {"f16_f32", h + torch::ones({4})},
           {"f16_mean", h.slice(0, 0, 3).mean()},
           {"f16_max", h.max()},
           {"f16_lt", h < 2},
           {"f16_zeros", torch::zeros({2, 2}, torch::kF16)},
           {"f16_full", torch::full({2}, 0.1, torch::kF16)},
           {"i8_to_f16", a.to(torch::kF16)},
           {"f16_to_i8", h.slice(0, 0, 3).to(torch::kI8)},
           {"f64_to_f16", torch::tensor({1e-6, 65519.0, 1.0 / 3, -2.0e-5}, torch::kF64).to(torch::kF16)},
           {"i64_to_i8", torch::tensor({300, -129, 127}, torch::kI64).to(torch::kI8)},
           {"f16_t", h.reshape({2, 2}).t().contiguous()},
       }) {
    std::cout << name << " " << dtype_name(t) << " ";
    show("", t);
  }
  std::cout << "narrow sizes: " << a.element_size() << s.element_size() << h.element_size() << "\n";
  at::Half one_third = 1.0f / 3;
  std::cout << "narrow items: " << static_cast<int>(a[1].item<int8_t>()) << " " << s[4].item<int16_t>() << " "
            << static_cast<float>(h[2].item<at::Half>()) << " " << static_cast<float>(one_third) << " "
            << static_cast<int>(a.data_ptr<int8_t>()[2]) << " " << static_cast<float>(h.data_ptr<c10::Half>()[0])
            << "\n";
  auto x = torch::tensor({0.5, -1.25}, torch::kF16).requires_grad_();
  auto y = (x * x * 3).sum();
  y.backward();
  std::cout << "f16 grad " << dtype_name(x.grad()) << " " << dtype_name(y) << " ";
  show("", x.grad());
}

void modules_and_training(const std::string& dir) {
  torch::manual_seed(0);
  Net net;
  net->to(torch::kCPU);
  net->to(torch::Device(torch::kCPU));
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.1).momentum(0.5));
  auto loader = torch::data::make_data_loader<torch::data::samplers::SequentialSampler>(
      Squares().map(torch::data::transforms::Stack<>()), 3);
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (auto& batch : *loader) {
      for (auto& p : net->parameters())
        if (p.grad().defined()) p.grad().zero_();
      auto out = net->forward(batch.data.to(torch::kCPU));
      auto loss = torch::nll_loss(torch::log_softmax(out, 1), batch.target);
      AT_ASSERT(!std::isnan(loss.item<float>()));
      loss.backward();
      optimizer.step();
      show("loss", loss);
    }
  }
  show("fc2.bias", net->fc2->bias);

  // nabla's DataLoader draws each epoch's base seed from the default generator, as Python's
  // does and libtorch's does not: reseed before drawing more.
  torch::manual_seed(1);
  torch::nn::ConvTranspose2d deconv(torch::nn::ConvTranspose2dOptions(3, 2, 3).stride(2).bias(false));
  torch::nn::Tanh tanh;
  torch::nn::Sequential generator(deconv, tanh);
  generator->to(torch::kCPU);
  auto noise = torch::randn({1, 3, 2, 2});
  show("sequential_default_args", generator->forward(noise));
  Shift shift1, shift2;
  torch::nn::Sequential shifts(shift1, shift2);
  show("user_default_args", shifts->forward(torch::ones({2})));
  torch::nn::AnyModule shift(Shift{});
  show("any_default_args", shift.forward(torch::ones({1}), 1.0));
  error_of("too_many_args", [&] { shift.forward(torch::ones({1}), 1.0, int64_t{1}, 1.0); });

  torch::save(net, dir + "/net.pt");
  Net restored;
  torch::load(restored, dir + "/net.pt");
  bool same = true;
  for (size_t i = 0; i < net->parameters().size(); ++i)
    same = same && torch::equal(net->parameters()[i], restored->parameters()[i]);
  std::cout << "module reloaded: " << same << "\n";

  torch::save(optimizer, dir + "/optimizer.pt");
  torch::optim::SGD optimizer2(restored->parameters(), torch::optim::SGDOptions(0.1).momentum(0.5));
  torch::load(optimizer2, dir + "/optimizer.pt");
  optimizer.zero_grad();
  optimizer2.zero_grad();
  for (auto& batch : *loader) {
    for (Net* m : {&net, &restored}) {
      auto loss = torch::nll_loss(torch::log_softmax((*m)->forward(batch.data), 1), batch.target);
      loss.backward();
    }
    break;
  }
  optimizer.step();
  optimizer2.step();
  std::cout << "optimizer reloaded: " << torch::allclose(net->fc1->weight, restored->fc1->weight) << "\n";

  auto tensor = torch::linspace(0, 1, 5);
  torch::save(tensor, dir + "/tensor.pt");
  torch::Tensor loaded;
  torch::load(loaded, dir + "/tensor.pt");
  show("tensor reloaded", loaded);
  torch::save(std::vector<torch::Tensor>{tensor, tensor * 2}, dir + "/tensors.pt");
  std::vector<torch::Tensor> list;
  torch::load(list, dir + "/tensors.pt");
  show("list reloaded", list.at(1));
}

// Files that both libraries read: torch::pickle_save/pickle_load (torch.save's format). A tuple,
// not a std::vector<Tensor>: libtorch pickles that as a TorchScript typed list
// (torch.jit._pickle.build_tensorlist), which nabla's reader refuses as torch.load(weights_only=True) does.
void exchange(const std::string& dir, const std::string& tag, const std::string& mode) {
  if (mode == "write") {
    torch::IValue tensors(c10::ivalue::Tuple::create(
        {torch::arange(6, torch::kF32).reshape({2, 3}) / 7, torch::tensor({3, 1, 4}, torch::kI64),
         torch::tensor({0.5, -2.25, 1.0 / 3}, torch::kF16), torch::tensor({-300, 2}, torch::kI16),
         torch::tensor({-7, 100}, torch::kI8)}));
    std::vector<char> bytes = torch::pickle_save(tensors);
    std::ofstream(dir + "/" + tag + ".pkl", std::ios::binary)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return;
  }
  std::ifstream in(dir + "/" + tag + ".pkl", std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  torch::IValue value = torch::pickle_load(bytes);
  int i = 0;
  for (const auto& item : value.toTupleRef().elements())
    show("read " + std::to_string(i++) + " " + dtype_name(item.toTensor()), item.toTensor());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: compat_program <dir> <tag> write|read\n";
    return 2;
  }
  const std::string dir = argv[1], tag = argv[2], mode = argv[3];
  if (mode == "write") {
    tensors_and_autograd();
    narrow_dtypes();
    modules_and_training(dir);
  }
  exchange(dir, tag, mode);
  return 0;
}
