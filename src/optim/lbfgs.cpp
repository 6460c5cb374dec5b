// L-BFGS: PyTorch 1.13's algorithm (torch/optim/lbfgs.py), including the strong-Wolfe line
// search with cubic interpolation. Scalars (step sizes, curvature products) are doubles.
#include <algorithm>
#include <cmath>

#include <nabla/autograd.h>
#include <nabla/optim/lbfgs.h>

#include "optim/common.h"

namespace nabla::optim {

LBFGSOptions::LBFGSOptions(double lr) : lr_(lr) {}

OptionMap LBFGSOptions::to_map() const {
  OptionMap m{{"lr", lr_},
              {"max_iter", max_iter_},
              {"tolerance_grad", tolerance_grad_},
              {"tolerance_change", tolerance_change_},
              {"history_size", history_size_}};
  m["max_eval"] = max_eval_ ? OptionValue(*max_eval_) : OptionValue(std::monostate{});
  m["line_search_fn"] = line_search_fn_ ? OptionValue(*line_search_fn_) : OptionValue(std::monostate{});
  return m;
}

void LBFGSOptions::from_map(const OptionMap& map) {
  detail::read_option(map, "lr", lr_);
  detail::read_option(map, "max_iter", max_iter_);
  detail::read_option(map, "tolerance_grad", tolerance_grad_);
  detail::read_option(map, "tolerance_change", tolerance_change_);
  detail::read_option(map, "history_size", history_size_);
  if (auto it = map.find("max_eval"); it != map.end()) {
    max_eval_ = std::holds_alternative<std::monostate>(it->second)
                    ? std::nullopt
                    : std::optional<int64_t>(option_int(map, "max_eval"));
  }
  if (auto it = map.find("line_search_fn"); it != map.end()) {
    const auto* s = std::get_if<std::string>(&it->second);
    line_search_fn_ = s ? std::optional<std::string>(*s) : std::nullopt;
  }
}

void LBFGSParamState::to_dict(OptimizerStateDict::ParamState& out) const {
  out.values["func_evals"] = func_evals_;
  out.values["n_iter"] = n_iter_;
  if (!d_.defined()) return;  // before the first iteration PyTorch has only the counters
  out.values["t"] = t_;
  out.values["prev_loss"] = prev_loss_;
  out.values["H_diag"] = H_diag_;
  out.values["ro"] = std::vector<double>(ro_.begin(), ro_.end());
  if (!al_.empty()) out.values["al"] = al_;
  out.tensors["d"] = detail::copy_of(d_);
  out.tensors["prev_flat_grad"] = detail::copy_of(prev_flat_grad_);
  auto& dirs = out.tensor_lists["old_dirs"];
  for (const auto& t : old_dirs_) dirs.push_back(t.clone());
  auto& stps = out.tensor_lists["old_stps"];
  for (const auto& t : old_stps_) stps.push_back(t.clone());
}

void LBFGSParamState::from_dict(const OptimizerStateDict::ParamState& in, const Tensor& param) {
  auto num = [&](const char* k, double dflt) { return in.values.count(k) ? option_double(in.values, k) : dflt; };
  func_evals_ = in.values.count("func_evals") ? option_int(in.values, "func_evals") : 0;
  n_iter_ = in.values.count("n_iter") ? option_int(in.values, "n_iter") : 0;
  t_ = num("t", 0);
  prev_loss_ = num("prev_loss", 0);
  H_diag_ = num("H_diag", 1);
  ro_.clear();
  if (in.values.count("ro")) {
    const auto& r = option_list(in.values, "ro");
    ro_.assign(r.begin(), r.end());
  }
  al_ = in.values.count("al") ? option_list(in.values, "al") : std::vector<double>{};
  d_ = detail::state_tensor_for(detail::find_tensor(in, "d"), param);
  prev_flat_grad_ = detail::state_tensor_for(detail::find_tensor(in, "prev_flat_grad"), param);
  auto read_list = [&](const char* k, std::deque<Tensor>& out) {
    out.clear();
    auto it = in.tensor_lists.find(k);
    if (it == in.tensor_lists.end()) return;
    for (const auto& t : it->second) out.push_back(detail::state_tensor_for(t, param));
  };
  read_list("old_dirs", old_dirs_);
  read_list("old_stps", old_stps_);
}

namespace {

double cubic_interpolate(double x1, double f1, double g1, double x2, double f2, double g2,
                         std::optional<std::pair<double, double>> bounds = std::nullopt) {
  double xmin_bound, xmax_bound;
  if (bounds) {
    std::tie(xmin_bound, xmax_bound) = *bounds;
  } else if (x1 <= x2) {
    xmin_bound = x1, xmax_bound = x2;
  } else {
    xmin_bound = x2, xmax_bound = x1;
  }
  const double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
  const double d2_square = d1 * d1 - g1 * g2;
  if (d2_square >= 0) {
    const double d2 = std::sqrt(d2_square);
    double min_pos;
    if (x1 <= x2) {
      min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2));
    } else {
      min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    }
    return std::min(std::max(min_pos, xmin_bound), xmax_bound);
  }
  return (xmin_bound + xmax_bound) / 2.;
}

double dot_value(const Tensor& a, const Tensor& b) { return a.dot(b).item<double>(); }
double abs_max(const Tensor& a) { return a.abs().max().item<double>(); }

struct LineSearchResult {
  double f;
  Tensor g;
  double t;
  int64_t evals;
};

// PyTorch's _strong_wolfe (c1 = 1e-4, c2 = 0.9, max_ls = 25).
template <typename Obj>
LineSearchResult strong_wolfe(const Obj& obj_func, double t, const Tensor& d, double f, Tensor g,
                              double gtd, double tolerance_change) {
  const double c1 = 1e-4, c2 = 0.9;
  const int64_t max_ls = 25;
  const double d_norm = abs_max(d);
  g = g.clone();
  double f_new;
  Tensor g_new;
  std::tie(f_new, g_new) = obj_func(t, d);
  int64_t ls_func_evals = 1;
  double gtd_new = dot_value(g_new, d);
  double t_prev = 0, f_prev = f, gtd_prev = gtd;
  Tensor g_prev = g;
  bool done = false;
  int64_t ls_iter = 0;
  std::vector<double> bracket, bracket_f, bracket_gtd;
  std::vector<Tensor> bracket_g;
  while (ls_iter < max_ls) {
    if (f_new > (f + c1 * t * gtd) || (ls_iter > 1 && f_new >= f_prev)) {
      bracket = {t_prev, t};
      bracket_f = {f_prev, f_new};
      bracket_g = {g_prev, g_new.clone()};
      bracket_gtd = {gtd_prev, gtd_new};
      break;
    }
    if (std::abs(gtd_new) <= -c2 * gtd) {
      bracket = {t};
      bracket_f = {f_new};
      bracket_g = {g_new};
      done = true;
      break;
    }
    if (gtd_new >= 0) {
      bracket = {t_prev, t};
      bracket_f = {f_prev, f_new};
      bracket_g = {g_prev, g_new.clone()};
      bracket_gtd = {gtd_prev, gtd_new};
      break;
    }
    const double min_step = t + 0.01 * (t - t_prev);
    const double max_step = t * 10;
    const double tmp = t;
    t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, std::make_pair(min_step, max_step));
    t_prev = tmp;
    f_prev = f_new;
    g_prev = g_new.clone();
    gtd_prev = gtd_new;
    std::tie(f_new, g_new) = obj_func(t, d);
    ls_func_evals += 1;
    gtd_new = dot_value(g_new, d);
    ls_iter += 1;
  }
  if (ls_iter == max_ls) {
    bracket = {0, t};
    bracket_f = {f, f_new};
    bracket_g = {g, g_new};
  }
  // Zoom: the bracket holds a point satisfying the conditions; shrink it.
  bool insuf_progress = false;
  size_t low_pos = bracket_f.front() <= bracket_f.back() ? 0 : 1;
  size_t high_pos = 1 - low_pos;
  while (!done && ls_iter < max_ls) {
    if (std::abs(bracket[1] - bracket[0]) * d_norm < tolerance_change) break;
    t = cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]);
    const double bmax = std::max(bracket[0], bracket[1]), bmin = std::min(bracket[0], bracket[1]);
    const double eps = 0.1 * (bmax - bmin);
    if (std::min(bmax - t, t - bmin) < eps) {
      if (insuf_progress || t >= bmax || t <= bmin) {
        t = std::abs(t - bmax) < std::abs(t - bmin) ? bmax - eps : bmin + eps;
        insuf_progress = false;
      } else {
        insuf_progress = true;
      }
    } else {
      insuf_progress = false;
    }
    std::tie(f_new, g_new) = obj_func(t, d);
    ls_func_evals += 1;
    gtd_new = dot_value(g_new, d);
    ls_iter += 1;
    if (f_new > (f + c1 * t * gtd) || f_new >= bracket_f[low_pos]) {
      bracket[high_pos] = t;
      bracket_f[high_pos] = f_new;
      bracket_g[high_pos] = g_new.clone();
      bracket_gtd[high_pos] = gtd_new;
      low_pos = bracket_f[0] <= bracket_f[1] ? 0 : 1;
      high_pos = 1 - low_pos;
    } else {
      if (std::abs(gtd_new) <= -c2 * gtd) {
        done = true;
      } else if (gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0) {
        bracket[high_pos] = bracket[low_pos];
        bracket_f[high_pos] = bracket_f[low_pos];
        bracket_g[high_pos] = bracket_g[low_pos];
        bracket_gtd[high_pos] = bracket_gtd[low_pos];
      }
      bracket[low_pos] = t;
      bracket_f[low_pos] = f_new;
      bracket_g[low_pos] = g_new.clone();
      bracket_gtd[low_pos] = gtd_new;
    }
  }
  return {bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals};
}

}  // namespace

LBFGS::LBFGS(std::vector<OptimizerParamGroup> param_groups, LBFGSOptions defaults)
    : Optimizer(std::move(param_groups), std::make_unique<LBFGSOptions>(defaults)) {
  NABLA_CHECK(param_groups_.size() == 1,
              "LBFGS doesn't support per-parameter options (parameter groups)");
  auto& o = static_cast<LBFGSOptions&>(param_groups_[0].options());
  if (!o.max_eval()) {
    o.max_eval(o.max_iter() * 5 / 4);
    static_cast<LBFGSOptions&>(*defaults_).max_eval(o.max_eval());
  }
}

LBFGS::LBFGS(std::vector<Tensor> params, LBFGSOptions defaults)
    : LBFGS(std::vector<OptimizerParamGroup>{OptimizerParamGroup(std::move(params))}, defaults) {}

std::unique_ptr<OptimizerParamState> LBFGS::make_param_state() const {
  return std::make_unique<LBFGSParamState>();
}

void LBFGS::check_options(const OptimizerOptions& options) const {
  const auto& o = static_cast<const LBFGSOptions&>(options);
  NABLA_CHECK(o.history_size() >= 1, "LBFGS needs a history_size of at least 1, got ", o.history_size());
}

// The state's vectors are flat over all parameters (their elements in order), in the first
// parameter's dtype; the history lists go together and hold at most history_size entries.
void LBFGS::check_param_state(const OptimizerParamState& state, const Tensor& param,
                              const OptimizerOptions& options) const {
  const auto& st = static_cast<const LBFGSParamState&>(state);
  const int64_t history = static_cast<const LBFGSOptions&>(options).history_size();
  const std::vector<int64_t> flat{numel()};
  const char* what = "the shape of all parameters' elements ";
  detail::check_state_tensor(st.d(), "d", flat, param.scalar_type(), what);
  detail::check_state_tensor(st.prev_flat_grad(), "prev_flat_grad", flat, param.scalar_type(), what);
  for (const auto& t : st.old_dirs()) detail::check_state_tensor(t, "old_dirs", flat, param.scalar_type(), what);
  for (const auto& t : st.old_stps()) detail::check_state_tensor(t, "old_stps", flat, param.scalar_type(), what);
  const size_t n = st.old_dirs().size();
  NABLA_CHECK(st.old_stps().size() == n && st.ro().size() == n, "'old_dirs', 'old_stps' and 'ro' must have the "
              "same length, got ", n, ", ", st.old_stps().size(), " and ", st.ro().size());
  NABLA_CHECK(static_cast<int64_t>(n) <= history, "'old_dirs' holds ", n, " entries, more than the history_size ",
              history);
  for (const auto& t : st.old_dirs()) NABLA_CHECK(t.defined(), "'old_dirs' holds an undefined tensor");
  for (const auto& t : st.old_stps()) NABLA_CHECK(t.defined(), "'old_stps' holds an undefined tensor");
  NABLA_CHECK(st.al().empty() || static_cast<int64_t>(st.al().size()) == history, "'al' holds ", st.al().size(),
              " values, but it must be empty or hold history_size (", history, ")");
  NABLA_CHECK(st.n_iter() >= 0 && st.func_evals() >= 0, "'n_iter' and 'func_evals' must not be negative");
  NABLA_CHECK(st.n_iter() == 0 || (st.d().defined() && st.prev_flat_grad().defined()),
              "'d' and 'prev_flat_grad' must be present after the first iteration ('n_iter' is ", st.n_iter(), ")");
}

int64_t LBFGS::numel() const {
  int64_t n = 0;
  for (const auto& p : param_groups_[0].params()) n += p.numel();
  return n;
}

Tensor LBFGS::gather_flat_grad() const {
  std::vector<Tensor> views;
  for (const auto& p : param_groups_[0].params()) {
    views.push_back(p.grad().defined() ? p.grad().reshape({-1}) : zeros({p.numel()}, p.options()));
  }
  return cat(views, 0);
}

void LBFGS::add_grad(double step_size, const Tensor& update) {
  int64_t offset = 0;
  for (auto& p : param_groups_[0].params()) {
    const int64_t n = p.numel();
    p.add_(update.slice(0, offset, offset + n).view(p.sizes()), step_size);
    offset += n;
  }
}

std::vector<Tensor> LBFGS::clone_params() const {
  std::vector<Tensor> out;
  for (const auto& p : param_groups_[0].params()) out.push_back(p.detach().clone());
  return out;
}

void LBFGS::set_params(const std::vector<Tensor>& values) {
  auto& params = param_groups_[0].params();
  for (size_t i = 0; i < params.size(); ++i) params[i].copy_(values[i]);
}

std::pair<double, Tensor> LBFGS::directional_evaluate(const LossClosure& closure,
                                                      const std::vector<Tensor>& x, double t,
                                                      const Tensor& d) {
  add_grad(t, d);
  double loss;
  {
    AutoGradMode enable(true);
    loss = closure().item<double>();
  }
  Tensor flat_grad = gather_flat_grad();
  set_params(x);
  return {loss, flat_grad};
}

Tensor LBFGS::step(LossClosure closure) {
  NABLA_CHECK(closure, "LBFGS requires a closure that reevaluates the model and returns the loss");
  NoGradGuard no_grad;
  auto& group = param_groups_[0];
  const auto& o = static_cast<const LBFGSOptions&>(group.options());
  const double lr = o.lr();
  const int64_t max_iter = o.max_iter();
  const int64_t max_eval = o.max_eval().value_or(max_iter * 5 / 4);
  const double tolerance_grad = o.tolerance_grad(), tolerance_change = o.tolerance_change();
  const int64_t history_size = o.history_size();
  NABLA_CHECK(history_size >= 1, "LBFGS needs a history_size of at least 1, got ", history_size);
  auto& st = param_state<LBFGSParamState>(group.params().at(0));

  Tensor orig_loss;
  {
    AutoGradMode enable(true);
    orig_loss = closure();
  }
  double loss = orig_loss.item<double>();
  int64_t current_evals = 1;
  st.func_evals(st.func_evals() + 1);
  Tensor flat_grad = gather_flat_grad();
  bool opt_cond = abs_max(flat_grad) <= tolerance_grad;
  if (opt_cond) return orig_loss;

  Tensor d = st.d();
  double t = st.t();
  auto& old_dirs = st.old_dirs();
  auto& old_stps = st.old_stps();
  auto& ro = st.ro();
  double H_diag = st.H_diag();
  Tensor prev_flat_grad = st.prev_flat_grad();
  double prev_loss = st.prev_loss();

  int64_t n_iter = 0;
  while (n_iter < max_iter) {
    n_iter += 1;
    st.n_iter(st.n_iter() + 1);
    if (st.n_iter() == 1) {
      d = flat_grad.neg();
      old_dirs.clear();
      old_stps.clear();
      ro.clear();
      H_diag = 1;
    } else {
      Tensor y = flat_grad.sub(prev_flat_grad);
      Tensor s = d.mul(t);
      const double ys = dot_value(y, s);
      if (ys > 1e-10) {
        if (static_cast<int64_t>(old_dirs.size()) == history_size) {
          old_dirs.pop_front();
          old_stps.pop_front();
          ro.pop_front();
        }
        old_dirs.push_back(y);
        old_stps.push_back(s);
        ro.push_back(1. / ys);
        H_diag = ys / dot_value(y, y);
      }
      const int64_t num_old = static_cast<int64_t>(old_dirs.size());
      auto& al = st.al();
      if (al.empty()) al.assign(static_cast<size_t>(history_size), 0.0);
      Tensor q = flat_grad.neg();
      for (int64_t i = num_old - 1; i >= 0; --i) {
        al[i] = dot_value(old_stps[i], q) * ro[i];
        q.add_(old_dirs[i], -al[i]);
      }
      Tensor r = q.mul(H_diag);
      for (int64_t i = 0; i < num_old; ++i) {
        const double be_i = dot_value(old_dirs[i], r) * ro[i];
        r.add_(old_stps[i], al[i] - be_i);
      }
      d = r;
    }
    if (!prev_flat_grad.defined()) {
      prev_flat_grad = flat_grad.clone();
    } else {
      prev_flat_grad.copy_(flat_grad);
    }
    prev_loss = loss;
    if (st.n_iter() == 1) {
      t = std::min(1., 1. / flat_grad.abs().sum().item<double>()) * lr;
    } else {
      t = lr;
    }
    const double gtd = dot_value(flat_grad, d);
    if (gtd > -tolerance_change) break;

    int64_t ls_func_evals = 0;
    if (o.line_search_fn()) {
      NABLA_CHECK(*o.line_search_fn() == "strong_wolfe", "only 'strong_wolfe' is supported");
      const std::vector<Tensor> x_init = clone_params();
      auto obj_func = [&](double step, const Tensor& dir) {
        return directional_evaluate(closure, x_init, step, dir);
      };
      auto res = strong_wolfe(obj_func, t, d, loss, flat_grad, gtd, tolerance_change);
      loss = res.f;
      flat_grad = res.g;
      t = res.t;
      ls_func_evals = res.evals;
      add_grad(t, d);
      opt_cond = abs_max(flat_grad) <= tolerance_grad;
    } else {
      add_grad(t, d);
      if (n_iter != max_iter) {
        {
          AutoGradMode enable(true);
          loss = closure().item<double>();
        }
        flat_grad = gather_flat_grad();
        opt_cond = abs_max(flat_grad) <= tolerance_grad;
        ls_func_evals = 1;
      }
    }
    current_evals += ls_func_evals;
    st.func_evals(st.func_evals() + ls_func_evals);

    if (n_iter == max_iter) break;
    if (current_evals >= max_eval) break;
    if (opt_cond) break;
    if (abs_max(d.mul(t)) <= tolerance_change) break;
    if (std::abs(loss - prev_loss) < tolerance_change) break;
  }
  st.d(d);
  st.t(t);
  st.H_diag(H_diag);
  st.prev_flat_grad(prev_flat_grad);
  st.prev_loss(prev_loss);
  return orig_loss;
}

}  // namespace nabla::optim
