// How apply<Op> runs an op on float16, int16 or int8 tensors: in the compute types, with the
// results rounded (float16) or wrapped (int8, int16) back once (Note [Narrow dtypes compute wide]).
#include "autograd/op.h"
#include "core/internal.h"
#include "nabla/functions.h"

namespace nabla::autograd::detail {

namespace {

int category(ScalarType t) { return t == kBool ? 0 : isFloatingType(t) ? 2 : 1; }

// PyTorch's result type of tensor operands (0-dim tensors take part only when they are of a
// higher category), over the operands that pass `keep`.
template <typename Keep>
std::optional<ScalarType> result_type(const std::vector<Tensor>& ts, Keep keep) {
  std::optional<ScalarType> dims, zero;
  for (const Tensor& t : ts) {
    if (!keep(t)) continue;
    auto& r = t.dim() == 0 ? zero : dims;
    r = r ? promoteTypes(*r, t.scalar_type()) : t.scalar_type();
  }
  if (!dims) return zero;
  if (zero && category(*zero) > category(*dims)) return promoteTypes(*dims, *zero);
  return dims;
}

}  // namespace

void Widening::note(const Tensor& t) {
  if (t.defined()) operands_.push_back(t);
}

Tensor Widening::wide(const Tensor& t) {
  note(t);
  return t.defined() && isNarrowType(t.scalar_type()) ? t.to(computeType(t.scalar_type())) : t;
}

std::optional<Tensor> Widening::wide(const std::optional<Tensor>& t) {
  if (!t) return t;
  return wide(*t);
}

std::vector<Tensor> Widening::wide(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.push_back(wide(t));
  return out;
}

ScalarType Widening::wide(ScalarType t) {
  requested_ = t;
  return computeType(t);
}

std::optional<ScalarType> Widening::wide(const std::optional<ScalarType>& t) {
  if (!t) return t;
  return wide(*t);
}

TensorList Widening::wide(TensorList ts) {
  lists_.push_back(wide(std::vector<Tensor>(ts.begin(), ts.end())));
  return TensorList(lists_.back());
}

// The result has the compute type of the operands' result type when that is narrow (x + y,
// x.sum(), where(c, x, y)); otherwise, when some operands do not promote with the narrow ones
// (an int64 index), it has the compute type of the narrow operands' result type and no other
// operand has that dtype (gather(int8 x, dim, int64 index)). Bool, int64 indices, true
// division's floats and results of a dtype the caller asked for (x.sum(kFloat)) stay as they are.
Tensor Widening::narrow(const Tensor& out) const {
  if (!out.defined()) return out;
  const ScalarType d = out.scalar_type();
  if (requested_) return d == computeType(*requested_) ? out.to(*requested_) : out;
  const auto all = result_type(operands_, [](const Tensor&) { return true; });
  if (all && isNarrowType(*all)) return d == computeType(*all) ? out.to(*all) : out;
  const auto narrow = result_type(operands_, [](const Tensor& t) { return isNarrowType(t.scalar_type()); });
  if (!narrow || d != computeType(*narrow)) return out;
  for (const Tensor& t : operands_)
    if (t.scalar_type() == d) return out;
  return out.to(*narrow);
}

std::vector<Tensor> Widening::narrow(std::vector<Tensor> outs) const {
  for (Tensor& t : outs) t = narrow(t);
  return outs;
}

void copy_narrow_result(Tensor& self, const Tensor& r) {
  NABLA_CHECK(core::can_cast(r.scalar_type(), self.scalar_type()), "result type ", scalarTypeName(r.scalar_type()),
              " can't be cast to the desired output type ", scalarTypeName(self.scalar_type()));
  self.copy_(r);
}

}  // namespace nabla::autograd::detail
