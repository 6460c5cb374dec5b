// scaled_dot_product_attention (PyTorch 2's math path) and multi_head_attention_forward
// (torch.nn.functional.multi_head_attention_forward of PyTorch 1.13), composed of GEMMs,
// softmax and dropout: both are differentiable to any order.
#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "core/internal.h"
#include "nabla/functions.h"
#include "nabla/nn/functional/attention.h"
#include "nabla/nn/functional/dropout.h"
#include "nabla/nn/functional/linear.h"
#include "nabla/warning.h"

namespace nabla {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// A dtype as PyTorch's TypeMeta prints it in C++ messages ("float", "double", ...).
const char* type_meta_name(ScalarType t) {
  switch (t) {
    case kFloat:
      return "float";
    case kDouble:
      return "double";
    case kLong:
      return "long int";
    case kInt:
      return "int";
    case kByte:
      return "unsigned char";
    case kBool:
      return "bool";
    default:
      return "unknown";
  }
}

// torch.Size([2, 3]) as Python prints it.
std::string torch_size(IntArrayRef s) { return "torch.Size(" + core::shape_str(s) + ")"; }

// A Python tuple of ints: (2, 3).
std::string py_tuple(std::initializer_list<int64_t> v) {
  std::ostringstream s;
  s << "(";
  size_t i = 0;
  for (int64_t x : v) s << (i++ ? ", " : "") << x;
  s << ")";
  return s.str();
}

}  // namespace

Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask, double dropout_p, bool is_causal,
                                    std::optional<double> scale) {
  NABLA_CHECK(query.scalar_type() == key.scalar_type() && query.scalar_type() == value.scalar_type(),
              "Expected query, key, and value to have the same dtype, but got query.dtype: ",
              type_meta_name(query.scalar_type()), " key.dtype: ", type_meta_name(key.scalar_type()),
              " and value.dtype: ", type_meta_name(value.scalar_type()), " instead.");
  NABLA_CHECK(query.dim() >= 2 && key.dim() >= 2 && value.dim() >= 2,
              "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: ", query.dim(),
              " key.dim: ", key.dim(), " and value.dim: ", value.dim(), " instead.");
  if (attn_mask.defined()) {
    const ScalarType mt = attn_mask.scalar_type();
    NABLA_CHECK(mt == kBool || mt == kFloat || mt == query.scalar_type(),
                "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: ",
                type_meta_name(mt), " and  query.dtype: ", type_meta_name(query.scalar_type()), " instead.");
  }
  NABLA_CHECK(!(is_causal && attn_mask.defined()),
              "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True");
  const double s = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(query.size(-1)));
  Tensor scores = matmul(query * s, key.transpose(-2, -1));
  if (is_causal) {
    const int64_t L = query.size(-2), S = key.size(-2);
    scores = scores.masked_fill(triu(ones({L, S}, kBool), 1), kNegInf);
  } else if (attn_mask.defined()) {
    scores =
        attn_mask.scalar_type() == kBool ? scores.masked_fill(attn_mask.logical_not(), kNegInf) : scores + attn_mask;
  }
  Tensor attn = scores.softmax(-1);
  if (dropout_p > 0) attn = nabla::dropout(attn, dropout_p, true);
  return matmul(attn, value);
}

namespace nn::functional {

namespace {

// Python's _mha_shape_check: whether the input is batched, with its messages.
bool mha_shape_check(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& kpm,
                     const Tensor& attn_mask, int64_t num_heads) {
  if (query.dim() == 3) {
    NABLA_CHECK(key.dim() == 3 && value.dim() == 3,
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found ", key.dim(), "-D and ",
                value.dim(), "-D tensors respectively");
    NABLA_CHECK(!kpm.defined() || kpm.dim() == 2,
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found ", kpm.dim(),
                "-D tensor instead");
    NABLA_CHECK(!attn_mask.defined() || attn_mask.dim() == 2 || attn_mask.dim() == 3,
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found ", attn_mask.dim(),
                "-D tensor instead");
    return true;
  }
  NABLA_CHECK(query.dim() == 2, "query should be unbatched 2D or batched 3D tensor but received ", query.dim(),
              "-D query tensor");
  NABLA_CHECK(key.dim() == 2 && value.dim() == 2,
              "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found ", key.dim(), "-D and ",
              value.dim(), "-D tensors respectively");
  NABLA_CHECK(!kpm.defined() || kpm.dim() == 1,
              "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but found ", kpm.dim(),
              "-D tensor instead");
  if (attn_mask.defined()) {
    NABLA_CHECK(attn_mask.dim() == 2 || attn_mask.dim() == 3,
                "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found ",
                attn_mask.dim(), "-D tensor instead");
    if (attn_mask.dim() == 3) {
      const bool ok =
          attn_mask.size(0) == num_heads && attn_mask.size(1) == query.size(0) && attn_mask.size(2) == key.size(0);
      NABLA_CHECK(ok, "Expected `attn_mask` shape to be ", py_tuple({num_heads, query.size(0), key.size(0)}),
                  " but got ", torch_size(attn_mask.sizes()));
    }
  }
  return false;
}

// A byte mask becomes bool, with PyTorch's deprecation warning.
Tensor bool_from_byte(const Tensor& mask, const char* what) {
  if (!mask.defined() || mask.scalar_type() != kByte) return mask;
  warn(std::string("Byte tensor for ") + what + " in nn.MultiheadAttention is deprecated. Use bool tensor instead.");
  return mask.to(kBool);
}

// mask with one more column of "attend" (false / 0) at the end of its last dim.
Tensor pad_last(const Tensor& mask) {
  DimVector s(mask.sizes());
  s.back() = 1;
  return cat({mask, zeros(s, TensorOptions().dtype(mask.scalar_type()))}, -1);
}

// Python's _in_projection_packed: one GEMM for self-attention, two for shared key/value.
std::vector<Tensor> in_projection_packed(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& w,
                                         const Tensor& b) {
  const int64_t E = q.size(-1);
  if (k.is_same(v)) {
    if (q.is_same(k)) return nabla::linear(q, w, b).chunk(3, -1);
    auto ws = w.split_with_sizes({E, 2 * E});
    std::vector<Tensor> bs = b.defined() ? b.split_with_sizes({E, 2 * E}) : std::vector<Tensor>{Tensor(), Tensor()};
    auto kv = nabla::linear(k, ws[1], bs[1]).chunk(2, -1);
    return {nabla::linear(q, ws[0], bs[0]), kv[0], kv[1]};
  }
  auto ws = w.chunk(3);
  std::vector<Tensor> bs = b.defined() ? b.chunk(3) : std::vector<Tensor>(3);
  return {nabla::linear(q, ws[0], bs[0]), nabla::linear(k, ws[1], bs[1]), nabla::linear(v, ws[2], bs[2])};
}

// (len, bsz, E) → (bsz * num_heads, len, head_dim), or static_kv checked and used as it is.
Tensor split_heads(const Tensor& t, int64_t bsz, int64_t num_heads, int64_t head_dim) {
  return t.reshape({t.size(0), bsz * num_heads, head_dim}).transpose(0, 1);
}

Tensor use_static(const Tensor& s, const char* name, int64_t bsz, int64_t num_heads, int64_t head_dim) {
  NABLA_CHECK(s.size(0) == bsz * num_heads, "expecting ", name, ".size(0) of ", bsz * num_heads, ", but got ",
              s.size(0));
  NABLA_CHECK(s.size(2) == head_dim, "expecting ", name, ".size(2) of ", head_dim, ", but got ", s.size(2));
  return s;
}

}  // namespace

std::tuple<Tensor, Tensor> multi_head_attention_forward(const Tensor& query_in, const Tensor& key_in,
                                                        const Tensor& value_in,
                                                        const MultiheadAttentionForwardFuncOptions& o) {
  const int64_t num_heads = o.num_heads();
  Tensor kpm = o.key_padding_mask(), attn_mask = o.attn_mask();
  const bool is_batched = mha_shape_check(query_in, key_in, value_in, kpm, attn_mask, num_heads);
  Tensor query = query_in, key = key_in, value = value_in;
  if (!is_batched) {
    // Keep the identity of shared inputs (self-attention projects once).
    query = query_in.unsqueeze(1);
    key = key_in.is_same(query_in) ? query : key_in.unsqueeze(1);
    value = value_in.is_same(key_in) ? key : value_in.unsqueeze(1);
    if (kpm.defined()) kpm = kpm.unsqueeze(0);
  }
  const int64_t tgt_len = query.size(0), bsz = query.size(1), embed_dim = query.size(2);
  int64_t src_len = key.size(0);
  NABLA_CHECK(embed_dim == o.embed_dim_to_check(), "was expecting embedding dimension of ", o.embed_dim_to_check(),
              ", but got ", embed_dim);
  const int64_t head_dim = embed_dim / num_heads;
  NABLA_CHECK(head_dim * num_heads == embed_dim, "embed_dim ", embed_dim, " not divisible by num_heads ", num_heads);
  if (o.use_separate_proj_weight()) {
    NABLA_CHECK(key.size(0) == value.size(0) && key.size(1) == value.size(1), "key's sequence and batch dims ",
                torch_size(key.sizes().slice(0, 2)), " do not match value's ", torch_size(value.sizes().slice(0, 2)));
  } else {
    NABLA_CHECK(key.sizes() == value.sizes(), "key shape ", torch_size(key.sizes()), " does not match value shape ",
                torch_size(value.sizes()));
  }

  // Input projections.
  Tensor q, k, v;
  if (!o.use_separate_proj_weight()) {
    auto qkv = in_projection_packed(query, key, value, o.in_proj_weight(), o.in_proj_bias());
    q = qkv[0], k = qkv[1], v = qkv[2];
  } else {
    std::vector<Tensor> bs = o.in_proj_bias().defined() ? o.in_proj_bias().chunk(3) : std::vector<Tensor>(3);
    q = nabla::linear(query, o.q_proj_weight(), bs[0]);
    k = nabla::linear(key, o.k_proj_weight(), bs[1]);
    v = nabla::linear(value, o.v_proj_weight(), bs[2]);
  }

  // Masks.
  if (attn_mask.defined()) {
    attn_mask = bool_from_byte(attn_mask, "attn_mask");
    NABLA_CHECK(attn_mask.is_floating_point() || attn_mask.scalar_type() == kBool,
                "Only float, byte, and bool types are supported for attn_mask, not torch.",
                toString(attn_mask.scalar_type()));
    if (attn_mask.dim() == 2) {
      NABLA_CHECK(attn_mask.size(0) == tgt_len && attn_mask.size(1) == src_len, "The shape of the 2D attn_mask is ",
                  torch_size(attn_mask.sizes()), ", but should be ", py_tuple({tgt_len, src_len}), ".");
      attn_mask = attn_mask.unsqueeze(0);
    } else if (attn_mask.dim() == 3) {
      const bool ok =
          attn_mask.size(0) == bsz * num_heads && attn_mask.size(1) == tgt_len && attn_mask.size(2) == src_len;
      NABLA_CHECK(ok, "The shape of the 3D attn_mask is ", torch_size(attn_mask.sizes()), ", but should be ",
                  py_tuple({bsz * num_heads, tgt_len, src_len}), ".");
    } else {
      NABLA_CHECK(false, "attn_mask's dimension ", attn_mask.dim(), " is not supported");
    }
  }
  kpm = bool_from_byte(kpm, "key_padding_mask");

  // Learned key/value biases appended along the sequence.
  if (o.bias_k().defined() && o.bias_v().defined()) {
    NABLA_CHECK(!o.static_k().defined(), "bias cannot be added to static key.");
    NABLA_CHECK(!o.static_v().defined(), "bias cannot be added to static value.");
    k = cat({k, o.bias_k().repeat({1, bsz, 1})});
    v = cat({v, o.bias_v().repeat({1, bsz, 1})});
    if (attn_mask.defined()) attn_mask = pad_last(attn_mask);
    if (kpm.defined()) kpm = pad_last(kpm);
  }

  // Heads: (bsz * num_heads, len, head_dim).
  q = split_heads(q, bsz, num_heads, head_dim);
  k = o.static_k().defined() ? use_static(o.static_k(), "static_k", bsz, num_heads, head_dim)
                             : split_heads(k, bsz, num_heads, head_dim);
  v = o.static_v().defined() ? use_static(o.static_v(), "static_v", bsz, num_heads, head_dim)
                             : split_heads(v, bsz, num_heads, head_dim);
  if (o.add_zero_attn()) {
    k = cat({k, zeros({bsz * num_heads, 1, head_dim}, TensorOptions().dtype(k.scalar_type()))}, 1);
    v = cat({v, zeros({bsz * num_heads, 1, head_dim}, TensorOptions().dtype(v.scalar_type()))}, 1);
    if (attn_mask.defined()) attn_mask = pad_last(attn_mask);
    if (kpm.defined()) kpm = pad_last(kpm);
  }
  src_len = k.size(1);

  // Key padding merged into the attention mask, then a float mask.
  if (kpm.defined()) {
    NABLA_CHECK(kpm.dim() == 2 && kpm.size(0) == bsz && kpm.size(1) == src_len, "expecting key_padding_mask shape of ",
                py_tuple({bsz, src_len}), ", but got ", torch_size(kpm.sizes()));
    kpm = kpm.view({bsz, 1, 1, src_len}).expand({-1, num_heads, -1, -1}).reshape({bsz * num_heads, 1, src_len});
    if (!attn_mask.defined())
      attn_mask = kpm;
    else if (attn_mask.scalar_type() == kBool)
      attn_mask = attn_mask.logical_or(kpm);
    else
      attn_mask = attn_mask.masked_fill(kpm, kNegInf);
  }
  if (attn_mask.defined() && attn_mask.scalar_type() == kBool)
    attn_mask = zeros(attn_mask.sizes(), TensorOptions().dtype(q.scalar_type())).masked_fill(attn_mask, kNegInf);

  // Attention.
  const double dropout_p = o.training() ? o.dropout_p() : 0.0;
  Tensor scores = bmm(q / std::sqrt(static_cast<double>(head_dim)), k.transpose(-2, -1));
  if (attn_mask.defined()) scores = scores + attn_mask;
  Tensor weights = scores.softmax(-1);
  if (dropout_p > 0) weights = nabla::dropout(weights, dropout_p, true);
  Tensor out = bmm(weights, v).transpose(0, 1).reshape({tgt_len * bsz, embed_dim});
  out = nabla::linear(out, o.out_proj_weight(), o.out_proj_bias()).view({tgt_len, bsz, -1});
  if (!o.need_weights()) return {is_batched ? out : out.squeeze(1), Tensor()};
  weights = weights.view({bsz, num_heads, tgt_len, src_len});
  if (o.average_attn_weights()) weights = weights.sum(IntArrayRef{1}) / num_heads;
  if (!is_batched) return {out.squeeze(1), weights.squeeze(0)};
  return {out, weights};
}

}  // namespace nn::functional
}  // namespace nabla
