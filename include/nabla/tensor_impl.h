#pragma once
/// TensorImpl: what a Tensor handle points at — storage, sizes, strides, offset, dtype and,
/// when autograd is involved, the autograd metadata. Internal, but public so that the hot
/// accessors of Tensor inline.
#include <memory>

#include "nabla/dtype.h"
#include "nabla/intrusive_ptr.h"
#include "nabla/small_vector.h"
#include "nabla/storage.h"

namespace nabla {

namespace autograd {
struct AutogradMeta;
}

class TensorImpl : public RefCounted {
 public:
  TensorImpl(intrusive_ptr<StorageImpl> storage, ScalarType dtype, IntArrayRef sizes,
             IntArrayRef strides, int64_t offset);
  ~TensorImpl() override;
  /// Every op result needs a TensorImpl: they come from per-thread free lists (as nodes do).
  static void* operator new(size_t bytes);
  static void operator delete(void* p, size_t bytes) noexcept;

  IntArrayRef sizes() const { return sizes_; }
  IntArrayRef strides() const { return strides_; }
  int64_t dim() const { return static_cast<int64_t>(sizes_.size()); }
  int64_t numel() const { return numel_; }
  int64_t storage_offset() const { return offset_; }
  ScalarType dtype() const { return dtype_; }
  bool is_contiguous() const { return contiguous_; }
  const intrusive_ptr<StorageImpl>& storage() const { return storage_; }
  /// Address of element [0, 0, ...].
  void* data() const {
    return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(elementSize(dtype_));
  }
  uint32_t version() const { return storage_->version(); }
  void bump_version() { storage_->bump_version(); }

  /// Changes the geometry in place (used by views built in place and by *_out resizing).
  void set_geometry(IntArrayRef sizes, IntArrayRef strides, int64_t offset);
  void set_storage(intrusive_ptr<StorageImpl> s) { storage_ = std::move(s); }
  void set_dtype(ScalarType t) { dtype_ = t; }

  autograd::AutogradMeta* autograd_meta() const { return autograd_.get(); }
  /// Creates the autograd metadata on first use.
  autograd::AutogradMeta& ensure_autograd_meta();
  void reset_autograd_meta();

 private:
  void refresh();
  intrusive_ptr<StorageImpl> storage_;
  DimVector sizes_;
  DimVector strides_;
  int64_t offset_ = 0;
  int64_t numel_ = 1;
  ScalarType dtype_;
  bool contiguous_ = true;
  std::unique_ptr<autograd::AutogradMeta> autograd_;
};

/// Row-major strides for the given sizes.
DimVector contiguous_strides(IntArrayRef sizes);
/// Product of sizes.
int64_t prod_sizes(IntArrayRef sizes);

}  // namespace nabla
