// Finite-difference checks of backward: the full Jacobian of every differentiable output with
// respect to every input that requires grad, numerical (central differences) against
// analytical (one backward per output element).
#include "nabla/autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "core/internal.h"
#include "nabla/autograd.h"
#include "nabla/functions.h"

namespace nabla::autograd {

namespace {

// Storage offset (in elements) of logical element `flat` of t.
int64_t offset_of(const Tensor& t, int64_t flat) {
  int64_t off = t.storage_offset();
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    int64_t i = flat % t.size(d);
    flat /= t.size(d);
    off += i * t.stride(d);
  }
  return off;
}

double& element(const Tensor& t, int64_t flat) {
  double* base = static_cast<double*>(t.impl()->storage()->data());
  return base[offset_of(t, flat)];
}

std::vector<Tensor> differentiable(const variable_list& outs) {
  std::vector<Tensor> r;
  for (const auto& o : outs)
    if (o.defined() && o.is_floating_point()) r.push_back(o);
  return r;
}

std::string matrix(const std::vector<std::vector<double>>& m) {
  std::ostringstream os;
  os.precision(6);
  for (const auto& row : m) {
    for (double v : row) os << v << " ";
    os << "\n";
  }
  return os.str();
}

}  // namespace

bool gradcheck(const GradcheckFn& fn, const variable_list& inputs, const GradcheckOptions& opt) {
  std::vector<size_t> diff_inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined() || !x.requires_grad()) continue;
    NABLA_CHECK(x.scalar_type() == kDouble, "gradcheck expects float64 inputs that require grad; input ", i,
                " is ", toString(x.scalar_type()));
    for (int64_t d = 0; d < x.dim(); ++d)
      NABLA_CHECK(x.stride(d) != 0 || x.size(d) <= 1, "gradcheck: input ", i,
                  " has overlapping memory (an expanded tensor); pass a contiguous or strided one");
    diff_inputs.push_back(i);
  }
  NABLA_CHECK(!diff_inputs.empty(), "gradcheck expects at least one input tensor to require gradient");

  std::vector<Tensor> outputs = differentiable(fn(inputs));
  for (size_t oi = 0; oi < outputs.size(); ++oi) {
    const int64_t n_out = outputs[oi].numel();
    for (size_t k : diff_inputs) {
      const Tensor& x = inputs[k];
      const int64_t n_in = x.numel();
      // numerical[j][i]: d out[i] / d x[j]
      std::vector<std::vector<double>> numerical(n_in, std::vector<double>(n_out));
      for (int64_t j = 0; j < n_in; ++j) {
        double& v = element(x, j);
        const double orig = v;
        Tensor plus, minus;
        {
          // Grad mode stays on: gradgradcheck's function calls grad() inside.
          v = orig + opt.eps;
          plus = differentiable(fn(inputs))[oi].detach().to(kDouble).contiguous().clone();
          v = orig - opt.eps;
          minus = differentiable(fn(inputs))[oi].detach().to(kDouble).contiguous().clone();
          v = orig;
        }
        for (int64_t i = 0; i < n_out; ++i)
          numerical[j][i] = (plus.data_ptr<double>()[i] - minus.data_ptr<double>()[i]) / (2 * opt.eps);
      }
      std::vector<std::vector<double>> analytical(n_in, std::vector<double>(n_out));
      for (int64_t i = 0; i < n_out; ++i) {
        variable_list outs = differentiable(fn(inputs));
        if (!outs[oi].requires_grad()) continue;  // a constant output: zero Jacobian
        Tensor go = zeros_like(outs[oi]);
        NABLA_DISPATCH_FLOATING_TYPES(go.scalar_type(), "gradcheck", [&] { go.data_ptr<scalar_t>()[i] = 1; });
        variable_list gs = grad({outs[oi]}, {x}, {go}, /*retain_graph=*/false, /*create_graph=*/false,
                                /*allow_unused=*/true);
        if (!gs[0].defined()) continue;  // zero gradient
        NABLA_CHECK(gs[0].sizes() == x.sizes(), "gradcheck: gradient of input ", k, " has shape ", gs[0].sizes(),
                    " but the input has shape ", x.sizes());
        Tensor g = gs[0].to(kDouble).contiguous();
        for (int64_t j = 0; j < n_in; ++j) analytical[j][i] = g.data_ptr<double>()[j];
      }
      for (int64_t j = 0; j < n_in; ++j)
        for (int64_t i = 0; i < n_out; ++i) {
          double a = analytical[j][i], nmr = numerical[j][i];
          if (std::fabs(a - nmr) > opt.atol + opt.rtol * std::fabs(nmr)) {
            if (!opt.raise_exception) return false;
            throw Error(nabla::detail::str("Jacobian mismatch for output ", oi, " with respect to input ", k,
                                           ",\nnumerical:", matrix(numerical), "\nanalytical:", matrix(analytical)));
          }
        }
    }
  }
  return true;
}

bool gradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
               const GradcheckOptions& opt) {
  return gradcheck(GradcheckFn([&](const variable_list& in) { return variable_list{fn(in)}; }), inputs, opt);
}

bool gradgradcheck(const GradcheckFn& fn, const variable_list& inputs, const variable_list& grad_outputs_in,
                   const GradcheckOptions& opt) {
  variable_list grad_outputs = grad_outputs_in;
  if (grad_outputs.empty()) {
    std::vector<Tensor> outs = differentiable(fn(inputs));
    int seed = 1;
    for (const auto& o : outs) {
      Tensor go = empty(o.sizes(), kDouble);
      double* p = go.data_ptr<double>();
      for (int64_t i = 0; i < go.numel(); ++i) p[i] = std::sin(1.7 * static_cast<double>(i + seed)) + 0.3;
      seed += 7;
      grad_outputs.push_back(go.requires_grad_(true));
    }
  }
  const size_t n_in = inputs.size();
  GradcheckFn first = [&](const variable_list& all) {
    variable_list in(all.begin(), all.begin() + static_cast<long>(n_in));
    variable_list gos(all.begin() + static_cast<long>(n_in), all.end());
    variable_list outs = differentiable(fn(in));
    variable_list diff_in;
    for (const auto& x : in)
      if (x.defined() && x.requires_grad()) diff_in.push_back(x);
    variable_list gs = grad(outs, diff_in, gos, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
    variable_list r;
    for (size_t i = 0; i < gs.size(); ++i)
      r.push_back(gs[i].defined() ? gs[i] : zeros_like(diff_in[i]));
    return r;
  };
  variable_list all = inputs;
  all.insert(all.end(), grad_outputs.begin(), grad_outputs.end());
  return gradcheck(first, all, opt);
}

bool gradgradcheck(const std::function<Tensor(const variable_list&)>& fn, const variable_list& inputs,
                   const variable_list& grad_outputs, const GradcheckOptions& opt) {
  return gradgradcheck(GradcheckFn([&](const variable_list& in) { return variable_list{fn(in)}; }), inputs,
                       grad_outputs, opt);
}

}  // namespace nabla::autograd
