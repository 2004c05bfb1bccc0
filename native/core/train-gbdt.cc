// Histogram gradient boosting (binary log-loss and multiclass softmax).
//
// Trees grow depth-wise. At each level, every node that splits hands its rows
// to two children; the smaller child's histogram is built from its rows and
// the larger one's is the parent's minus it (computed in the parent's buffer).
// Bins are stored row-major, so a build task fills the slices of a block of
// features in one pass over a node's rows; split search then takes eight
// features of a node at a time (train-split.h). Every task writes its own
// slots and every sum runs in row order, so results do not depend on threads.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/train-binning.h"
#include "core/train-common.h"
#include "core/train-split.h"

namespace mlops::train_detail {
namespace {

constexpr double kMinHessian = 1e-16;  // keeps saturated rows from dividing by zero
constexpr size_t kHistBudgetBytes = size_t{256} << 20;
// Below this min_child_weight a side's hessian sum no longer proves that it
// has rows (subtracted histograms carry rounding residue far smaller than
// this), so histograms keep row counts (see TreeGrower::counted_).
constexpr double kCountFreeMinWeight = 1e-3;
// Features one histogram build task fills in one pass over a node's rows.
constexpr size_t kBlock = 4;

struct RowGrad {
  double g;
  double h;
};

struct Config {
  double lambda;
  double min_child_weight;
  double min_samples_leaf;
  double learning_rate;
  int64_t max_depth;  // 0 = unlimited

  SplitRules rules() const { return {lambda, min_child_weight, min_samples_leaf}; }
};

double LeafValue(const GH& s, const Config& cfg) {
  const double d = s.h + cfg.lambda;
  return d > 0 ? -s.g / d * cfg.learning_rate : 0.0;
}

struct Node {
  int32_t id = 0;
  int64_t depth = 0;
  size_t begin = 0;  // rows_[begin, end) are this node's rows
  size_t end = 0;
  size_t n_left = 0;  // rows that Partition sent left
  GH stats;
  int hist = -1;  // histogram buffer, or -1
  bool expandable = false;
  Split split;

  size_t count() const { return end - begin; }
};

struct LeafRange {
  int32_t id;
  size_t begin;
  size_t end;
};

// Grows one tree. Owns the histogram buffers and row scratch space, reused
// from tree to tree.
class TreeGrower {
 public:
  TreeGrower(const BinnedFeatures& bins, const Config& cfg, ThreadPool& pool)
      : bins_(bins),
        cfg_(cfg),
        pool_(pool),
        counted_(cfg.min_samples_leaf > 1 || !(cfg.min_child_weight >= kCountFreeMinWeight)),
        rules_(cfg.rules()),
        vector_splits_(VectorSplits()) {
    const size_t cell_bytes = sizeof(Cell) + (counted_ ? sizeof(uint32_t) : 0);
    const size_t hist_bytes = std::max<size_t>(1, bins.total_bins * cell_bytes);
    cap_ = std::max<size_t>(8, kHistBudgetBytes / hist_bytes);
  }

  // rows: the sampled rows (ascending), permuted in place into leaf order;
  // grads: every row's gradients, by row. Writes the tree, each node's split
  // bin (for binned routing) and the leaves' row ranges.
  void Grow(std::vector<uint32_t>& rows, const std::vector<RowGrad>& grads, const std::vector<uint32_t>& features,
            Tree& tree, std::vector<int32_t>& split_bin, std::vector<LeafRange>& leaves) {
    rows_ = &rows;
    grads_ = &grads;
    features_ = &features;
    tree_ = &tree;
    split_bin_ = &split_bin;
    tree = Tree();
    split_bin.clear();
    leaves.clear();
    scratch_rows_.resize(rows.size());

    Node root;
    root.id = AddNode();
    root.end = rows.size();
    for (const uint32_t r : rows) root.stats += GH{grads[r].g, grads[r].h, 1};
    root.expandable = Expandable(root);
    std::vector<Node> level{root};
    if (root.expandable) FindRootSplit(level[0]);

    while (!level.empty()) {
      std::vector<Node> splitting;
      for (Node& node : level) {
        if (node.split.valid()) {
          splitting.push_back(node);
        } else {
          Release(node.hist);
          tree.value[static_cast<size_t>(node.id)] = LeafValue(node.stats, cfg_);
          leaves.push_back({node.id, node.begin, node.end});
        }
      }
      if (splitting.empty()) break;
      PartitionLevel(splitting);
      std::vector<Node> next;
      next.reserve(splitting.size() * 2);
      for (Node& parent : splitting) AddChildren(parent, next);
      ExpandLevel(splitting, next);
      level = std::move(next);
    }
  }

 private:
  int32_t AddNode() {
    Tree& t = *tree_;
    t.left.push_back(-1);
    t.right.push_back(-1);
    t.feature.push_back(-1);
    t.threshold.push_back(0.0);
    t.default_left.push_back(0);
    t.value.push_back(0.0);
    split_bin_->push_back(0);
    return static_cast<int32_t>(t.left.size() - 1);
  }

  bool Expandable(const Node& node) const {
    if (cfg_.max_depth > 0 && node.depth >= cfg_.max_depth) return false;
    return node.stats.c >= 2 * cfg_.min_samples_leaf && node.stats.h >= 2 * cfg_.min_child_weight;
  }

  // The histogram pool. buffers_ holds every histogram made (total_bins cells
  // each); they are reused across levels and trees and freed only with the
  // grower. A histogram is owned by at most one Node (Node::hist, -1 for none);
  // Acquire hands out an unowned one and Release returns it to free_. live_
  // counts the owned ones and stays within cap_ (kHistBudgetBytes), except
  // that a chunk always takes its first pair.
  //   - The root acquires one in FindRootSplit and builds it from its rows.
  //   - PlanChunk, for a parent that splits into two children:
  //       neither child expandable: the parent's histogram is freed;
  //       the parent has one: the smaller child acquires one (built from its
  //         rows); the parent's is handed to the larger child if that child is
  //         expandable (BuildChunk subtracts the smaller one from it in place),
  //         else the parent keeps it;
  //       the parent has none: each expandable child acquires its own.
  //   - SelectChunk frees whatever the parent still owns, and every child's
  //     histogram except where the child will split (its own children then
  //     subtract from it), at most cap_ / 2 such per level.
  //   - Grow frees the histogram of a node that becomes a leaf.
  int Acquire() {
    int id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<int>(buffers_.size());
      buffers_.emplace_back(bins_.total_bins);
      counts_.emplace_back(counted_ ? bins_.total_bins : 0);
    }
    ++live_;
    return id;
  }

  void Release(int& id) {
    if (id < 0) return;
    free_.push_back(id);
    --live_;
    id = -1;
  }

  Cell* Slice(int hist, size_t f) { return buffers_[static_cast<size_t>(hist)].data() + bins_.offset[f]; }
  // Feature f's row counts in `hist`, or nullptr when histograms keep none.
  uint32_t* Counts(int hist, size_t f) {
    return counted_ ? counts_[static_cast<size_t>(hist)].data() + bins_.offset[f] : nullptr;
  }

  // Features of features_[i0, i0 + n) (n <= kBlock): their histogram slices
  // of `node`, filled in one pass over its rows, each cell adding its rows in
  // the node's order. A row's bins sit together (row-major) and its gradient
  // is read once for the block; one pass per feature read them n times.
  void BuildBlock(int hist, size_t i0, size_t n, const Node& node) {
    switch (n) {
      case 1: return counted_ ? BuildRows<1, true>(hist, i0, node) : BuildRows<1, false>(hist, i0, node);
      case 2: return counted_ ? BuildRows<2, true>(hist, i0, node) : BuildRows<2, false>(hist, i0, node);
      case 3: return counted_ ? BuildRows<3, true>(hist, i0, node) : BuildRows<3, false>(hist, i0, node);
      default: return counted_ ? BuildRows<4, true>(hist, i0, node) : BuildRows<4, false>(hist, i0, node);
    }
  }

  template <size_t B, bool kCounted>
  void BuildRows(int hist, size_t i0, const Node& node) {
    static_assert(B <= kBlock, "a block has at most kBlock features");
    size_t f[B];
    Cell* slice[B];
    uint32_t* counts[B];
    for (size_t b = 0; b < B; ++b) {
      f[b] = (*features_)[i0 + b];
      const uint32_t cells = bins_.ValueBins(f[b]) + 1;
      // memset, not a loop of 16-byte stores: a small node's slices cost
      // more to clear than to fill.
      slice[b] = Slice(hist, f[b]);
      std::memset(static_cast<void*>(slice[b]), 0, cells * sizeof(Cell));
      counts[b] = Counts(hist, f[b]);
      if (kCounted) std::memset(counts[b], 0, cells * sizeof(uint32_t));
    }
    const uint32_t* rows = rows_->data();
    const RowGrad* grads = grads_->data();
    for (size_t i = node.begin; i < node.end; ++i) {
      const uint32_t r = rows[i];
      const Bin* row = bins_.Row(r);
      const RowGrad g = grads[r];
      for (size_t b = 0; b < B; ++b) {
        const Bin bin = row[f[b]];
        slice[b][bin].g += g.g;
        slice[b][bin].h += g.h;
        if (kCounted) ++counts[b][bin];
      }
    }
  }

  // Features per build task: kBlock, or fewer where that would leave too few
  // tasks to spread over the pool (the root's level). Which task fills a
  // slice never changes its sums.
  size_t BlockSize(size_t nodes) const {
    const size_t nf = features_->size();
    const size_t want = size_t{3} * pool_.size();
    size_t b = kBlock;
    while (b > 1 && nodes * ((nf + b - 1) / b) < want) b /= 2;
    return b;
  }

  // A node to find the best split of, and where its features' candidates go.
  struct FindJob {
    const Node* node;
    size_t first;  // candidates[first + i] is feature (*features_)[i]'s
  };

  // Find step: each job's best split on every feature, one task per (node,
  // group of kSplitLanes features).
  void FindAll(const std::vector<FindJob>& jobs, std::vector<Split>& candidates) {
    const size_t nf = features_->size();
    const size_t groups = (nf + kSplitLanes - 1) / kSplitLanes;
    pool_.ParallelFor(jobs.size() * groups, [&](size_t task) {
      const FindJob& job = jobs[task / groups];
      const size_t i0 = (task % groups) * kSplitLanes;
      const size_t n = std::min(kSplitLanes, nf - i0);
      FeatureSlice slices[kSplitLanes];
      for (size_t i = 0; i < n; ++i) {
        const size_t f = (*features_)[i0 + i];
        slices[i] = {Slice(job.node->hist, f), Counts(job.node->hist, f), bins_.ValueBins(f), static_cast<int32_t>(f)};
      }
      FindSplits(slices, n, job.node->stats, rules_, vector_splits_, &candidates[job.first + i0]);
    });
  }

  void Best(Node& node, const std::vector<Split>& candidates, size_t first) {
    node.split = Split();
    for (size_t i = 0; i < features_->size(); ++i) {
      const Split& s = candidates[first + i];
      if (s.valid() && s.gain > node.split.gain) node.split = s;
    }
  }

  void FindRootSplit(Node& root) {
    root.hist = Acquire();
    const size_t nf = features_->size();
    const size_t block = BlockSize(1);
    pool_.ParallelFor((nf + block - 1) / block, [&](size_t t) {
      BuildBlock(root.hist, t * block, std::min(block, nf - t * block), root);
    });
    std::vector<Split> candidates(nf);
    FindAll({{&root, 0}}, candidates);
    Best(root, candidates, 0);
  }

  // Stable partition of each node's rows into left then
  // right; sets each node's n_left. Nodes are cut into pieces of rows so that
  // a level of few nodes (the root's) still spreads over the pool: each piece
  // partitions into scratch (lefts forward, rights back to front); a piece
  // that is a whole node copies itself back, and the pieces of a larger node
  // copy their runs back in a second pass, once the node's left count is known.
  void PartitionLevel(std::vector<Node>& nodes) {
    constexpr size_t kPiece = 4096;
    pieces_.clear();
    for (size_t j = 0; j < nodes.size(); ++j) {
      for (size_t b = nodes[j].begin; b < nodes[j].end; b += kPiece) {
        pieces_.push_back({j, b, std::min(nodes[j].end, b + kPiece), 0, 0, 0});
      }
    }
    pool_.ParallelFor(pieces_.size(), [&](size_t p) {
      Piece& piece = pieces_[p];
      Node& node = nodes[piece.node];
      const Split& s = node.split;
      const size_t f = static_cast<size_t>(s.feature);
      const Bin nan_bin = bins_.NanBin(f);
      const int32_t split_bin = s.bin;
      const bool default_left = s.default_left;
      const uint32_t* rows = rows_->data();
      uint32_t* out_rows = scratch_rows_.data();
      size_t l = piece.begin;
      size_t r = piece.end;
      // Branch-free: the side is data, and a branch on it mispredicted about
      // every other row (this loop was then a sixth of a multiclass fit).
      for (size_t i = piece.begin; i < piece.end; ++i) {
        const size_t left = GoesLeft(bins_.Row(rows[i])[f], nan_bin, split_bin, default_left) ? 1 : 0;
        const size_t dst = (r - 1) + ((l - (r - 1)) & (size_t{0} - left));
        out_rows[dst] = rows[i];
        l += left;
        r -= 1 - left;
      }
      piece.n_left = l - piece.begin;
      if (piece.begin == node.begin && piece.end == node.end) {
        node.n_left = piece.n_left;
        CopyBack(piece.begin, l, piece.end, piece.begin, l);
      }
    });
    // Where a large node's pieces put their runs: all lefts in order, then all rights.
    std::vector<size_t> split_pieces;
    for (size_t p = 0; p < pieces_.size();) {
      Node& node = nodes[pieces_[p].node];
      size_t q = p;
      while (q < pieces_.size() && pieces_[q].node == pieces_[p].node) ++q;
      if (q - p > 1) {
        node.n_left = 0;
        for (size_t i = p; i < q; ++i) node.n_left += pieces_[i].n_left;
        size_t left_at = node.begin;
        size_t right_at = node.begin + node.n_left;
        for (size_t i = p; i < q; ++i) {
          pieces_[i].left_at = left_at;
          pieces_[i].right_at = right_at;
          left_at += pieces_[i].n_left;
          right_at += pieces_[i].end - pieces_[i].begin - pieces_[i].n_left;
          split_pieces.push_back(i);
        }
      }
      p = q;
    }
    pool_.ParallelFor(split_pieces.size(), [&](size_t i) {
      const Piece& piece = pieces_[split_pieces[i]];
      CopyBack(piece.begin, piece.begin + piece.n_left, piece.end, piece.left_at, piece.right_at);
    });
  }

  // Scratch [begin, mid) to rows at left_at, and [mid, end) (written
  // back to front) reversed to right_at.
  void CopyBack(size_t begin, size_t mid, size_t end, size_t left_at, size_t right_at) {
    auto at = [](auto& v, size_t i) { return v.begin() + static_cast<ptrdiff_t>(i); };
    std::copy(at(scratch_rows_, begin), at(scratch_rows_, mid), at(*rows_, left_at));
    std::reverse_copy(at(scratch_rows_, mid), at(scratch_rows_, end), at(*rows_, right_at));
  }

  void AddChildren(const Node& parent, std::vector<Node>& next) {
    const Split& s = parent.split;
    const size_t f = static_cast<size_t>(s.feature);
    const size_t p = static_cast<size_t>(parent.id);
    Node left;
    Node right;
    left.id = AddNode();
    right.id = AddNode();
    Tree& t = *tree_;
    t.left[p] = left.id;
    t.right[p] = right.id;
    t.feature[p] = s.feature;
    t.threshold[p] = bins_.Threshold(f, s.bin);
    t.default_left[p] = s.default_left ? 1 : 0;
    t.value[p] = LeafValue(parent.stats, cfg_);
    (*split_bin_)[p] = s.bin;
    const size_t n_left = parent.n_left;
    left.depth = right.depth = parent.depth + 1;
    left.begin = parent.begin;
    left.end = right.begin = parent.begin + n_left;
    right.end = parent.end;
    left.stats = s.left;
    left.stats.c = static_cast<double>(left.count());
    right.stats = parent.stats - s.left;
    right.stats.c = static_cast<double>(right.count());
    left.expandable = Expandable(left);
    right.expandable = Expandable(right);
    next.push_back(left);
    next.push_back(right);
  }

  // How a pair of children gets its histograms.
  struct PairPlan {
    enum class Mode { kNone, kSubtract, kDirect } mode = Mode::kNone;
    size_t small = 0;    // kSubtract: the side built from rows
    int minuend = -1;    // kSubtract: parent histogram, becomes the larger child's
  };

  // Histograms and best splits for the children in `next` (pair 2j, 2j + 1
  // belongs to parents[j]), in chunks of pairs that keep live histograms in
  // budget: each chunk is planned, built, then its best splits selected.
  void ExpandLevel(std::vector<Node>& parents, std::vector<Node>& next) {
    std::vector<PairPlan> plans(parents.size());
    std::vector<Split> candidates;
    size_t retained = 0;  // children of this level that keep their histogram
    size_t j0 = 0;
    while (j0 < parents.size()) {
      const size_t j1 = PlanChunk(parents, next, j0, plans);
      // Nothing to build when every child in the chunk is a leaf (e.g. the last level).
      const auto first = plans.begin() + static_cast<ptrdiff_t>(j0);
      const bool any = std::any_of(first, first + static_cast<ptrdiff_t>(j1 - j0),
                                   [](const PairPlan& plan) { return plan.mode != PairPlan::Mode::kNone; });
      if (any) {
        BuildChunk(next, plans, j0, j1, candidates);
        SelectChunk(parents, next, j0, j1, candidates, retained);
      }
      j0 = j1;
    }
  }

  // Plan step: from pair j0 on, decides how each pair gets its histograms and
  // acquires them, until the next pair would take live histograms past cap_
  // (the first pair is always taken). Returns the end of the chunk.
  size_t PlanChunk(std::vector<Node>& parents, std::vector<Node>& next, size_t j0, std::vector<PairPlan>& plans) {
    size_t j1 = j0;
    for (; j1 < parents.size(); ++j1) {
      Node& parent = parents[j1];
      Node* kids[2] = {&next[2 * j1], &next[2 * j1 + 1]};
      PairPlan& plan = plans[j1];
      if (!kids[0]->expandable && !kids[1]->expandable) {
        Release(parent.hist);
        continue;
      }
      const size_t need = parent.hist >= 0 ? 1 : size_t{kids[0]->expandable} + size_t{kids[1]->expandable};
      if (j1 > j0 && live_ + need > cap_) break;
      if (parent.hist >= 0) {
        plan.mode = PairPlan::Mode::kSubtract;
        plan.small = kids[0]->count() <= kids[1]->count() ? 0 : 1;
        plan.minuend = parent.hist;
        kids[plan.small]->hist = Acquire();
        Node& large = *kids[1 - plan.small];
        if (large.expandable) {
          large.hist = parent.hist;
          parent.hist = -1;  // ownership moves to the larger child
        }
      } else {
        plan.mode = PairPlan::Mode::kDirect;
        for (Node* kid : kids) {
          if (kid->expandable) kid->hist = Acquire();
        }
      }
    }
    return j1;
  }

  // Build step: one task per (pair, block of features) of the chunk fills the
  // pair's histogram slices for those features; then the find step gives each
  // expandable child's best split on every feature, into
  // candidates[(2 * (j - j0) + side) * nf + i]. (Finding needs a node's whole
  // histogram: the kernel takes eight features at once.)
  void BuildChunk(const std::vector<Node>& next, const std::vector<PairPlan>& plans, size_t j0, size_t j1,
                  std::vector<Split>& candidates) {
    const size_t nf = features_->size();
    const size_t pairs = j1 - j0;
    candidates.assign(2 * pairs * nf, Split());
    const size_t block = BlockSize(pairs);
    const size_t blocks = (nf + block - 1) / block;
    pool_.ParallelFor(pairs * blocks, [&](size_t task) {
      const size_t j = j0 + task / blocks;
      const size_t i0 = (task % blocks) * block;
      const size_t n = std::min(block, nf - i0);
      const PairPlan& plan = plans[j];
      if (plan.mode == PairPlan::Mode::kNone) return;
      const Node* kids[2] = {&next[2 * j], &next[2 * j + 1]};
      if (plan.mode == PairPlan::Mode::kSubtract) {
        const Node& small = *kids[plan.small];
        const Node& large = *kids[1 - plan.small];
        BuildBlock(small.hist, i0, n, small);
        if (!large.expandable) return;
        for (size_t i = i0; i < i0 + n; ++i) {
          const size_t f = (*features_)[i];
          const uint32_t cells = bins_.ValueBins(f) + 1;
          const Cell* small_slice = Slice(small.hist, f);
          Cell* large_slice = Slice(plan.minuend, f);
          for (uint32_t k = 0; k < cells; ++k) {
            large_slice[k].g -= small_slice[k].g;
            large_slice[k].h -= small_slice[k].h;
          }
          if (counted_) {
            const uint32_t* small_counts = Counts(small.hist, f);
            uint32_t* large_counts = Counts(plan.minuend, f);
            for (uint32_t k = 0; k < cells; ++k) large_counts[k] -= small_counts[k];
          }
        }
      } else {
        for (const Node* kid : kids) {
          if (kid->expandable) BuildBlock(kid->hist, i0, n, *kid);
        }
      }
    });
    std::vector<FindJob> jobs;
    for (size_t j = j0; j < j1; ++j) {
      for (size_t side = 0; side < 2; ++side) {
        if (next[2 * j + side].expandable) jobs.push_back({&next[2 * j + side], (2 * (j - j0) + side) * nf});
      }
    }
    FindAll(jobs, candidates);
  }

  // Select step: each expandable child of the chunk takes its best candidate
  // (features in order, so ties keep the first); then histograms are released
  // as the pool's lifecycle says (see Acquire).
  void SelectChunk(std::vector<Node>& parents, std::vector<Node>& next, size_t j0, size_t j1,
                   const std::vector<Split>& candidates, size_t& retained) {
    const size_t nf = features_->size();
    const size_t retain_cap = cap_ / 2;
    for (size_t j = j0; j < j1; ++j) {
      Release(parents[j].hist);
      for (size_t side = 0; side < 2; ++side) {
        Node& kid = next[2 * j + side];
        if (kid.expandable) Best(kid, candidates, (2 * (j - j0) + side) * nf);
        if (kid.hist < 0) continue;
        // Keep a histogram only if its node will split and subtract from it.
        if (kid.expandable && kid.split.valid() && retained < retain_cap) {
          ++retained;
        } else {
          Release(kid.hist);
        }
      }
    }
  }

  const BinnedFeatures& bins_;
  const Config& cfg_;
  ThreadPool& pool_;
  // Whether histograms keep row counts: only min_samples_leaf > 1 needs them,
  // or a min_child_weight too small to prove that a side has rows.
  const bool counted_;
  const SplitRules rules_;
  const bool vector_splits_;  // VectorSplits(), once per training
  size_t cap_ = 8;
  size_t live_ = 0;
  std::vector<std::vector<Cell>> buffers_;
  std::vector<std::vector<uint32_t>> counts_;  // per buffer, empty unless counted_
  std::vector<int> free_;
  std::vector<uint32_t> scratch_rows_;
  // PartitionLevel's pieces: rows [begin, end) of nodes[node], n_left of them
  // left, copied back to left_at and right_at.
  struct Piece {
    size_t node;
    size_t begin;
    size_t end;
    size_t n_left;
    size_t left_at;
    size_t right_at;
  };
  std::vector<Piece> pieces_;
  // Per-Grow views.
  std::vector<uint32_t>* rows_ = nullptr;
  const std::vector<RowGrad>* grads_ = nullptr;
  const std::vector<uint32_t>* features_ = nullptr;
  Tree* tree_ = nullptr;
  std::vector<int32_t>* split_bin_ = nullptr;
};

// Features a tree may use: all, or a sorted random subset of colsample * n.
std::vector<uint32_t> TreeFeatures(size_t n_features, const TrainParams& p, uint64_t tree_index) {
  std::vector<uint32_t> all(n_features);
  for (size_t f = 0; f < n_features; ++f) all[f] = static_cast<uint32_t>(f);
  if (p.colsample >= 1.0) return all;
  const size_t take = std::max<size_t>(1, static_cast<size_t>(p.colsample * static_cast<double>(n_features)));
  Rng rng(p.seed, Stream::kColumns, tree_index);
  for (size_t i = 0; i < take; ++i) std::swap(all[i], all[i + rng.Below(n_features - i)]);
  all.resize(take);
  std::sort(all.begin(), all.end());
  return all;
}

// Gradients of the log-loss with respect to the margins, of `rows`, one
// vector per output indexed by row (rows left out keep stale values, unread). A row's softmax is computed once for all its
// outputs (computing it per output made the multiclass fit spend K² exps a row
// per round). Per-row work only, so any split of rows is exact.
void Gradients(const Dataset& data, const std::vector<double>& margin, uint32_t n_outputs,
               const std::vector<uint32_t>& rows, std::vector<std::vector<RowGrad>>& out, ThreadPool& pool) {
  out.resize(n_outputs);
  for (auto& g : out) g.resize(data.n_rows);
  constexpr size_t kChunk = 4096;
  const size_t chunks = (rows.size() + kChunk - 1) / kChunk;
  pool.ParallelFor(chunks, [&](size_t c) {
    const size_t end = std::min(rows.size(), (c + 1) * kChunk);
    std::vector<double> e(n_outputs);
    for (size_t i = c * kChunk; i < end; ++i) {
      const uint32_t r = rows[i];
      const double* m = margin.data() + static_cast<size_t>(r) * n_outputs;
      if (n_outputs == 1) {
        const double p = 1.0 / (1.0 + std::exp(-m[0]));
        const double y = data.label[r] == 1 ? 1.0 : 0.0;
        out[0][r] = {p - y, std::max(p * (1.0 - p), kMinHessian)};
        continue;
      }
      double mx = m[0];
      for (uint32_t j = 1; j < n_outputs; ++j) mx = std::max(mx, m[j]);
      double sum = 0;
      for (uint32_t j = 0; j < n_outputs; ++j) {
        e[j] = std::exp(m[j] - mx);
        sum += e[j];
      }
      for (uint32_t k = 0; k < n_outputs; ++k) {
        const double p = e[k] / sum;
        const double y = data.label[r] == k ? 1.0 : 0.0;
        out[k][r] = {p - y, std::max(p * (1.0 - p), kMinHessian)};
      }
    }
  });
}

}  // namespace

Model TrainGbdt(const Dataset& data, const Context& ctx) {
  const TrainParams& p = ctx.params;
  const size_t n = data.n_rows;
  const uint32_t n_classes = data.n_classes;
  const uint32_t n_outputs = n_classes == 2 ? 1 : n_classes;
  const Config cfg{p.l2, p.min_child_weight, static_cast<double>(p.min_samples_leaf), p.learning_rate,
                   p.max_depth};

  Model model;
  FillCommon(data, p, Family::kGbdt, model);
  model.n_outputs = n_outputs;
  model.leaf_width = 1;
  model.aggregation = Aggregation::kSum;
  model.post_transform = n_outputs == 1 ? PostTransform::kSigmoid : PostTransform::kSoftmax;
  model.decision = Decision::kLess;
  if (n_outputs == 1) {
    const double mean = static_cast<double>(data.class_count[1]) / static_cast<double>(n);
    model.base_score = {std::log(mean / (1.0 - mean))};
  } else {
    for (uint32_t k = 0; k < n_classes; ++k) {
      model.base_score.push_back(std::log(static_cast<double>(data.class_count[k]) / static_cast<double>(n)));
    }
  }
  model.trees.reserve(static_cast<size_t>(p.n_estimators) * n_outputs);

  ctx.CheckCancel();
  const BinnedFeatures bins = BinFeatures(data, static_cast<uint32_t>(p.max_bins), ctx.pool, BinLayout::kRowMajor);
  std::vector<double> margin(n * n_outputs);
  for (size_t r = 0; r < n; ++r) {
    std::copy(model.base_score.begin(), model.base_score.end(), margin.begin() + static_cast<ptrdiff_t>(r * n_outputs));
  }

  TreeGrower grower(bins, cfg, ctx.pool);
  std::vector<uint32_t> sample;
  std::vector<uint32_t> rest;  // rows left out of this round's sample
  std::vector<uint32_t> rows;
  std::vector<std::vector<RowGrad>> round_grads;  // by output, then row; reused
  std::vector<int32_t> split_bin;
  std::vector<LeafRange> leaves;
  const uint32_t total = static_cast<uint32_t>(p.n_estimators);
  for (uint32_t round = 0; round < total; ++round) {
    ctx.CheckCancel();
    sample.clear();
    rest.clear();
    if (p.subsample >= 1.0) {
      sample.resize(n);
      for (size_t r = 0; r < n; ++r) sample[r] = static_cast<uint32_t>(r);
    } else {
      Rng rng(p.seed, Stream::kRows, round);
      for (size_t r = 0; r < n; ++r) (rng.Uniform() < p.subsample ? sample : rest).push_back(static_cast<uint32_t>(r));
    }
    // All outputs' gradients come from the margins at the start of the round.
    Gradients(data, margin, n_outputs, sample, round_grads, ctx.pool);
    for (uint32_t k = 0; k < n_outputs; ++k) {
      const std::vector<uint32_t> features =
          TreeFeatures(data.n_features, p, static_cast<uint64_t>(round) * n_outputs + k);
      rows = sample;
      Tree tree;
      grower.Grow(rows, round_grads[k], features, tree, split_bin, leaves);
      tree.output_index = n_outputs == 1 ? 0 : k;
      // One add per row (each row is in one leaf): parallel and exact. Run
      // serially, these loops (~3 % of the work) kept the other threads idle.
      ctx.pool.ParallelFor(leaves.size(), [&](size_t j) {
        const LeafRange& leaf = leaves[j];
        const double v = tree.value[static_cast<size_t>(leaf.id)];
        for (size_t i = leaf.begin; i < leaf.end; ++i) margin[static_cast<size_t>(rows[i]) * n_outputs + k] += v;
      });
      constexpr size_t kRestChunk = 4096;
      ctx.pool.ParallelFor((rest.size() + kRestChunk - 1) / kRestChunk, [&](size_t c) {
        for (size_t i = c * kRestChunk, e = std::min(rest.size(), i + kRestChunk); i < e; ++i) {
          const uint32_t r = rest[i];
          size_t node = 0;
          while (tree.left[node] >= 0) {
            const size_t f = static_cast<size_t>(tree.feature[node]);
            const bool left =
                GoesLeft(bins.Row(r)[f], bins.NanBin(f), split_bin[node], tree.default_left[node] != 0);
            node = static_cast<size_t>(left ? tree.left[node] : tree.right[node]);
          }
          margin[static_cast<size_t>(r) * n_outputs + k] += tree.value[node];
        }
      });
      model.trees.push_back(std::move(tree));
    }
    ctx.Progress(round + 1, total);
  }
  return model;
}

}  // namespace mlops::train_detail
