// Random forest: bootstrap rows per tree, a random subset of features per
// split, Gini impurity on the shared quantile bins. Leaves hold normalized
// class distributions and the model averages them.
//
// Each tree draws from its own Rng(seed, tree index) and is built start to
// finish by one thread, so the forest does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/train-binning.h"
#include "core/train-common.h"

namespace mlops::train_detail {
namespace {

size_t FeaturesPerSplit(const MaxFeatures& mf, size_t n_features) {
  const double n = static_cast<double>(n_features);
  double v = n;
  switch (mf.kind) {
    case MaxFeatures::Kind::kSqrt:
      v = std::floor(std::sqrt(n));
      break;
    case MaxFeatures::Kind::kLog2:
      v = std::floor(std::log2(n));
      break;
    case MaxFeatures::Kind::kAll:
      v = n;
      break;
    case MaxFeatures::Kind::kFraction:
      v = std::floor(mf.value * n);
      break;
    case MaxFeatures::Kind::kCount:
      v = mf.value;
      break;
  }
  return static_cast<size_t>(std::clamp(v, 1.0, n));
}

struct ForestConfig {
  size_t features_per_split;
  int64_t max_depth;        // 0 = unlimited
  double min_samples_leaf;  // in distinct rows, as scikit-learn counts them
};

struct Split {
  double proxy = -std::numeric_limits<double>::infinity();  // sum_k L_k^2/W_L + sum_k R_k^2/W_R
  int32_t feature = -1;
  int32_t bin = 0;
  bool default_left = false;

  bool valid() const { return feature >= 0; }
};

// Builds one tree. Holds the per-tree scratch; one builder per task.
class ForestTreeBuilder {
 public:
  ForestTreeBuilder(const Dataset& data, const BinnedFeatures& bins, const ForestConfig& cfg, const Context& ctx)
      : data_(data), bins_(bins), cfg_(cfg), ctx_(ctx), k_(data.n_classes) {
    size_t widest = 0;
    for (size_t f = 0; f < bins.n_features; ++f) widest = std::max<size_t>(widest, bins.ValueBins(f) + 1);
    hist_.resize(widest * (k_ + 1));
    totals_.resize(k_);
    left_.resize(k_);
    with_nan_.resize(k_);
  }

  Tree Build(uint64_t tree_index) {
    const size_t n = data_.n_rows;
    Rng rng(ctx_.params.seed, Stream::kForest, tree_index);
    weight_.assign(n, 0);
    for (size_t i = 0; i < n; ++i) ++weight_[rng.Below(n)];
    rows_.clear();
    for (size_t r = 0; r < n; ++r) {
      if (weight_[r] > 0) rows_.push_back(static_cast<uint32_t>(r));
    }
    scratch_.resize(rows_.size());
    features_.resize(data_.n_features);
    for (size_t f = 0; f < data_.n_features; ++f) features_[f] = static_cast<uint32_t>(f);

    tree_ = Tree();
    struct Pending {
      int32_t id;
      int64_t depth;
      size_t begin;
      size_t end;
    };
    std::vector<Pending> stack{{AddNode(), 0, 0, rows_.size()}};
    while (!stack.empty()) {
      ctx_.CheckCancel();
      const Pending node = stack.back();
      stack.pop_back();
      const double weight = Totals(node.begin, node.end);
      double* value = tree_.value.data() + static_cast<size_t>(node.id) * k_;
      uint32_t classes_present = 0;
      for (uint32_t k = 0; k < k_; ++k) {
        value[k] = totals_[k] / weight;
        classes_present += totals_[k] > 0 ? 1 : 0;
      }
      const size_t count = node.end - node.begin;
      if (classes_present < 2 || (cfg_.max_depth > 0 && node.depth >= cfg_.max_depth) ||
          static_cast<double>(count) < 2 * cfg_.min_samples_leaf) {
        continue;  // leaf
      }
      const Split split = FindSplit(node.begin, node.end, weight, rng);
      if (!split.valid()) continue;
      const size_t mid = Partition(node.begin, node.end, split);
      const int32_t left = AddNode();
      const int32_t right = AddNode();
      const size_t id = static_cast<size_t>(node.id);
      const size_t f = static_cast<size_t>(split.feature);
      tree_.left[id] = left;
      tree_.right[id] = right;
      tree_.feature[id] = split.feature;
      tree_.threshold[id] = bins_.Threshold(f, split.bin);
      tree_.default_left[id] = split.default_left ? 1 : 0;
      stack.push_back({right, node.depth + 1, mid, node.end});
      stack.push_back({left, node.depth + 1, node.begin, mid});
    }
    return std::move(tree_);
  }

 private:
  int32_t AddNode() {
    tree_.left.push_back(-1);
    tree_.right.push_back(-1);
    tree_.feature.push_back(-1);
    tree_.threshold.push_back(0.0);
    tree_.default_left.push_back(0);
    tree_.value.resize(tree_.value.size() + k_, 0.0);
    return static_cast<int32_t>(tree_.left.size() - 1);
  }

  // Class weights of rows_[begin, end) into totals_; returns their sum.
  double Totals(size_t begin, size_t end) {
    std::fill(totals_.begin(), totals_.end(), 0.0);
    double sum = 0;
    for (size_t i = begin; i < end; ++i) {
      const uint32_t r = rows_[i];
      totals_[data_.label[r]] += weight_[r];
      sum += weight_[r];
    }
    return sum;
  }

  // Draws features without replacement until features_per_split of them
  // vary within the node (constant ones do not count, as in scikit-learn).
  Split FindSplit(size_t begin, size_t end, double weight, Rng& rng) {
    Split best;
    const size_t nf = features_.size();
    size_t visited = 0;
    for (size_t drawn = 0; drawn < nf && visited < cfg_.features_per_split; ++drawn) {
      std::swap(features_[drawn], features_[drawn + rng.Below(nf - drawn)]);
      const size_t f = features_[drawn];
      if (ScanFeature(f, begin, end, weight, best)) ++visited;
    }
    return best;
  }

  // Histogram of feature f over the node, then every cut; false when the
  // feature is constant in the node.
  bool ScanFeature(size_t f, size_t begin, size_t end, double weight, Split& best) {
    const uint32_t value_bins = bins_.ValueBins(f);
    const size_t stride = k_ + 1;  // k_ class weights, then the distinct-row count
    std::fill(hist_.begin(), hist_.begin() + static_cast<ptrdiff_t>((value_bins + 1) * stride), 0.0);
    const Bin* column = bins_.Column(f);
    for (size_t i = begin; i < end; ++i) {
      const uint32_t r = rows_[i];
      double* cell = hist_.data() + column[r] * stride;
      cell[data_.label[r]] += weight_[r];
      cell[k_] += 1;
    }
    uint32_t occupied = 0;
    for (uint32_t b = 0; b <= value_bins; ++b) occupied += hist_[b * stride + k_] > 0 ? 1 : 0;
    if (occupied < 2) return false;

    const double count = static_cast<double>(end - begin);
    const double* nan = hist_.data() + value_bins * stride;
    const bool has_nan = nan[k_] > 0;
    double nan_weight = 0;
    for (uint32_t k = 0; k < k_; ++k) nan_weight += nan[k];

    auto consider = [&](const std::vector<double>& left, double left_weight, double left_count, int32_t bin,
                        bool default_left) {
      const double right_count = count - left_count;
      if (left_count < cfg_.min_samples_leaf || right_count < cfg_.min_samples_leaf) return;
      const double right_weight = weight - left_weight;
      double l2 = 0;
      double r2 = 0;
      for (uint32_t k = 0; k < k_; ++k) {
        const double rk = totals_[k] - left[k];
        l2 += left[k] * left[k];
        r2 += rk * rk;
      }
      const double proxy = l2 / left_weight + r2 / right_weight;
      if (proxy > best.proxy) {
        best.proxy = proxy;
        best.feature = static_cast<int32_t>(f);
        best.bin = bin;
        best.default_left = default_left;
      }
    };

    if (has_nan) {
      std::copy(nan, nan + k_, left_.begin());
      consider(left_, nan_weight, nan[k_], -1, true);
    }
    std::fill(left_.begin(), left_.end(), 0.0);
    double left_weight = 0;
    double left_count = 0;
    for (uint32_t b = 0; b + 1 < value_bins; ++b) {
      const double* cell = hist_.data() + b * stride;
      if (cell[k_] == 0) continue;  // same partition as the previous cut
      for (uint32_t k = 0; k < k_; ++k) {
        left_[k] += cell[k];
        left_weight += cell[k];
      }
      left_count += cell[k_];
      if (has_nan) {
        consider(left_, left_weight, left_count, static_cast<int32_t>(b), false);
        for (uint32_t k = 0; k < k_; ++k) with_nan_[k] = left_[k] + nan[k];
        consider(with_nan_, left_weight + nan_weight, left_count + nan[k_], static_cast<int32_t>(b), true);
      } else {
        // No NaN here: unseen NaN follows the heavier side.
        consider(left_, left_weight, left_count, static_cast<int32_t>(b), left_weight >= weight - left_weight);
      }
    }
    return true;
  }

  size_t Partition(size_t begin, size_t end, const Split& split) {
    const size_t f = static_cast<size_t>(split.feature);
    const Bin* column = bins_.Column(f);
    const Bin nan_bin = bins_.NanBin(f);
    size_t l = begin;
    size_t r = end;
    for (size_t i = begin; i < end; ++i) {
      const uint32_t row = rows_[i];
      scratch_[GoesLeft(column[row], nan_bin, split.bin, split.default_left) ? l++ : --r] = row;
    }
    std::copy(scratch_.begin() + static_cast<ptrdiff_t>(begin), scratch_.begin() + static_cast<ptrdiff_t>(l),
              rows_.begin() + static_cast<ptrdiff_t>(begin));
    std::reverse_copy(scratch_.begin() + static_cast<ptrdiff_t>(l), scratch_.begin() + static_cast<ptrdiff_t>(end),
                      rows_.begin() + static_cast<ptrdiff_t>(l));
    return l;
  }

  const Dataset& data_;
  const BinnedFeatures& bins_;
  const ForestConfig& cfg_;
  const Context& ctx_;
  const uint32_t k_;
  std::vector<double> hist_;
  std::vector<double> totals_;
  std::vector<double> left_;
  std::vector<double> with_nan_;
  std::vector<uint32_t> weight_;  // bootstrap multiplicity per row
  std::vector<uint32_t> rows_;    // rows drawn at least once, grouped by node
  std::vector<uint32_t> scratch_;
  std::vector<uint32_t> features_;
  Tree tree_;
};

}  // namespace

Model TrainRandomForest(const Dataset& data, const Context& ctx) {
  const TrainParams& p = ctx.params;
  const uint32_t k = data.n_classes;
  Model model;
  FillCommon(data, p, Family::kRandomForest, model);
  model.n_outputs = k;
  model.leaf_width = k;
  model.aggregation = Aggregation::kMean;
  model.post_transform = PostTransform::kIdentity;
  model.decision = Decision::kLess;
  model.base_score.assign(k, 0.0);

  ctx.CheckCancel();
  const BinnedFeatures bins = BinFeatures(data, static_cast<uint32_t>(p.max_bins), ctx.pool);
  const ForestConfig cfg{FeaturesPerSplit(p.max_features, data.n_features), p.max_depth,
                         static_cast<double>(p.min_samples_leaf)};
  const size_t total = static_cast<size_t>(p.n_estimators);
  model.trees.resize(total);
  // Batches of one tree per thread, so progress and cancel are seen often
  // and always from this thread.
  const size_t batch = ctx.pool.size();
  for (size_t first = 0; first < total; first += batch) {
    ctx.CheckCancel();
    const size_t count = std::min(batch, total - first);
    ctx.pool.ParallelFor(count, [&](size_t i) {
      ForestTreeBuilder builder(data, bins, cfg, ctx);
      model.trees[first + i] = builder.Build(first + i);
    });
    for (size_t i = 0; i < count; ++i) ctx.Progress(static_cast<uint32_t>(first + i + 1), static_cast<uint32_t>(total));
  }
  return model;
}

}  // namespace mlops::train_detail
