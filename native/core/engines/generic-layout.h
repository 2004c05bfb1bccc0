// The Scorer's compiled tree layout. Internal to the generic engine.
//
// All trees live in one set of parallel node arrays. Within a tree, nodes are
// in breadth-first order and the two children of a node are adjacent
// (right = left + 1), so a step is `i = child[i] + went_right` with no branch.
// A leaf points at itself (child = own index - 1, and every comparison against
// its NaN threshold "goes right"), so a walk can run a fixed number of steps:
// rows that reach a leaf early just stay there.
//
// Thresholds and the (feature, child) pairs are separate 8-byte arrays so that
// a node index addresses both with a plain scaled load and no multiply.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/model.h"

namespace mlops::scorer {

struct Link {
  // Byte offset of the node's feature in the scorer's input layout:
  // feature * feature_stride (0 on leaves, so the load stays in bounds).
  uint32_t x_offset;
  // Index of the left child; right is child + 1. uint32 arithmetic wraps, so a
  // leaf at index 0 stores 0xFFFFFFFF.
  uint32_t child;
};

constexpr uint64_t kLeafNanBits = 0x7FF8000000000000ull;
constexpr uint64_t kLeafPayloadMask = 0x0007FFFFFFFFFFFFull;

inline double LeafThreshold(uint64_t value_offset) {
  const uint64_t bits = kLeafNanBits | value_offset;
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// Read back through the integer bits: FP moves on some targets may quieten or
// canonicalize NaNs, integer loads never do.
inline uint64_t LeafValueOffset(const double& threshold) {
  uint64_t bits;
  std::memcpy(&bits, &threshold, sizeof bits);
  return bits & kLeafPayloadMask;
}

struct TreeMeta {
  uint32_t root;          // index of the root in the node arrays
  uint32_t depth;         // edges on the longest root-to-leaf path
  uint32_t output_index;  // first output this tree adds to
};

struct CompiledTrees {
  // Internal nodes: the split value, adjusted so that "go left" is always
  // `x < threshold` (a `<=` split stores nextafter(t, +inf)).
  // Leaves: a quiet NaN whose payload is the offset of the leaf's values.
  std::vector<double> threshold;
  std::vector<Link> link;
  std::vector<uint8_t> default_left;  // 1: NaN goes left (0 on leaves)
  std::vector<double> values;         // leaf_width doubles per leaf
  std::vector<TreeMeta> trees;
};

// `model` must have passed ValidateModel. feature_stride: bytes between
// consecutive features in the input layout the kernels will read.
CompiledTrees CompileTrees(const Model& model, uint32_t feature_stride);

}  // namespace mlops::scorer
