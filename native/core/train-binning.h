// Quantile binning shared by the tree trainers, computed once per training.
//
// Feature f has edges e_0 < e_1 < ... < e_{m-1} (raw values) and m + 1 value
// bins 0..m: bin(x) = number of edges <= x. NaN gets its own bin, m + 1.
// Because bin(x) <= k exactly when x < e_k, a split
// "bins 0..k left" is the model rule `x < e_k` (Decision::kLess) for every
// value, seen in training or not, so scoring routes training rows exactly
// as training did. split bin -1 means "only NaN goes left"; its threshold is
// the feature's smallest value, which no non-NaN training value is below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/train-common.h"

namespace mlops::train_detail {

using Bin = uint16_t;

// How the bins of a table are stored: column by column (the forest reads one
// feature of many rows), or row by row (GBDT's histograms read every feature
// of a node's row together).
enum class BinLayout { kFeatureMajor, kRowMajor };

struct BinnedFeatures {
  size_t n_rows = 0;
  size_t n_features = 0;
  BinLayout layout = BinLayout::kFeatureMajor;
  std::vector<Bin> bins;                   // bins[f * n_rows + row], or bins[row * n_features + f] (row-major)
  std::vector<std::vector<double>> edges;  // per feature, strictly increasing, finite
  std::vector<double> min_value;           // smallest non-NaN value (0 if none)
  std::vector<size_t> offset;              // start of feature f in a node histogram
  size_t total_bins = 0;                   // histogram length over all features

  // Value bins of f; the NaN bin comes right after them.
  uint32_t ValueBins(size_t f) const { return static_cast<uint32_t>(edges[f].size() + 1); }
  Bin NanBin(size_t f) const { return static_cast<Bin>(edges[f].size() + 1); }
  const Bin* Column(size_t f) const { return bins.data() + f * n_rows; }  // feature-major only
  const Bin* Row(size_t r) const { return bins.data() + r * n_features; }  // row-major only
  double Threshold(size_t f, int32_t split_bin) const {
    return split_bin < 0 ? min_value[f] : edges[f][static_cast<size_t>(split_bin)];
  }
};

// At most max_bins value bins per feature (2 <= max_bins <= 65535), chosen so
// that each holds about the same number of rows; features with few distinct
// values get one bin per value. Edges are midpoints between adjacent
// distinct values. Parallel over features; the result never depends on the
// pool size.
BinnedFeatures BinFeatures(const Dataset& data, uint32_t max_bins, ThreadPool& pool,
                           BinLayout layout = BinLayout::kFeatureMajor);

// Routing of a binned value at a split node, the training-time twin of the
// model's `x < threshold` / default_left rule.
inline bool GoesLeft(Bin bin, Bin nan_bin, int32_t split_bin, bool default_left) {
  return bin == nan_bin ? default_left : static_cast<int32_t>(bin) <= split_bin;
}

}  // namespace mlops::train_detail
