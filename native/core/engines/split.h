// The decision at one internal node, for every node kind of format version 2
// (core/model.h, docs/model-format.md "Scoring semantics"). Internal to the
// engines: the generic engine's path for models with non-numeric nodes.
#pragma once

#include <cmath>
#include <cstdint>

#include "core/model.h"

namespace mlops::engines {

// Doubles at or above this round to +inf as float32 (FLT_MAX plus half an ulp).
constexpr double kFloat32Overflow = 3.4028235677973366e38;

// Category c = trunc(x) is in the set when x >= lower, c < 32 * count and the
// bit c % 32 of word c / 32 is set.
inline bool InCategorySet(double x, double lower, const uint32_t* words, uint32_t count) {
  if (!(x >= lower)) return false;
  const double c = std::trunc(x);
  if (!(c >= 0.0) || c >= 32.0 * count) return false;
  const auto ci = static_cast<uint32_t>(c);
  return ((words[ci >> 5] >> (ci & 31)) & 1u) != 0;
}

// Whether x goes left. words/count: the node's category set (categorical kinds only).
inline bool GoesLeft(NodeKind kind, double x, double threshold, bool default_left, bool less_equal,
                     const uint32_t* words, uint32_t count) {
  if (x != x) return default_left;
  switch (kind) {
    case NodeKind::kNumericZeroMissing:
      if (x >= -kZeroMissingBound && x <= kZeroMissingBound) return default_left;
      return less_equal ? x <= threshold : x < threshold;
    case NodeKind::kCategoricalLeft:
      return InCategorySet(x, threshold, words, count);
    case NodeKind::kCategoricalRight:
      return !InCategorySet(x, threshold, words, count);
    case NodeKind::kEqual:
      return x == threshold;
    case NodeKind::kEqualFloat32:
      if (std::fabs(x) >= kFloat32Overflow) return false;  // rounds to ±inf; thresholds are finite
      return static_cast<double>(static_cast<float>(x)) == threshold;
    case NodeKind::kNumeric:
      break;
  }
  return less_equal ? x <= threshold : x < threshold;
}

}  // namespace mlops::engines
