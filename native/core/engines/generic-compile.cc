// Turns the canonical Model's trees into the Scorer's node layout
// (generic-layout.h).
#include <cmath>
#include <limits>
#include <utility>

#include "core/engines/generic-layout.h"

namespace mlops::scorer {

CompiledTrees CompileTrees(const Model& m, uint32_t feature_stride) {
  CompiledTrees out;
  size_t total = 0;
  for (const Tree& t : m.trees) total += t.size();
  out.threshold.resize(total);
  out.link.resize(total);
  out.default_left.resize(total);
  out.trees.reserve(m.trees.size());

  const bool less_equal = m.decision == Decision::kLessEqual;
  // (model node id, depth) in breadth-first order; reused across trees.
  std::vector<std::pair<int32_t, uint32_t>> queue;
  uint32_t base = 0;
  for (const Tree& t : m.trees) {
    TreeMeta meta{base, 0, t.output_index};
    queue.clear();
    queue.emplace_back(0, 0);
    // Slot of queue[q] is base + q: children are appended as a pair, so they
    // land next to each other.
    for (size_t q = 0; q < queue.size(); ++q) {
      const auto [id, depth] = queue[q];
      const uint32_t slot = base + static_cast<uint32_t>(q);
      if (t.left[id] == -1) {
        out.threshold[slot] = LeafThreshold(out.values.size());
        out.link[slot] = {0, slot - 1};
        out.default_left[slot] = 0;
        const double* v = t.value.data() + size_t(id) * m.leaf_width;
        out.values.insert(out.values.end(), v, v + m.leaf_width);
        if (depth > meta.depth) meta.depth = depth;
      } else {
        const double th = t.threshold[id];
        // x <= t  <=>  x < nextafter(t, +inf) for every non-NaN double x,
        // including x = +inf when t is the largest finite double.
        out.threshold[slot] = less_equal ? std::nextafter(th, std::numeric_limits<double>::infinity()) : th;
        out.link[slot] = {static_cast<uint32_t>(t.feature[id]) * feature_stride,
                          base + static_cast<uint32_t>(queue.size())};
        out.default_left[slot] = t.default_left[id];
        queue.emplace_back(t.left[id], depth + 1);
        queue.emplace_back(t.right[id], depth + 1);
      }
    }
    out.trees.push_back(meta);
    base += static_cast<uint32_t>(t.size());
  }
  return out;
}

}  // namespace mlops::scorer
