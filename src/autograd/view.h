#pragma once
// Views in the graph: as_strided views of a base (AsStridedBackward0), CopySlices, and the
// regeneration of a view's grad_fn after its base was modified in place
// (Note [In-place on views], inplace.cpp).
#include "nabla/autograd/meta.h"

namespace nabla::autograd {

/// Sizes, strides and storage offset of a tensor.
struct Geometry {
  DimVector sizes;
  DimVector strides;
  int64_t offset = 0;
};
Geometry geometry_of(const Tensor& t);

/// The grad_fn of t, regenerated first when t is a view whose base was modified in place.
const std::shared_ptr<Node>& current_grad_fn(const Tensor& t, AutogradMeta* meta);
/// Gives the view t (meta: its metadata) a new AsStridedBackward0 grad_fn on its base when
/// the storage version changed since its grad_fn was set and the base requires grad.
void refresh_view_grad_fn(const Tensor& t, AutogradMeta& meta);

/// A view of `base` with the given geometry (storage offset relative to base's storage),
/// recorded as AsStridedBackward0.
Tensor as_strided_view(const Tensor& base, const Geometry& geometry);
/// The node as_strided_view(base, geometry_of(view)) records, connected to base's history.
std::shared_ptr<Node> make_as_strided_node(const Tensor& base, const Tensor& view);

/// Moves the hook retain_grad() installed for the tensor with metadata `meta` from `from` to
/// `to` (its new grad_fn), so that .grad keeps the gradient of the tensor's current value.
void move_retain_hook(AutogradMeta& meta, Node* from, Node& to);

}  // namespace nabla::autograd
