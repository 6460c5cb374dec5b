#pragma once
/// Free functions in libtorch's spelling: factories (`nabla::zeros`), ops (`nabla::add`),
/// and whole-tensor utilities (`nabla::cat`, `nabla::where`).
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <tuple>
#include <vector>

#include "nabla/generator.h"
#include "nabla/tensor.h"

namespace nabla {

// ---- factories ----------------------------------------------------------------------------
Tensor empty(IntArrayRef size, TensorOptions options = {});
Tensor zeros(IntArrayRef size, TensorOptions options = {});
Tensor ones(IntArrayRef size, TensorOptions options = {});
Tensor full(IntArrayRef size, const Scalar& fill_value, TensorOptions options = {});
Tensor empty_like(const Tensor& t, TensorOptions options = {});
Tensor zeros_like(const Tensor& t, TensorOptions options = {});
Tensor ones_like(const Tensor& t, TensorOptions options = {});
Tensor full_like(const Tensor& t, const Scalar& fill_value, TensorOptions options = {});
Tensor rand_like(const Tensor& t, TensorOptions options = {});
Tensor randn_like(const Tensor& t, TensorOptions options = {});
/// 0..end-1; int64 for integer arguments, the default dtype when any is floating.
Tensor arange(const Scalar& end, TensorOptions options = {});
Tensor arange(const Scalar& start, const Scalar& end, TensorOptions options = {});
Tensor arange(const Scalar& start, const Scalar& end, const Scalar& step, TensorOptions options = {});
Tensor linspace(const Scalar& start, const Scalar& end, int64_t steps, TensorOptions options = {});
Tensor eye(int64_t n, TensorOptions options = {});
Tensor eye(int64_t n, int64_t m, TensorOptions options = {});
/// Wraps memory the caller owns (not copied, not freed) as a tensor.
Tensor from_blob(void* data, IntArrayRef sizes, TensorOptions options = {});
Tensor from_blob(void* data, IntArrayRef sizes, IntArrayRef strides, TensorOptions options = {});
Tensor from_blob(void* data, IntArrayRef sizes, std::function<void(void*)> deleter,
                 TensorOptions options = {});
/// A 0-dim tensor holding one value (dtype from the Scalar unless given).
Tensor scalar_tensor(const Scalar& s, TensorOptions options = {});

// tensor({...}): nested initializer lists, dtype inferred like PyTorch (floats → the default
// dtype, ints → int64, bools → bool; mixed lists promote: {1, 2.5} is float32).

/// A nested initializer list of numbers, as accepted by nabla::tensor.
class TensorDataContainer {
 public:
  TensorDataContainer(double v);    // NOLINT
  TensorDataContainer(float v);     // NOLINT
  TensorDataContainer(int v);       // NOLINT
  TensorDataContainer(int64_t v);   // NOLINT
  TensorDataContainer(long long v) : TensorDataContainer(static_cast<int64_t>(v)) {}  // NOLINT
  TensorDataContainer(uint8_t v);   // NOLINT
  TensorDataContainer(bool v);      // NOLINT
  TensorDataContainer(std::initializer_list<TensorDataContainer> list);  // NOLINT
  TensorDataContainer(const std::vector<double>& v);  // NOLINT
  TensorDataContainer(const std::vector<float>& v);   // NOLINT
  TensorDataContainer(const std::vector<int64_t>& v); // NOLINT
  TensorDataContainer(const std::vector<int>& v);     // NOLINT
  TensorDataContainer(const std::vector<bool>& v);    // NOLINT

  bool is_scalar() const { return !is_list_; }
  DimVector sizes() const;
  ScalarType inferred_dtype() const;
  /// The list as libtorch prints it in messages: {{1, 2}, {3, 4}}.
  std::string repr() const;
  /// Writes the values, row-major, converted to `dtype`, into `out`.
  void fill(void* out, ScalarType dtype) const;

 private:
  bool is_list_ = false;
  Scalar scalar_;
  std::vector<TensorDataContainer> elems_;
};

Tensor tensor(TensorDataContainer data, TensorOptions options = {});

// ---- random -------------------------------------------------------------------------------
Tensor rand(IntArrayRef size, TensorOptions options = {});
Tensor rand(IntArrayRef size, Generator& gen, TensorOptions options = {});
Tensor randn(IntArrayRef size, TensorOptions options = {});
Tensor randn(IntArrayRef size, Generator& gen, TensorOptions options = {});
/// Integers from [low, high) (int64 unless a dtype is given): randint(0, 10, {3}).
Tensor randint(int64_t high, IntArrayRef size, TensorOptions options = {});
Tensor randint(int64_t high, IntArrayRef size, Generator& gen, TensorOptions options = {});
Tensor randint(int64_t low, int64_t high, IntArrayRef size, TensorOptions options = {});
Tensor randint(int64_t low, int64_t high, IntArrayRef size, Generator& gen, TensorOptions options = {});
/// A random permutation of 0..n-1 (int64 unless a dtype is given).
Tensor randperm(int64_t n, TensorOptions options = {});
Tensor randperm(int64_t n, Generator& gen, TensorOptions options = {});
Tensor normal(double mean, double std, IntArrayRef size, TensorOptions options = {});
Tensor normal(double mean, double std, IntArrayRef size, Generator& gen, TensorOptions options = {});
/// Normal samples with elementwise mean and std (broadcast together); gradients are zero.
Tensor normal(const Tensor& mean, const Tensor& std, std::optional<Generator> generator = std::nullopt);
Tensor normal(const Tensor& mean, double std, std::optional<Generator> generator = std::nullopt);
Tensor normal(double mean, const Tensor& std, std::optional<Generator> generator = std::nullopt);
/// 1 or 0 per element, the elements of p being the probabilities (torch.bernoulli(p)).
Tensor bernoulli(const Tensor& p, std::optional<Generator> generator = std::nullopt);
/// 1 or 0 per element with probability p, shaped like t (torch.bernoulli(t, p)).
Tensor bernoulli(const Tensor& t, double p, std::optional<Generator> generator = std::nullopt);
/// Indices sampled from the rows of p (1-D or 2-D, unnormalised probabilities).
Tensor multinomial(const Tensor& p, int64_t num_samples, bool replacement = false,
                   std::optional<Generator> generator = std::nullopt);

// ---- elementwise --------------------------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor rsub(const Tensor& a, const Scalar& b, const Scalar& alpha = 1);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Scalar& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Scalar& b);
Tensor pow(const Tensor& a, const Tensor& exponent);
Tensor pow(const Tensor& a, const Scalar& exponent);
Tensor pow(const Scalar& base, const Tensor& exponent);
Tensor& add_out(Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor& sub_out(Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha = 1);
Tensor& mul_out(Tensor& out, const Tensor& a, const Tensor& b);
Tensor& div_out(Tensor& out, const Tensor& a, const Tensor& b);
Tensor& pow_out(Tensor& out, const Tensor& a, const Tensor& exponent);

Tensor neg(const Tensor& t);
Tensor abs(const Tensor& t);
Tensor sqrt(const Tensor& t);
Tensor rsqrt(const Tensor& t);
Tensor exp(const Tensor& t);
Tensor log(const Tensor& t);
Tensor log1p(const Tensor& t);
Tensor expm1(const Tensor& t);
Tensor sin(const Tensor& t);
Tensor cos(const Tensor& t);
Tensor tanh(const Tensor& t);
Tensor sigmoid(const Tensor& t);
Tensor relu(const Tensor& t);
Tensor sign(const Tensor& t);
Tensor floor(const Tensor& t);
Tensor ceil(const Tensor& t);
Tensor round(const Tensor& t);
Tensor& neg_out(Tensor& out, const Tensor& t);
Tensor& abs_out(Tensor& out, const Tensor& t);
Tensor& sqrt_out(Tensor& out, const Tensor& t);
Tensor& exp_out(Tensor& out, const Tensor& t);
Tensor& log_out(Tensor& out, const Tensor& t);
Tensor& sin_out(Tensor& out, const Tensor& t);
Tensor& cos_out(Tensor& out, const Tensor& t);
Tensor& tanh_out(Tensor& out, const Tensor& t);
Tensor& sigmoid_out(Tensor& out, const Tensor& t);

Tensor clamp(const Tensor& t, const std::optional<Scalar>& min = std::nullopt,
             const std::optional<Scalar>& max = std::nullopt);
Tensor clamp(const Tensor& t, const std::optional<Tensor>& min, const std::optional<Tensor>& max = std::nullopt);
Tensor clamp_min(const Tensor& t, const Scalar& min);
Tensor clamp_max(const Tensor& t, const Scalar& max);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor eq(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Scalar& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Scalar& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Scalar& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Scalar& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Scalar& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Scalar& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& a);
/// Bitwise ops on integer tensors, logical on bool tensors (the operators & | ^ ~).
Tensor bitwise_and(const Tensor& a, const Tensor& b);
Tensor bitwise_or(const Tensor& a, const Tensor& b);
Tensor bitwise_xor(const Tensor& a, const Tensor& b);
Tensor bitwise_not(const Tensor& a);
/// Elements of a where condition is true, of b elsewhere (broadcast together).
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Scalar& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, const Scalar& b);
Tensor where(const Tensor& condition, const Scalar& a, const Scalar& b);
/// Indices of the true elements, one int64 tensor per dimension (torch.where(cond)).
std::vector<Tensor> where(const Tensor& condition);
Tensor masked_fill(const Tensor& t, const Tensor& mask, const Scalar& value);
Tensor masked_fill(const Tensor& t, const Tensor& mask, const Tensor& value);

// ---- reductions ---------------------------------------------------------------------------
Tensor sum(const Tensor& t, std::optional<ScalarType> dtype = std::nullopt);
Tensor sum(const Tensor& t, IntArrayRef dim, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt);
Tensor mean(const Tensor& t, std::optional<ScalarType> dtype = std::nullopt);
Tensor mean(const Tensor& t, IntArrayRef dim, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt);
Tensor prod(const Tensor& t, std::optional<ScalarType> dtype = std::nullopt);
Tensor prod(const Tensor& t, int64_t dim, bool keepdim = false, std::optional<ScalarType> dtype = std::nullopt);
Tensor max(const Tensor& t);
std::tuple<Tensor, Tensor> max(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor min(const Tensor& t);
std::tuple<Tensor, Tensor> min(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& t, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& t, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor amax(const Tensor& t, IntArrayRef dim = {}, bool keepdim = false);
Tensor amin(const Tensor& t, IntArrayRef dim = {}, bool keepdim = false);
Tensor var(const Tensor& t, bool unbiased = true);
Tensor var(const Tensor& t, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
Tensor std(const Tensor& t, bool unbiased = true);
Tensor std(const Tensor& t, IntArrayRef dim, bool unbiased = true, bool keepdim = false);
Tensor norm(const Tensor& t, const Scalar& p = 2);
Tensor norm(const Tensor& t, const Scalar& p, IntArrayRef dim, bool keepdim = false);
Tensor logsumexp(const Tensor& t, IntArrayRef dim, bool keepdim = false);
Tensor softmax(const Tensor& t, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& t, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
Tensor all(const Tensor& t);
Tensor all(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor any(const Tensor& t);
Tensor any(const Tensor& t, int64_t dim, bool keepdim = false);
Tensor cumsum(const Tensor& t, int64_t dim, std::optional<ScalarType> dtype = std::nullopt);
Tensor& sum_out(Tensor& out, const Tensor& t, IntArrayRef dim, bool keepdim = false,
                std::optional<ScalarType> dtype = std::nullopt);
Tensor& mean_out(Tensor& out, const Tensor& t, IntArrayRef dim, bool keepdim = false,
                 std::optional<ScalarType> dtype = std::nullopt);

// ---- shape --------------------------------------------------------------------------------
Tensor reshape(const Tensor& t, IntArrayRef shape);
Tensor flatten(const Tensor& t, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& t, int64_t dim, IntArrayRef sizes);
Tensor squeeze(const Tensor& t);
Tensor squeeze(const Tensor& t, int64_t dim);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor permute(const Tensor& t, IntArrayRef dims);
Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1);
Tensor t(const Tensor& t);
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& t, int64_t dim, int64_t index);
std::vector<Tensor> chunk(const Tensor& t, int64_t chunks, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& t, int64_t split_size, int64_t dim = 0);
std::vector<Tensor> split(const Tensor& t, IntArrayRef split_sizes, int64_t dim = 0);
std::vector<Tensor> unbind(const Tensor& t, int64_t dim = 0);
Tensor cat(TensorList tensors, int64_t dim = 0);
Tensor stack(TensorList tensors, int64_t dim = 0);
Tensor& cat_out(Tensor& out, TensorList tensors, int64_t dim = 0);
Tensor flip(const Tensor& t, IntArrayRef dims);
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index);
Tensor gather(const Tensor& t, int64_t dim, const Tensor& index);
Tensor scatter(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& t, int64_t dim, const Tensor& index, const Scalar& value);
Tensor scatter_add(const Tensor& t, int64_t dim, const Tensor& index, const Tensor& src);
Tensor tril(const Tensor& t, int64_t diagonal = 0);
Tensor triu(const Tensor& t, int64_t diagonal = 0);
Tensor one_hot(const Tensor& t, int64_t num_classes = -1);
Tensor nonzero(const Tensor& t);
/// Sizes that a and b broadcast to, or PyTorch's error.
std::vector<int64_t> broadcast_shapes(IntArrayRef a, IntArrayRef b);
std::vector<Tensor> broadcast_tensors(TensorList tensors);

// ---- linear algebra -----------------------------------------------------------------------
Tensor mm(const Tensor& a, const Tensor& b);
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& a, const Tensor& v);
Tensor addmm(const Tensor& self, const Tensor& mat1, const Tensor& mat2, const Scalar& beta = 1,
             const Scalar& alpha = 1);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor outer(const Tensor& a, const Tensor& b);
Tensor& mm_out(Tensor& out, const Tensor& a, const Tensor& b);
Tensor& matmul_out(Tensor& out, const Tensor& a, const Tensor& b);

// ---- whole-tensor comparison --------------------------------------------------------------
bool equal(const Tensor& a, const Tensor& b);
bool allclose(const Tensor& a, const Tensor& b, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false);
Tensor isclose(const Tensor& a, const Tensor& b, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false);

// ---- type promotion -----------------------------------------------------------------------
/// torch.result_type for tensor and scalar operands.
ScalarType result_type(const Tensor& a, const Tensor& b);
ScalarType result_type(const Tensor& a, const Scalar& b);

}  // namespace nabla
