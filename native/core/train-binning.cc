// Quantile binning (see train-binning.h).
#include "core/train-binning.h"

#include <algorithm>
#include <cmath>

namespace mlops::train_detail {
namespace {

// A cut strictly above `lo` and at most `hi` (lo < hi, both finite). The
// midpoint generalizes better than either end; halves first so that it
// cannot overflow.
double Midpoint(double lo, double hi) {
  const double mid = lo * 0.5 + hi * 0.5;
  return (mid > lo && mid <= hi) ? mid : hi;
}

std::vector<double> FeatureEdges(std::vector<double>& values, uint32_t max_bins) {
  std::sort(values.begin(), values.end());
  // Distinct values and how many rows hold each (-0.0 and 0.0 are one value,
  // as they are for `x < t`).
  std::vector<double> distinct;
  std::vector<size_t> count;
  for (double v : values) {
    if (distinct.empty() || v != distinct.back()) {
      distinct.push_back(v);
      count.push_back(0);
    }
    ++count.back();
  }
  std::vector<double> edges;
  if (distinct.size() <= max_bins) {
    for (size_t i = 1; i < distinct.size(); ++i) edges.push_back(Midpoint(distinct[i - 1], distinct[i]));
    return edges;
  }
  // Greedy equal-frequency cuts; re-aiming after each cut keeps one very
  // frequent value from starving the bins after it.
  size_t rows_left = values.size();
  uint32_t bins_left = max_bins;
  size_t acc = 0;
  for (size_t i = 0; i + 1 < distinct.size() && bins_left > 1; ++i) {
    acc += count[i];
    const double target = static_cast<double>(rows_left) / bins_left;
    if (static_cast<double>(acc) >= target) {
      edges.push_back(Midpoint(distinct[i], distinct[i + 1]));
      rows_left -= acc;
      acc = 0;
      --bins_left;
    }
  }
  return edges;
}

}  // namespace

BinnedFeatures BinFeatures(const Dataset& data, uint32_t max_bins, ThreadPool& pool, BinLayout layout) {
  BinnedFeatures out;
  const size_t n = data.n_rows;
  const size_t nf = data.n_features;
  out.n_rows = n;
  out.n_features = nf;
  out.layout = layout;
  out.bins.resize(n * nf);
  out.edges.resize(nf);
  out.min_value.assign(nf, 0.0);
  auto bin_of = [&](size_t r, size_t f) {
    const double v = data.At(r, f);
    const std::vector<double>& edges = out.edges[f];
    return std::isnan(v) ? static_cast<Bin>(edges.size() + 1)
                         : static_cast<Bin>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin());
  };
  const bool by_column = layout == BinLayout::kFeatureMajor;
  pool.ParallelFor(nf, [&](size_t f) {
    std::vector<double> values;
    values.reserve(n);
    for (size_t r = 0; r < n; ++r) {
      const double v = data.At(r, f);
      if (!std::isnan(v)) values.push_back(v);
    }
    out.edges[f] = FeatureEdges(values, max_bins);
    if (!values.empty()) out.min_value[f] = values.front();  // sorted by FeatureEdges
    if (by_column) {
      Bin* column = out.bins.data() + f * n;
      for (size_t r = 0; r < n; ++r) column[r] = bin_of(r, f);
    }
  });
  if (!by_column) {
    // By chunks of rows, so that no two threads write one cache line.
    constexpr size_t kChunk = 4096;
    pool.ParallelFor((n + kChunk - 1) / kChunk, [&](size_t c) {
      for (size_t r = c * kChunk, e = std::min(n, r + kChunk); r < e; ++r) {
        Bin* row = out.bins.data() + r * nf;
        for (size_t f = 0; f < nf; ++f) row[f] = bin_of(r, f);
      }
    });
  }
  out.offset.resize(nf);
  size_t total = 0;
  for (size_t f = 0; f < nf; ++f) {
    out.offset[f] = total;
    total += out.ValueBins(f) + 1;
  }
  out.total_bins = total;
  return out;
}

}  // namespace mlops::train_detail
