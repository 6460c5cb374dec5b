#include "nabla/viz/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "io/bytes.h"
#include "nabla/error.h"

namespace nabla::viz {

namespace {

// Colours of successive series (colour-blind friendly palette).
constexpr const char* kColours[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00",
                                    "#56b4e9"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string coord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `count` ticks over span.
double tick_step(double span, int count) {
  double raw = span / count;
  double p = std::pow(10.0, std::floor(std::log10(raw)));
  double m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  // An empty or single-valued range widened so that it can be drawn.
  void settle() {
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (lo == hi) lo -= 0.5, hi += 0.5;
  }
};

void draw_chart(std::ostringstream& out, const Chart& chart, double left, int width, int height) {
  const double ml = 64, mr = 16, mt = 32, mb = 48;  // margins: room for ticks and labels
  const double pw = width - ml - mr, ph = height - mt - mb;
  Range xr, yr;
  for (const auto& s : chart.series) {
    NABLA_CHECK(s.x.size() == s.y.size(), "viz: series '", s.name, "' has ", s.x.size(),
                " x values but ", s.y.size(), " y values");
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xr.add(s.x[i]);
      yr.add(s.y[i]);
    }
  }
  xr.settle();
  yr.settle();
  auto px = [&](double x) { return left + ml + (x - xr.lo) / (xr.hi - xr.lo) * pw; };
  auto py = [&](double y) { return mt + ph - (y - yr.lo) / (yr.hi - yr.lo) * ph; };

  out << "<g font-family=\"sans-serif\" font-size=\"11\">\n";
  out << "<text x=\"" << coord(left + ml + pw / 2) << "\" y=\"20\" text-anchor=\"middle\" "
      << "font-size=\"14\">" << escape(chart.title) << "</text>\n";
  out << "<rect x=\"" << coord(left + ml) << "\" y=\"" << coord(mt) << "\" width=\"" << coord(pw)
      << "\" height=\"" << coord(ph) << "\" fill=\"none\" stroke=\"#444\"/>\n";
  // Ticks and grid lines.
  double xs = tick_step(xr.hi - xr.lo, 6), ys = tick_step(yr.hi - yr.lo, 5);
  for (double t = std::ceil(xr.lo / xs) * xs; t <= xr.hi + xs * 1e-9; t += xs) {
    out << "<line x1=\"" << coord(px(t)) << "\" y1=\"" << coord(mt) << "\" x2=\"" << coord(px(t))
        << "\" y2=\"" << coord(mt + ph) << "\" stroke=\"#ddd\"/>\n";
    out << "<text x=\"" << coord(px(t)) << "\" y=\"" << coord(mt + ph + 14)
        << "\" text-anchor=\"middle\">" << num(t) << "</text>\n";
  }
  for (double t = std::ceil(yr.lo / ys) * ys; t <= yr.hi + ys * 1e-9; t += ys) {
    out << "<line x1=\"" << coord(left + ml) << "\" y1=\"" << coord(py(t)) << "\" x2=\""
        << coord(left + ml + pw) << "\" y2=\"" << coord(py(t)) << "\" stroke=\"#ddd\"/>\n";
    out << "<text x=\"" << coord(left + ml - 4) << "\" y=\"" << coord(py(t) + 4)
        << "\" text-anchor=\"end\">" << num(t) << "</text>\n";
  }
  out << "<text x=\"" << coord(left + ml + pw / 2) << "\" y=\"" << coord(height - 12)
      << "\" text-anchor=\"middle\">" << escape(chart.xlabel) << "</text>\n";
  out << "<text transform=\"translate(" << coord(left + 14) << "," << coord(mt + ph / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">" << escape(chart.ylabel) << "</text>\n";
  // Lines, points and the legend.
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const Series& s = chart.series[k];
    const char* colour = kColours[k % std::size(kColours)];
    std::string points;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      points += coord(px(s.x[i])) + "," + coord(py(s.y[i])) + " ";
      out << "<circle cx=\"" << coord(px(s.x[i])) << "\" cy=\"" << coord(py(s.y[i]))
          << "\" r=\"2.5\" fill=\"" << colour << "\"/>\n";
    }
    out << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\""
        << points << "\"/>\n";
    double ly = mt + 14 + 16 * static_cast<double>(k);
    out << "<line x1=\"" << coord(left + ml + pw - 110) << "\" y1=\"" << coord(ly - 4) << "\" x2=\""
        << coord(left + ml + pw - 90) << "\" y2=\"" << coord(ly - 4) << "\" stroke=\"" << colour
        << "\" stroke-width=\"2\"/>\n";
    out << "<text x=\"" << coord(left + ml + pw - 84) << "\" y=\"" << coord(ly) << "\">"
        << escape(s.name) << "</text>\n";
  }
  out << "</g>\n";
}

}  // namespace

std::string charts_svg(const std::vector<Chart>& charts, int width, int height) {
  NABLA_CHECK(width >= 160 && height >= 120, "viz: a chart needs at least 160x120 pixels, got ",
              width, "x", height);
  const int total = width * std::max<int>(1, static_cast<int>(charts.size()));
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" << total
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << total << " " << height << "\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t i = 0; i < charts.size(); ++i)
    draw_chart(out, charts[i], static_cast<double>(i) * width, width, height);
  out << "</svg>\n";
  return out.str();
}

void save_charts(const std::vector<Chart>& charts, const std::string& path, int width,
                 int height) {
  std::string svg = charts_svg(charts, width, height);
  io::write_file_atomic(path, {{svg.data(), svg.size()}});
}

}  // namespace nabla::viz
