// Engine selection (select.h).
#include "core/engines/select.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

namespace mlops::engines {
namespace {

// Depth and leaf count of one validated tree (breadth-first from the root).
void Shape(const Tree& t, uint32_t* depth, size_t* leaves) {
  std::vector<std::pair<int32_t, uint32_t>> queue{{0, 0}};
  *depth = 0;
  *leaves = 0;
  for (size_t q = 0; q < queue.size(); ++q) {
    const auto [id, d] = queue[q];
    if (t.left[id] == -1) {
      ++*leaves;
      *depth = std::max(*depth, d);
    } else {
      queue.emplace_back(t.left[id], d + 1);
      queue.emplace_back(t.right[id], d + 1);
    }
  }
}

// Caps of an engine that bins each feature's split values and walks padded heaps.
struct BinnedCaps {
  uint32_t outputs;
  uint32_t depth;
  uint32_t features;
  size_t distinct;
};

// Why such an engine cannot take the model ("" when the shape fits; its layout size is checked apart).
std::string BinnedShapeUnsupported(const ModelTraits& t, const BinnedCaps& caps) {
  if (t.family == Family::kLogistic) return "not a tree ensemble";
  if (!t.numeric_splits_only) return "non-numeric splits";
  if (t.n_trees == 0) return "no trees";
  if (t.n_outputs > caps.outputs) return "more than " + std::to_string(caps.outputs) + " outputs";
  if (t.max_depth > caps.depth) return "a tree deeper than " + std::to_string(caps.depth);
  if (t.n_features > caps.features) return "more than " + std::to_string(caps.features) + " features";
  if (t.max_distinct_thresholds > caps.distinct) return "too many distinct split values on one feature";
  return "";
}

}  // namespace

ModelTraits TraitsOf(const Model& m) {
  ModelTraits t;
  t.family = m.family;
  t.n_features = m.n_features;
  t.n_outputs = m.n_outputs;
  t.leaf_width = m.leaf_width;
  t.n_trees = m.trees.size();
  for (const Tree& tree : m.trees) {
    // A kind array exists only when some node is not a plain numeric split.
    if (!tree.kind.empty()) t.numeric_splits_only = false;
    uint32_t depth;
    size_t leaves;
    Shape(tree, &depth, &leaves);
    t.max_depth = std::max(t.max_depth, depth);
    t.max_leaves = std::max(t.max_leaves, leaves);
  }
  if (m.family == Family::kLogistic || m.n_features > kHeapMaxFeatures) return t;
  // Distinct split values per feature, compared as the scorer compares them.
  std::vector<std::vector<double>> values(m.n_features);
  const bool less_equal = m.decision == Decision::kLessEqual;
  for (const Tree& tree : m.trees) {
    for (size_t i = 0; i < tree.size(); ++i) {
      if (tree.left[i] == -1) continue;
      const double th = tree.threshold[i];
      values[tree.feature[i]].push_back(less_equal ? std::nextafter(th, std::numeric_limits<double>::infinity()) : th);
    }
  }
  for (auto& v : values) {
    std::sort(v.begin(), v.end());
    // == dedup: -0 and +0 are one split value.
    const size_t n = static_cast<size_t>(std::unique(v.begin(), v.end(), [](double a, double b) { return a == b; }) - v.begin());
    t.max_distinct_thresholds = std::max(t.max_distinct_thresholds, n);
  }
  return t;
}

std::string HeapUnsupported(const ModelTraits& t) {
  if (t.family == Family::kLogistic) return "not a tree ensemble";
  if (!t.numeric_splits_only) return "non-numeric splits";
  if (t.n_trees == 0) return "no trees";
  if (t.max_depth > kHeapMaxDepth) return "a tree deeper than " + std::to_string(kHeapMaxDepth);
  if (t.n_features > kHeapMaxFeatures) return "more than " + std::to_string(kHeapMaxFeatures) + " features";
  if (t.n_outputs > kHeapMaxOutputs) return "more than " + std::to_string(kHeapMaxOutputs) + " outputs";
  if (t.max_distinct_thresholds > kHeapMaxDistinct) return "too many distinct split values on one feature";
  // Every tree padded to a full heap of the deepest tree's depth.
  const size_t heap_nodes = (size_t{1} << t.max_depth);
  const size_t bytes = t.n_trees * heap_nodes * (sizeof(uint32_t) + sizeof(double) * t.leaf_width);
  if (bytes > kHeapMaxBytes) return "padded layout too large";
  return "";
}

std::string PredicatedUnsupported(const ModelTraits& t) {
  const std::string shape = BinnedShapeUnsupported(
      t, {kPredicatedMaxOutputs, kPredicatedMaxDepth, kPredicatedMaxFeatures, kPredicatedMaxDistinct});
  if (!shape.empty()) return shape;
  // Heaps of at most 7 levels per tree (the rest of a deeper tree is stored
  // as it is): per heap node rank, vector, offset, three row-kernel words; per
  // heap leaf a double or a subtree index.
  const size_t heap_nodes = size_t{1} << std::min<uint32_t>(t.max_depth, 7);
  if (t.n_trees * heap_nodes * (2 + 2 + 4 + 6 + sizeof(double)) > kPredicatedMaxBytes) return "padded layout too large";
  return "";
}

std::string BinnedUnsupported(const ModelTraits& t) {
  const std::string shape =
      BinnedShapeUnsupported(t, {kBinnedMaxOutputs, kBinnedMaxDepth, kBinnedMaxFeatures, kBinnedMaxDistinct});
  if (!shape.empty()) return shape;
  // Every tree padded to a full heap of (at most) the deepest tree's depth:
  // a 4-byte node and a 4-byte leaf entry per heap slot.
  if (t.n_trees * (size_t{1} << t.max_depth) * 8 > kBinnedMaxBytes) return "padded layout too large";
  return "";
}

EngineRequest RequestFromEnv() {
  EngineRequest r;
  if (const char* e = std::getenv("MLOPS_SCORER_ENGINE")) {
    if (std::strcmp(e, "generic") == 0) r.engine = EngineRequest::Engine::kGeneric;
    if (std::strcmp(e, "heap") == 0) r.engine = EngineRequest::Engine::kHeap;
    if (std::strcmp(e, "predicated") == 0) r.engine = EngineRequest::Engine::kPredicated;
    if (std::strcmp(e, "binned") == 0) r.engine = EngineRequest::Engine::kBinned;
  }
  if (const char* i = std::getenv("MLOPS_SCORER_ISA")) r.scalar = std::strcmp(i, "scalar") == 0;
  return r;
}

EngineChoice ChooseEngine(const ModelTraits& t, const EngineRequest& r) {
  if (t.family == Family::kLogistic) return {EngineKind::kLinear, EngineKind::kLinear};
  const EngineChoice generic{EngineKind::kGeneric, EngineKind::kGeneric};
  if (r.engine == EngineRequest::Engine::kGeneric) return generic;
  const bool binned = BinnedUnsupported(t).empty();
  if (r.engine == EngineRequest::Engine::kBinned) {
    return binned ? EngineChoice{EngineKind::kBinned, EngineKind::kBinned} : generic;
  }
  const bool predicated = PredicatedUnsupported(t).empty();
  if (r.engine == EngineRequest::Engine::kPredicated) {
    return predicated ? EngineChoice{EngineKind::kPredicated, EngineKind::kPredicated} : generic;
  }
  // Automatic: the predicated engine where it measured faster (decision 0011):
  // one value per leaf and at most 6 levels, batches and single rows alike.
  // Its hybrid layout (deeper trees, leaf vectors) is exact but measured no
  // faster than the generic engine on RF 100x10, so it is only used when asked.
  if (r.engine == EngineRequest::Engine::kAuto && predicated && !r.scalar && PredicatedHasVectorKernels() &&
      t.max_depth <= kPredicatedAutoMaxDepth && t.leaf_width == 1) {
    return {EngineKind::kPredicated, EngineKind::kPredicated};
  }
  // Automatic: the binned engine's vector kernels for batches of every other
  // tree model they take (deeper than 6 levels, or leaf vectors), where they
  // measured faster than the heap and generic engines (decision 0018: RF
  // 100x10 0.67 against 1.06 us/row at 10,000 rows, GBDT 200x7 0.98 against
  // 1.29 on the heap engine). Calls of fewer than 8 rows: forests with leaf
  // vectors of 7 to 10 levels go to the predicated row kernel (heap top and
  // one line per tree), measured faster than the generic walk there (decision
  // 0025: RF 100x10 1.23 against 1.73 us/row, depth 8 0.97-1.04 against
  // 1.19-1.21); the rest stays generic (its row walk measured faster than the
  // binned one, and than the line kernel on GBDT 200x8 and RF of depth 6).
  if (r.engine == EngineRequest::Engine::kAuto && binned && !r.scalar && BinnedHasTopKernels() &&
      t.max_distinct_thresholds <= kPredicatedMaxDistinct) {
    const bool row_lines = predicated && PredicatedHasVectorKernels() && t.leaf_width > 1 &&
                           t.max_depth > kPredicatedAutoMaxDepth && t.max_depth <= kPredicatedAutoRowMaxDepth;
    return {EngineKind::kBinned, row_lines ? EngineKind::kPredicated : EngineKind::kGeneric};
  }
  if (!HeapUnsupported(t).empty()) return generic;
  // Forced: every call on the heap engine, so its scalar small-batch path is
  // exercised too.
  if (r.engine == EngineRequest::Engine::kHeap) return {EngineKind::kHeap, EngineKind::kHeap};
  // Automatic, where the binned engine does not take the model: the heap
  // engine's vector kernel where it measured faster than the generic engine
  // (one leaf value per tree, at most 7 levels). Calls of a few rows stay
  // generic: a vector group costs as much for 1 row as for 8.
  if (!r.scalar && HeapHasVectorKernels() && t.leaf_width == 1 && t.max_depth <= kHeapAutoMaxDepth) {
    return {EngineKind::kHeap, EngineKind::kGeneric};
  }
  return generic;
}

double EstimatedNanosPerRow(EngineKind kind, const ModelTraits& t) {
  const double trees = static_cast<double>(t.n_trees);
  switch (kind) {
    case EngineKind::kLinear:
      return 1.0 * t.n_features * t.n_outputs + 20.0;
    case EngineKind::kPredicated:
      // ~1.3 ns per (row, tree) at 6 levels (GBDT 300x6: 0.38 us/row), half
      // that per level less; hybrid walks add ~0.8 ns per level below.
      return trees * (0.02 * double(size_t{1} << std::min<uint32_t>(t.max_depth, 6)) + 0.05 +
                      0.8 * (t.max_depth > 6 ? t.max_depth - 6 : 0) * t.leaf_width) + 100.0;
    case EngineKind::kHeap:
      return trees * (0.6 * t.max_depth + 1.0) + 200.0;
    case EngineKind::kBinned:
      // RF 100x10: 0.67 us/row; GBDT 200x7: 0.98 (decision 0018).
      return trees * (0.55 * t.max_depth + 0.5) + 5.0 * t.n_features;
    case EngineKind::kGeneric:
      break;
  }
  // ~0.6-0.8 ns per (row, tree, level) (GBDT 300x6: 1.1 us/row, RF 100x10: 0.7-0.9).
  return trees * 0.7 * std::max<uint32_t>(t.max_depth, 1) * (t.leaf_width > 1 ? 1.2 : 1.0) + 50.0;
}

}  // namespace mlops::engines
