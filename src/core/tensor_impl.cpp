#include "nabla/tensor_impl.h"

#include "nabla/autograd/meta.h"

namespace nabla {

// Both in unsigned arithmetic: a tensor with no elements may have other sizes whose product
// does not fit (its strides are then never used); every tensor with elements was checked by
// core::storage_nbytes, so its products fit.
DimVector contiguous_strides(IntArrayRef sizes) {
  DimVector strides(sizes.size());
  uint64_t s = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = static_cast<int64_t>(s);
    s *= static_cast<uint64_t>(std::max<int64_t>(sizes[i], 1));
  }
  return strides;
}

int64_t prod_sizes(IntArrayRef sizes) {
  uint64_t n = 1;
  for (int64_t s : sizes) n *= static_cast<uint64_t>(s);
  return static_cast<int64_t>(n);
}

TensorImpl::TensorImpl(intrusive_ptr<StorageImpl> storage, ScalarType dtype, IntArrayRef sizes,
                       IntArrayRef strides, int64_t offset)
    : storage_(std::move(storage)), sizes_(sizes), strides_(strides), offset_(offset), dtype_(dtype) {
  refresh();
}

TensorImpl::~TensorImpl() = default;

void* TensorImpl::operator new(size_t bytes) { return autograd::detail::allocate_node_memory(bytes); }
void TensorImpl::operator delete(void* p, size_t bytes) noexcept {
  autograd::detail::free_node_memory(p, bytes);
}

void TensorImpl::set_geometry(IntArrayRef sizes, IntArrayRef strides, int64_t offset) {
  sizes_ = DimVector(sizes);
  strides_ = DimVector(strides);
  offset_ = offset;
  refresh();
}

void TensorImpl::refresh() {
  numel_ = prod_sizes(sizes_);
  // Contiguous as PyTorch defines it: dims of size 1 may have any stride.
  bool c = true;
  int64_t expected = 1;
  for (size_t i = sizes_.size(); i-- > 0;) {
    if (sizes_[i] == 1) continue;
    if (strides_[i] != expected) {
      c = false;
      break;
    }
    expected *= sizes_[i];
  }
  contiguous_ = c || numel_ == 0;
}

autograd::AutogradMeta& TensorImpl::ensure_autograd_meta() {
  if (!autograd_) autograd_ = std::make_unique<autograd::AutogradMeta>();
  return *autograd_;
}

void TensorImpl::reset_autograd_meta() { autograd_.reset(); }

}  // namespace nabla
