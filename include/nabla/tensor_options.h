#pragma once
/// TensorOptions: dtype and requires_grad for factories, with libtorch's chained setters.
///   auto w = nabla::randn({3, 4}, nabla::TensorOptions().dtype(nabla::kDouble).requires_grad(true));
///   auto b = nabla::zeros({4}, nabla::requires_grad());
#include <optional>

#include "nabla/dtype.h"

namespace nabla {

/// Where a tensor's memory lives. Only kCPU has kernels today (src/kernels/cpu); the others
/// are named so that code written for libtorch compiles, and asking for one is an Error.
enum class DeviceType : int8_t { CPU = 0, CUDA = 1 };
inline constexpr DeviceType kCPU = DeviceType::CPU;
inline constexpr DeviceType kCUDA = DeviceType::CUDA;

///   nabla::Device d(nabla::kCPU);   // nabla::Device(nabla::kCUDA) names CUDA, which has no kernels yet
struct Device {
  Device(DeviceType t = kCPU) : type_(t) {}  // NOLINT
  DeviceType type() const { return type_; }
  bool is_cpu() const { return type_ == kCPU; }
  bool is_cuda() const { return type_ == kCUDA; }
  friend bool operator==(Device a, Device b) { return a.type_ == b.type_; }
  friend bool operator!=(Device a, Device b) { return a.type_ != b.type_; }

 private:
  DeviceType type_;
};

/// Throws nabla::Error unless nabla has kernels for device d (today: only the CPU).
void check_device_available(Device d);

class TensorOptions {
 public:
  TensorOptions() = default;
  TensorOptions(ScalarType t) : dtype_(t) {}  // NOLINT: implicit, as libtorch
  TensorOptions(Device d) { check_device_available(d); }  // NOLINT

  TensorOptions dtype(ScalarType t) const {
    TensorOptions o = *this;
    o.dtype_ = t;
    return o;
  }
  TensorOptions dtype(std::optional<ScalarType> t) const {
    TensorOptions o = *this;
    o.dtype_ = t;
    return o;
  }
  TensorOptions requires_grad(bool r) const {
    TensorOptions o = *this;
    o.requires_grad_ = r;
    return o;
  }
  TensorOptions device(Device d) const {
    check_device_available(d);
    return *this;
  }

  ScalarType dtype() const { return dtype_.value_or(default_dtype()); }
  bool has_dtype() const { return dtype_.has_value(); }
  std::optional<ScalarType> dtype_opt() const { return dtype_; }
  bool requires_grad() const { return requires_grad_; }
  Device device() const { return kCPU; }

  /// The default floating dtype (float32 unless set_default_dtype changed it).
  static ScalarType default_dtype();

 private:
  std::optional<ScalarType> dtype_;
  bool requires_grad_ = false;
};

inline TensorOptions dtype(ScalarType t) { return TensorOptions().dtype(t); }
inline TensorOptions requires_grad(bool r = true) { return TensorOptions().requires_grad(r); }
inline TensorOptions device(Device d) { return TensorOptions().device(d); }

/// torch.set_default_dtype: the dtype of floating factories without an explicit dtype.
void set_default_dtype(ScalarType t);
ScalarType get_default_dtype();

}  // namespace nabla
