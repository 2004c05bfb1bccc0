// Branch-free tree walks. Internal to the generic engine.
//
// Each walk advances kLanes independent (row, tree) pairs in lockstep, so the
// CPU overlaps their load latencies; leaves point at themselves
// (generic-layout.h), which makes any step count beyond the tree's depth
// harmless. The order in which leaves are *added* is fixed by the caller,
// never by the walk, so results do not depend on lane grouping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/engines/generic-layout.h"

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
inline uint32_t Step(const NodeView& n, uint32_t i, const char* x) {
  const Link l = n.link[i];
  double v;
  std::memcpy(&v, x + l.x_offset, sizeof v);
  // NaN compares false, so NaN goes right unless the node says otherwise.
  uint32_t right = !(v < n.threshold[i]);
  if (kNaN) right &= ~(uint32_t{n.default_left[i]} & static_cast<uint32_t>(v != v));
  return l.child + right;
}

// Steps every walk takes unconditionally. Deeper trees continue one step at a
// time only while some lane still moves (a lane at a leaf stays put), so a
// deep but mostly shallow tree does not cost its full depth for every row.
constexpr uint32_t kUncheckedSteps = 12;

// Advances idx[0..kLanes) by up to `steps` steps; lane j reads lane_x(j).
template <int kLanes, bool kNaN, typename LaneX>
inline void Walk(const NodeView& n, uint32_t* idx, uint32_t steps, LaneX lane_x) {
  const uint32_t unchecked = steps < kUncheckedSteps ? steps : kUncheckedSteps;
  uint32_t s = 0;
  for (; s < unchecked; ++s) {
    for (int j = 0; j < kLanes; ++j) idx[j] = Step<kNaN>(n, idx[j], lane_x(j));
  }
  for (; s < steps; ++s) {
    uint32_t moved = 0;
    for (int j = 0; j < kLanes; ++j) {
      const uint32_t next = Step<kNaN>(n, idx[j], lane_x(j));
      moved |= next ^ idx[j];
      idx[j] = next;
    }
    if (moved == 0) break;
  }
}

// kLanes rows through one tree; lane j reads x + j * lane_bytes (kLaneBytes
// when it is a compile-time constant, else the runtime lane_bytes).
template <int kLanes, bool kNaN, size_t kLaneBytes>
inline void WalkRows(const NodeView& n, uint32_t root, uint32_t steps, const char* x, size_t lane_bytes,
                     uint32_t* leaf) {
  const size_t stride = kLaneBytes ? kLaneBytes : lane_bytes;
  uint32_t idx[kLanes];
  for (int j = 0; j < kLanes; ++j) idx[j] = root;
  Walk<kLanes, kNaN>(n, idx, steps, [&](int j) { return x + j * stride; });
  for (int j = 0; j < kLanes; ++j) leaf[j] = idx[j];
}

// One row through kLanes trees.
template <int kLanes, bool kNaN>
inline void WalkTrees(const NodeView& n, const uint32_t* roots, uint32_t steps, const char* x, uint32_t* leaf) {
  uint32_t idx[kLanes];
  for (int j = 0; j < kLanes; ++j) idx[j] = roots[j];
  Walk<kLanes, kNaN>(n, idx, steps, [x](int) { return x; });
  for (int j = 0; j < kLanes; ++j) leaf[j] = idx[j];
}

}  // namespace mlops::scorer
