// SVG line charts (nabla::viz::charts_svg / save_charts): structure, scaling, escaping,
// errors, and that the file is well-formed XML (parsed by Python's xml.dom.minidom).
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include "nabla/viz/plot.h"
#include "viz/viz_testing.h"

namespace {

using nabla::viz::Chart;
using nabla::viz::Series;
using nabla::viz_testing::run_command;
using nabla::viz_testing::TempDir;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

// The points attribute of the k-th polyline as (x, y) pairs.
std::vector<std::pair<double, double>> polyline(const std::string& svg, size_t k) {
  std::regex re("<polyline[^>]*points=\"([^\"]*)\"");
  auto it = std::sregex_iterator(svg.begin(), svg.end(), re);
  for (size_t i = 0; i < k; ++i) ++it;
  std::vector<std::pair<double, double>> pts;
  std::istringstream in((*it)[1].str());
  for (std::string p; in >> p;) {
    auto comma = p.find(',');
    pts.emplace_back(std::stod(p.substr(0, comma)), std::stod(p.substr(comma + 1)));
  }
  return pts;
}

TEST(Plot, TwoChartsWithTheirSeriesTitlesAndLegends) {
  Chart loss{"Loss", "epoch", "loss", {{"train", {1, 2, 3}, {2.0, 1.0, 0.5}},
                                       {"test", {1, 2, 3}, {2.1, 1.2, 0.7}}}};
  Chart acc{"Accuracy", "epoch", "accuracy", {{"test", {1, 2, 3}, {0.7, 0.8, 0.85}}}};
  std::string svg = nabla::viz::charts_svg({loss, acc}, 400, 300);
  EXPECT_NE(svg.find("width=\"800\""), std::string::npos);  // two charts side by side
  EXPECT_EQ(count(svg, "<polyline"), 3u);
  EXPECT_EQ(count(svg, "<circle"), 9u);
  for (const char* text : {">Loss<", ">Accuracy<", ">train<", ">test<", ">epoch<", ">loss<"})
    EXPECT_NE(svg.find(text), std::string::npos) << text;
  // Higher values are drawn higher (smaller y); later epochs further right.
  auto train = polyline(svg, 0);
  ASSERT_EQ(train.size(), 3u);
  EXPECT_LT(train[0].first, train[1].first);
  EXPECT_LT(train[0].second, train[2].second);
  // The second chart lies in the right half.
  auto accuracy = polyline(svg, 2);
  for (auto [x, y] : accuracy) EXPECT_GT(x, 400.0);
}

TEST(Plot, SkipsNonFinitePointsAndDrawsSinglePoints) {
  Chart c{"t", "x", "y", {{"s", {0, 1, 2}, {1.0, NAN, INFINITY}}}};
  std::string svg = nabla::viz::charts_svg({c});
  EXPECT_EQ(polyline(svg, 0).size(), 1u);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(Plot, EscapesTextAndRejectsBadInput) {
  Chart c{"a < b & \"c\"", "x", "y", {{"s<1>", {0, 1}, {0, 1}}}};
  std::string svg = nabla::viz::charts_svg({c});
  EXPECT_NE(svg.find("a &lt; b &amp; &quot;c&quot;"), std::string::npos);
  EXPECT_NE(svg.find("s&lt;1&gt;"), std::string::npos);
  Chart bad{"t", "x", "y", {{"s", {0, 1, 2}, {0, 1}}}};
  EXPECT_THROW(nabla::viz::charts_svg({bad}), nabla::Error);
  EXPECT_THROW(nabla::viz::charts_svg({c}, 10, 10), nabla::Error);
}

TEST(Plot, SavedFileIsWellFormedSvg) {
  TempDir dir;
  std::string path = dir.file("metrics.svg");
  Chart c{"Loss & accuracy", "epoch", "value", {{"train", {1, 2, 3, 4}, {0.9, 0.5, 0.4, 0.35}}}};
  nabla::viz::save_charts({c}, path);
  auto r = run_command("/usr/bin/python3 -c \"import sys, xml.dom.minidom as m; "
                       "d = m.parse(sys.argv[1]); print(d.documentElement.tagName, "
                       "len(d.getElementsByTagName('polyline')))\" " + path);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "svg 1\n");
  // An unwritable target is an error and leaves nothing behind.
  EXPECT_THROW(nabla::viz::save_charts({c}, dir.file("missing/dir/x.svg")), nabla::Error);
}

}  // namespace
