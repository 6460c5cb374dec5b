// Printing: Python's repr of a tensor (torch/_tensor_str.py with the default print options:
// precision 4, threshold 1000, edgeitems 3, linewidth 80, sci_mode chosen automatically).
//   tensor([[1., 2.],
//           [3., 4.]], dtype=torch.float64, requires_grad=True)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "nabla/autograd/node.h"
#include "nabla/tensor.h"

namespace nabla {

namespace {

constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int64_t kLineWidth = 80;

// Reads element values of any dtype and geometry by storage offset (in elements).
struct ElementReader {
  const char* data;
  ScalarType dtype;

  double as_double(int64_t off) const {
    if (dtype == kHalf) return static_cast<float>(reinterpret_cast<const Half*>(data)[off]);
    if (isNarrowType(dtype)) return static_cast<double>(as_int(off));
    return NABLA_DISPATCH_ALL_TYPES(
        dtype, "print", [&]() -> double { return static_cast<double>(reinterpret_cast<const scalar_t*>(data)[off]); });
  }
  int64_t as_int(int64_t off) const {
    if (dtype == kShort) return reinterpret_cast<const int16_t*>(data)[off];
    if (dtype == kChar) return reinterpret_cast<const int8_t*>(data)[off];
    if (dtype == kHalf) return static_cast<int64_t>(as_double(off));
    return NABLA_DISPATCH_ALL_TYPES(dtype, "print", [&]() -> int64_t {
      return static_cast<int64_t>(reinterpret_cast<const scalar_t*>(data)[off]);
    });
  }
};

// Python's "{:.Nf}" / "{:.Ne}" / "{:.0f}" for a float, with its spelling of non-finite values.
std::string format_float(double v, char style) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  if (style == 'e')
    std::snprintf(buf, sizeof(buf), "%.*e", kPrecision, v);
  else if (style == 'f')
    std::snprintf(buf, sizeof(buf), "%.*f", kPrecision, v);
  else
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  return buf;
}

std::string pad_left(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

// torch._tensor_str._Formatter: chooses integer, fixed or scientific notation from the values
// shown, and the common width every element is padded to.
class Formatter {
 public:
  Formatter(ScalarType dtype, const ElementReader& reader, const std::vector<int64_t>& offsets)
      : floating_(isFloatingType(dtype)), bool_(dtype == kBool) {
    if (!floating_) {
      for (int64_t off : offsets) max_width_ = std::max(max_width_, plain(reader, off).size());
      return;
    }
    std::vector<double> vals;
    for (int64_t off : offsets) {
      double v = reader.as_double(off);
      if (std::isfinite(v) && v != 0) vals.push_back(v);
    }
    if (vals.empty()) return;
    double mn = std::fabs(vals[0]), mx = mn;
    for (double v : vals) {
      mn = std::min(mn, std::fabs(v));
      mx = std::max(mx, std::fabs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    if (int_mode_) {
      sci_mode_ = mx / mn > 1000.0 || mx > 1.0e8;
      for (double v : vals)
        max_width_ = std::max(max_width_, sci_mode_ ? format_float(v, 'e').size() : format_float(v, '0').size() + 1);
    } else {
      sci_mode_ = mx / mn > 1000.0 || mx > 1.0e8 || mn < 1.0e-4;
      for (double v : vals) max_width_ = std::max(max_width_, format_float(v, sci_mode_ ? 'e' : 'f').size());
    }
  }

  size_t width() const { return max_width_; }

  std::string format(const ElementReader& reader, int64_t off) const {
    std::string s;
    if (!floating_) {
      s = plain(reader, off);
    } else {
      const double v = reader.as_double(off);
      if (sci_mode_) {
        s = format_float(v, 'e');
      } else if (int_mode_) {
        s = format_float(v, '0');
        if (std::isfinite(v)) s += ".";
      } else {
        s = format_float(v, 'f');
      }
    }
    return pad_left(s, max_width_);
  }

 private:
  std::string plain(const ElementReader& reader, int64_t off) const {
    if (bool_) return reader.as_int(off) ? "True" : "False";
    return std::to_string(reader.as_int(off));
  }

  bool floating_;
  bool bool_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t max_width_ = 1;
};

// Walks the tensor as _tensor_str does, with summarisation (edge items and "...").
class Printer {
 public:
  Printer(const Tensor& t, bool summarize)
      : sizes_(t.sizes()),
        strides_(t.strides()),
        summarize_(summarize),
        reader_{static_cast<const char*>(t.data_ptr()), t.scalar_type()} {}

  // Offsets (in elements, from element [0, ...]) of the elements that are shown (get_summarized_data).
  std::vector<int64_t> shown_offsets() const {
    std::vector<int64_t> out;
    collect(0, 0, out);
    return out;
  }

  std::string str(const Formatter& f, int64_t indent) const { return render(0, 0, indent, f); }

  const ElementReader& reader() const { return reader_; }

 private:
  // Indices of dim d that are shown: all, or the first and last kEdgeItems.
  std::vector<int64_t> shown_indices(size_t d, bool& elided) const {
    const int64_t n = sizes_[d];
    std::vector<int64_t> idx;
    elided = summarize_ && n > 2 * kEdgeItems;
    if (elided) {
      for (int64_t i = 0; i < kEdgeItems; ++i) idx.push_back(i);
      for (int64_t i = n - kEdgeItems; i < n; ++i) idx.push_back(i);
    } else {
      for (int64_t i = 0; i < n; ++i) idx.push_back(i);
    }
    return idx;
  }

  void collect(size_t d, int64_t off, std::vector<int64_t>& out) const {
    if (d == sizes_.size()) {
      out.push_back(off);
      return;
    }
    bool elided = false;
    for (int64_t i : shown_indices(d, elided)) collect(d + 1, off + i * strides_[d], out);
  }

  std::string render(size_t d, int64_t off, int64_t indent, const Formatter& f) const {
    const size_t remaining = sizes_.size() - d;
    if (remaining == 0) return f.format(reader_, off);
    bool elided = false;
    const std::vector<int64_t> idx = shown_indices(d, elided);
    std::vector<std::string> parts;
    if (remaining == 1) {
      const int64_t element_length = static_cast<int64_t>(f.width()) + 2;
      const int64_t per_line = std::max<int64_t>(1, (kLineWidth - indent) / element_length);
      for (size_t k = 0; k < idx.size(); ++k) {
        if (elided && k == static_cast<size_t>(kEdgeItems)) parts.push_back(" ...");
        parts.push_back(f.format(reader_, off + idx[k] * strides_[d]));
      }
      std::string s = "[";
      for (size_t k = 0; k < parts.size(); ++k) {
        if (k > 0)
          s +=
              k % static_cast<size_t>(per_line) == 0 ? ",\n" + std::string(static_cast<size_t>(indent + 1), ' ') : ", ";
        s += parts[k];
      }
      return s + "]";
    }
    for (size_t k = 0; k < idx.size(); ++k) {
      if (elided && k == static_cast<size_t>(kEdgeItems)) parts.push_back("...");
      parts.push_back(render(d + 1, off + idx[k] * strides_[d], indent + 1, f));
    }
    const std::string sep = "," + std::string(remaining - 1, '\n') + std::string(static_cast<size_t>(indent + 1), ' ');
    std::string s = "[";
    for (size_t k = 0; k < parts.size(); ++k) s += (k ? sep : "") + parts[k];
    return s + "]";
  }

  IntArrayRef sizes_, strides_;
  bool summarize_;
  ElementReader reader_;
};

// Python's str(tuple(sizes)): (2, 3), (0,), ().
std::string tuple_str(IntArrayRef sizes) {
  std::string s = "(";
  for (size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  if (sizes.size() == 1) s += ",";
  return s + ")";
}

// torch._tensor_str._add_suffixes: ", suffix" on the last line, or a new line when it would
// pass the line width.
std::string add_suffixes(const std::string& body, const std::vector<std::string>& suffixes, int64_t indent) {
  std::string out = body;
  const size_t nl = body.rfind('\n');
  int64_t last_line_len =
      static_cast<int64_t>(body.size()) - (nl == std::string::npos ? -1 : static_cast<int64_t>(nl)) + 1;
  for (const auto& suffix : suffixes) {
    const int64_t len = static_cast<int64_t>(suffix.size());
    if (last_line_len + len + 2 > kLineWidth) {
      out += ",\n" + std::string(static_cast<size_t>(indent), ' ') + suffix;
      last_line_len = indent + len;
    } else {
      out += ", " + suffix;
      last_line_len += len + 2;
    }
  }
  return out + ")";
}

std::string dtype_str(ScalarType t) { return "torch." + std::string(toString(t)); }

}  // namespace

std::ostream& operator<<(std::ostream& os, ScalarType t) { return os << dtype_str(t); }

std::string Tensor::toString() const {
  std::ostringstream os;
  os << *this;
  return os.str();
}

void Tensor::print() const { std::cout << *this << "\n"; }

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "[ Tensor (undefined) ]";
  const std::string prefix = "tensor(";
  const int64_t indent = static_cast<int64_t>(prefix.size());
  const ScalarType dt = t.scalar_type();
  const ScalarType default_dt = TensorOptions::default_dtype();
  std::vector<std::string> suffixes;
  std::string body;
  if (t.numel() == 0) {
    if (t.dim() != 1) suffixes.push_back("size=" + tuple_str(t.sizes()));
    if (dt != default_dt) suffixes.push_back("dtype=" + dtype_str(dt));
    body = "[]";
  } else {
    if (dt != default_dt && dt != kLong && dt != kBool) suffixes.push_back("dtype=" + dtype_str(dt));
    Printer printer(t, t.numel() > kThreshold);
    Formatter formatter(dt, printer.reader(), printer.shown_offsets());
    body = printer.str(formatter, indent);
  }
  if (t.grad_fn())
    suffixes.push_back("grad_fn=<" + t.grad_fn()->name() + ">");
  else if (t.requires_grad())
    suffixes.push_back("requires_grad=True");
  return os << add_suffixes(prefix + body, suffixes, indent);
}

}  // namespace nabla
