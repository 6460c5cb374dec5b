// as_strided views of a base and their gradients, and CopySlices: the node that an in-place op
// on a view gives to the view's base (Note [In-place on views], inplace.cpp).
#include "autograd/view.h"

#include <algorithm>
#include <cstring>

#include "autograd/op.h"
#include "core/internal.h"
#include "nabla/functions.h"

namespace nabla::autograd {

Geometry geometry_of(const Tensor& t) {
  return Geometry{DimVector(t.sizes()), DimVector(t.strides()), t.storage_offset()};
}

namespace {

// Storage position of every element of g, in row-major order.
std::vector<int64_t> positions(const Geometry& g) {
  const int64_t n = prod_sizes(g.sizes);
  const int64_t nd = static_cast<int64_t>(g.sizes.size());
  std::vector<int64_t> out(static_cast<size_t>(n));
  DimVector idx(g.sizes.size(), 0);
  int64_t p = g.offset;
  for (int64_t i = 0; i < n; ++i) {
    out[static_cast<size_t>(i)] = p;
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++idx[d] < g.sizes[d]) {
        p += g.strides[d];
        break;
      }
      p -= (g.sizes[d] - 1) * g.strides[d];
      idx[d] = 0;
    }
  }
  return out;
}

// For each element of the view geometry `out`, the row-major index of the element of the
// base geometry `in` at the same storage position.
std::vector<int64_t> view_to_base(const Geometry& in, const Geometry& out) {
  std::vector<int64_t> pin = positions(in), pout = positions(out);
  int64_t extent = 0;
  for (int64_t p : pin) extent = std::max(extent, p + 1);
  std::vector<int64_t> at(static_cast<size_t>(extent), -1);
  for (size_t i = 0; i < pin.size(); ++i) at[static_cast<size_t>(pin[i])] = static_cast<int64_t>(i);
  for (auto& p : pout) {
    int64_t k = p < extent ? at[static_cast<size_t>(p)] : -1;
    NABLA_CHECK(k >= 0, "as_strided: the view addresses memory outside its base");
    p = k;
  }
  return pout;
}

template <typename T>
void scatter_add(T* dst, const T* src, const std::vector<int64_t>& map) {
  for (size_t j = 0; j < map.size(); ++j) dst[map[j]] += src[j];
}
template <typename T>
void gather(T* dst, const T* src, const std::vector<int64_t>& map) {
  for (size_t j = 0; j < map.size(); ++j) dst[j] = src[map[j]];
}

struct AsStridedGather;

// Gradient of an as_strided view: each element of g is added at its place in the base.
struct AsStridedScatter {
  static constexpr const char* name = "AsStridedScatterBackward0";
  Geometry in, out;
  Tensor forward(Ctx&, const Tensor& g, const Geometry& in_, const Geometry& out_) {
    in = in_;
    out = out_;
    Tensor src = g.contiguous();
    Tensor r = zeros(in.sizes, g.scalar_type());
    auto map = view_to_base(in, out);
    NABLA_DISPATCH_FLOATING_TYPES(g.scalar_type(), "as_strided_backward",
                                  [&] { scatter_add(r.data_ptr<scalar_t>(), src.data_ptr<scalar_t>(), map); });
    return r;
  }
  variable_list backward(Ctx&, const variable_list& g);
};

// as_strided of a tensor laid out like the base, as a copy (the adjoint of AsStridedScatter).
struct AsStridedGather {
  static constexpr const char* name = "AsStridedBackward0";
  Geometry in, out;
  Tensor forward(Ctx&, const Tensor& x, const Geometry& in_, const Geometry& out_) {
    in = in_;
    out = out_;
    Tensor src = x.contiguous();
    Tensor r = core::empty(out.sizes, x.scalar_type());
    auto map = view_to_base(in, out);
    NABLA_DISPATCH_FLOATING_TYPES(x.scalar_type(), "as_strided",
                                  [&] { gather(r.data_ptr<scalar_t>(), src.data_ptr<scalar_t>(), map); });
    return r;
  }
  variable_list backward(Ctx&, const variable_list& g) { return {apply<AsStridedScatter>(g[0], in, out)}; }
};

variable_list AsStridedScatter::backward(Ctx&, const variable_list& g) {
  return {apply<AsStridedGather>(g[0], in, out)};
}

struct AsStridedView {
  static constexpr const char* name = "AsStridedBackward0";
  static constexpr bool is_view = true;
  Geometry in, out;
  Tensor forward(Ctx&, const Tensor& base, const Geometry& g) {
    in = geometry_of(base);
    out = g;
    return core::alias_with(base, g.sizes, g.strides, g.offset);
  }
  variable_list backward(Ctx&, const variable_list& g) { return {apply<AsStridedScatter>(g[0], in, out)}; }
};

}  // namespace

Tensor as_strided_view(const Tensor& base, const Geometry& geometry) { return apply<AsStridedView>(base, geometry); }

std::shared_ptr<Node> make_as_strided_node(const Tensor& base, const Tensor& view) {
  auto node = make_node<OpNode<AsStridedView>>();
  node->op.in = geometry_of(base);
  node->op.out = geometry_of(view);
  node->mutable_next_edges().push_back(gradient_edge(base));
  node->set_input_metadata(0, view);
  return node;
}

}  // namespace nabla::autograd
