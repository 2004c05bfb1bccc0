// The GBDT trainer's split search: a node's best cut on each feature, from
// that feature's slice of the node's gradient histogram.
//
// One rule everywhere: candidates in a fixed order, and a candidate wins only
// by strictly beating the best so far, so ties keep the first. The vector
// kernel (AVX-512, eight features at once) and the portable loop do the same
// operations in the same order per feature, so a model never depends on the
// CPU it was trained on (MLOPS_TRAIN_ISA=scalar forces the portable loop).
#pragma once

#include <cstddef>
#include <cstdint>

namespace mlops::train_detail {

constexpr double kMinGain = 1e-6;  // smaller gains are rounding noise (as XGBoost's kRtEps)

// Gradient, hessian and row sums (rows: exact small integers in a double).
struct GH {
  double g = 0;
  double h = 0;
  double c = 0;

  GH& operator+=(const GH& o) {
    g += o.g;
    h += o.h;
    c += o.c;
    return *this;
  }
};

inline GH operator-(const GH& a, const GH& b) { return {a.g - b.g, a.h - b.h, a.c - b.c}; }

// A histogram cell. Row counts, where needed, live in a parallel array: a
// 16-byte cell updates in one vector add, and a third field in it cost about
// a third more per row.
struct Cell {
  double g = 0;
  double h = 0;
};

struct SplitRules {
  double lambda;
  double min_child_weight;
  double min_samples_leaf;
};

struct Split {
  double gain = kMinGain;  // a split must beat this
  int32_t feature = -1;    // -1: no valid split
  int32_t bin = 0;         // bins 0..bin go left; -1: only NaN goes left
  bool default_left = false;
  GH left;

  bool valid() const { return feature >= 0; }
};

// One feature's histogram slice: value bins, then the NaN bin.
struct FeatureSlice {
  const Cell* cells;
  const uint32_t* counts;  // each bin's rows, or nullptr when the histograms keep none
  uint32_t value_bins;
  int32_t feature;
};

// The most slices one FindSplits call takes (the vector kernel's lanes).
constexpr size_t kSplitLanes = 8;

// Best split of each of slices[0, n) (n <= kSplitLanes) of one node whose
// sums are `total`, into out[i]. Slices without counts must all lie in one
// histogram buffer (the kernel addresses them from the first).
//   counts given: min_samples_leaf is checked on them, and a bin is empty
//     when it has no rows;
//   none (min_samples_leaf <= 1, min_child_weight >= kCountFreeMinWeight):
//     the hessian checks imply that both sides have rows, and a bin is empty
//     when its hessian sum is at most 1e-12 of the node's; a split's
//     left.c is 0 then (Partition counts the rows).
// `vector` (from VectorSplits) lets slices without counts take the kernel.
void FindSplits(const FeatureSlice* slices, size_t n, const GH& total, const SplitRules& rules, bool vector,
                Split* out);

// Whether the CPU has the kernel (AVX-512F) and MLOPS_TRAIN_ISA is not
// `scalar`; read by each training, so tests can compare the two.
bool VectorSplits();

}  // namespace mlops::train_detail
