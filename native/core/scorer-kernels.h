// Branch-free tree walks. Internal to scorer.cc.
//
// Each walk advances kLanes independent (row, tree) pairs in lockstep for a
// fixed number of steps, so the CPU overlaps their load latencies; leaves
// point at themselves (scorer-layout.h), which makes the step count a safe
// upper bound. The order in which leaves are *added* is fixed by the caller,
// never by the walk, so results do not depend on lane grouping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/scorer-layout.h"

namespace mlops::scorer {

struct NodeView {
  const double* threshold;
  const Link* link;
  const uint8_t* default_left;
};

// One step of one lane. x: the lane's row in the scorer's input layout
// (Link::x_offset bytes to a feature). kNaN = false is only used on inputs
// known to hold no NaN, where per-node default directions cannot matter.
template <bool kNaN>
inline uint32_t Step(const NodeView& n, uint32_t i, const char* x, size_t lane_offset = 0) {
  const Link l = n.link[i];
  double v;
  std::memcpy(&v, x + (l.x_offset + lane_offset), sizeof v);
  // NaN compares false, so NaN goes right unless the node says otherwise.
  uint32_t right = !(v < n.threshold[i]);
  if (kNaN) right &= ~(uint32_t{n.default_left[i]} & static_cast<uint32_t>(v != v));
  return l.child + right;
}

// kLanes rows through one tree; lane j reads x + j * lane_bytes.
template <int kLanes, bool kNaN, size_t kLaneBytes>
inline void WalkRows(const NodeView& n, uint32_t root, uint32_t steps, const char* x, size_t lane_bytes,
                     uint32_t* leaf) {
  const size_t stride = kLaneBytes ? kLaneBytes : lane_bytes;
  uint32_t idx[kLanes];
  for (int j = 0; j < kLanes; ++j) idx[j] = root;
  for (uint32_t s = 0; s < steps; ++s) {
    for (int j = 0; j < kLanes; ++j) idx[j] = Step<kNaN>(n, idx[j], x, j * stride);
  }
  for (int j = 0; j < kLanes; ++j) leaf[j] = idx[j];
}

// One row through kLanes trees.
template <int kLanes, bool kNaN>
inline void WalkTrees(const NodeView& n, const uint32_t* roots, uint32_t steps, const char* x, uint32_t* leaf) {
  uint32_t idx[kLanes];
  for (int j = 0; j < kLanes; ++j) idx[j] = roots[j];
  for (uint32_t s = 0; s < steps; ++s) {
    for (int j = 0; j < kLanes; ++j) idx[j] = Step<kNaN>(n, idx[j], x);
  }
  for (int j = 0; j < kLanes; ++j) leaf[j] = idx[j];
}

}  // namespace mlops::scorer
