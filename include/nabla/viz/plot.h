#pragma once
/// Line charts as SVG, for training curves (loss and accuracy per epoch) without a plotting
/// dependency: the file is plain SVG 1.1 that every browser and image viewer shows.
///   nabla::viz::Chart loss{"Loss", "epoch", "loss", {{"train", x, train_loss}}};
///   nabla::viz::save_charts({loss, accuracy}, "out/metrics.svg");
#include <string>
#include <vector>

namespace nabla::viz {

/// One line: points (x[i], y[i]) joined in order. Non-finite points are skipped.
struct Series {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;
};

/// One chart: axes with ticks, a title, axis labels, its lines and a legend.
struct Chart {
  std::string title;
  std::string xlabel;
  std::string ylabel;
  std::vector<Series> series;
};

/// The charts side by side in one SVG document (each width x height pixels).
std::string charts_svg(const std::vector<Chart>& charts, int width = 480, int height = 320);
/// Writes charts_svg to `path` atomically (a temporary file renamed over the target).
void save_charts(const std::vector<Chart>& charts, const std::string& path, int width = 480,
                 int height = 320);

}  // namespace nabla::viz
