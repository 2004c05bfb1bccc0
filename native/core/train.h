// Native training: gradient-boosted trees, random forests and logistic
// regression, each producing a canonical mlops::Model that passes
// ValidateModel. Plain C++17, no N-API. Algorithms and defaults are described
// in docs/training.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/model.h"

namespace mlops {

// Raised for bad input and for cancellation. `code` is one of the stable
// strings below; `reason` narrows kInvalid down (e.g. "bad_shape",
// "bad_label", "bad_param"); the message is for humans.
class TrainError : public std::runtime_error {
 public:
  static constexpr const char* kInvalid = "ERR_TRAIN_INVALID";
  static constexpr const char* kCancelled = "ERR_TRAIN_CANCELLED";

  TrainError(std::string code, std::string reason, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)), reason_(std::move(reason)) {}
  const std::string& code() const { return code_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string code_;
  std::string reason_;
};

// Features considered at each random-forest split.
struct MaxFeatures {
  enum class Kind : uint32_t { kSqrt, kLog2, kAll, kFraction, kCount };
  Kind kind = Kind::kSqrt;
  double value = 0;  // the fraction (kFraction) or the count (kCount)
};

// Hyperparameters. Fields a family does not use are ignored (but still
// validated). Defaults here mirror resolveTrainOptions in src/core/train.ts;
// DefaultTrainParams() gives the per-family ones.
struct TrainParams {
  Family family = Family::kGbdt;
  int64_t n_estimators = 100;    // trees (RF) or boosting rounds (GBDT)
  int64_t max_depth = 6;         // 0 = unlimited; GBDT 6, RF 10
  double learning_rate = 0.1;    // GBDT shrinkage, > 0
  int64_t min_samples_leaf = 1;  // rows per leaf, >= 1
  double min_child_weight = 1;   // GBDT: hessian per leaf, >= 0
  double l2 = 1;                 // GBDT leaf L2 / logistic L2 on standardized coefficients
  double subsample = 1;          // GBDT: row fraction per round, (0, 1]
  double colsample = 1;          // GBDT: feature fraction per tree, (0, 1]
  int64_t max_bins = 256;        // value bins per feature, [2, 65535]; NaN has its own
  MaxFeatures max_features;      // RF
  int64_t max_iter = 100;        // logistic: optimizer iterations
  uint64_t seed = 0;
  int64_t threads = 0;  // 0 = std::thread::hardware_concurrency(); results never depend on it

  // Copied into the model as-is.
  std::vector<std::string> feature_names;  // empty or n_features entries
  std::string params_json;
  // The original class values, one per class id (kNone: the ids themselves).
  ClassLabels labels;
};

TrainParams DefaultTrainParams(Family family);

// Borrowed views; they must stay valid and unmodified for the duration of Train.
struct TrainInput {
  const double* x = nullptr;  // n_rows * n_features, row-major; NaN = missing
  size_t x_len = 0;
  const double* y = nullptr;  // n_rows class labels 0..n_classes-1
  size_t y_len = 0;
  size_t n_rows = 0;
  size_t n_features = 0;
};

struct TrainHooks {
  // Called on the thread running Train after each round/tree (done = 1..total).
  std::function<void(uint32_t done, uint32_t total)> on_progress;
  // Polled at least once per round; when set, Train throws TrainError(kCancelled).
  const std::atomic<bool>* cancel = nullptr;
};

// Validates input and params (TrainError kInvalid), trains, then checks the
// result with ValidateModel. The number of classes is max(label) + 1 and
// every class must occur.
Model Train(const TrainInput& input, const TrainParams& params, const TrainHooks& hooks = {});

}  // namespace mlops
