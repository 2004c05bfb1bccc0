// Train(): input and parameter validation, then dispatch to a family.
#include "core/train.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <thread>

#include "core/artifact-limits.h"
#include "core/artifact.h"
#include "core/artifact-validate.h"
#include "core/train-common.h"

namespace mlops {

using train_detail::Invalid;

namespace {

constexpr int64_t kMaxThreads = 256;
constexpr int64_t kMaxEstimators = 1000000;

std::string Num(double v) {
  std::ostringstream out;
  out.precision(17);
  out << v;
  return out.str();
}

void CheckShape(const TrainInput& in) {
  if (in.n_rows == 0) Invalid("empty", "nRows must be at least 1");
  if (in.n_features == 0) Invalid("bad_shape", "nFeatures must be at least 1");
  if (in.n_features > limits::kMaxFeatures) {
    Invalid("bad_shape", "nFeatures exceeds the artifact limit of " + std::to_string(limits::kMaxFeatures));
  }
  if (in.n_rows > std::numeric_limits<uint32_t>::max()) Invalid("bad_shape", "nRows must fit in 32 bits");
  if (in.x == nullptr || in.y == nullptr) Invalid("bad_shape", "x and y are required");
  if (in.x_len / in.n_features != in.n_rows || in.x_len % in.n_features != 0) {
    Invalid("bad_shape", "x has " + std::to_string(in.x_len) + " values, expected nRows * nFeatures = " +
                             std::to_string(in.n_rows) + " * " + std::to_string(in.n_features));
  }
  if (in.y_len != in.n_rows) {
    Invalid("bad_shape", "y has " + std::to_string(in.y_len) + " labels, expected nRows = " + std::to_string(in.n_rows));
  }
}

void CheckFeatures(const TrainInput& in) {
  for (size_t i = 0; i < in.x_len; ++i) {
    if (std::isinf(in.x[i])) {
      Invalid("non_finite_feature", "x[" + std::to_string(i) + "] is infinite (NaN means missing; Infinity is not allowed)");
    }
  }
}

// Labels must be integers 0..K-1 with every class present; K = max + 1 >= 2.
void ReadLabels(const TrainInput& in, train_detail::Dataset& data) {
  double max_label = 0;
  bool single = true;
  for (size_t r = 0; r < in.n_rows; ++r) {
    const double y = in.y[r];
    if (!std::isfinite(y)) Invalid("bad_label", "y[" + std::to_string(r) + "] is not finite");
    if (y < 0 || y != std::floor(y)) {
      Invalid("bad_label", "y[" + std::to_string(r) + "] = " + Num(y) + " is not a class index (0, 1, ...)");
    }
    max_label = std::max(max_label, y);
    single = single && y == in.y[0];
  }
  if (single) Invalid("single_class", "training data has a single class; at least two are needed");
  // With every class present, there cannot be more classes than rows.
  if (max_label >= static_cast<double>(in.n_rows)) {
    Invalid("missing_class", "labels go up to " + Num(max_label) + " but there are only " +
                                 std::to_string(in.n_rows) + " rows, so some class has none");
  }
  if (max_label >= limits::kMaxClasses) {
    Invalid("bad_label", "labels go up to " + Num(max_label) + "; at most " + std::to_string(limits::kMaxClasses) +
                             " classes are supported");
  }
  const uint32_t n_classes = static_cast<uint32_t>(max_label) + 1;
  data.label.resize(in.n_rows);
  data.class_count.assign(n_classes, 0);
  for (size_t r = 0; r < in.n_rows; ++r) {
    data.label[r] = static_cast<uint32_t>(in.y[r]);
    ++data.class_count[data.label[r]];
  }
  for (uint32_t k = 0; k < n_classes; ++k) {
    if (data.class_count[k] == 0) {
      Invalid("missing_class", "class " + std::to_string(k) + " has no rows (labels must be 0.." +
                                   std::to_string(n_classes - 1) + " with each one present)");
    }
  }
  data.n_classes = n_classes;
}

void Require(bool ok, const char* name, const std::string& rule) {
  if (!ok) Invalid("bad_param", std::string(name) + " must be " + rule);
}

void CheckParams(const TrainParams& p, size_t n_features) {
  Require(p.family == Family::kGbdt || p.family == Family::kRandomForest || p.family == Family::kLogistic, "model",
          "gbdt, rf or logreg");
  Require(p.n_estimators >= 1 && p.n_estimators <= kMaxEstimators, "nEstimators",
          "an integer in [1, " + std::to_string(kMaxEstimators) + "]");
  Require(p.max_depth >= 0, "maxDepth", "an integer >= 0 (0 = unlimited)");
  Require(std::isfinite(p.learning_rate) && p.learning_rate > 0, "learningRate", "a finite number > 0");
  Require(p.min_samples_leaf >= 1 && p.min_samples_leaf <= std::numeric_limits<uint32_t>::max(), "minSamplesLeaf",
          "an integer >= 1");
  Require(std::isfinite(p.min_child_weight) && p.min_child_weight >= 0, "minChildWeight", "a finite number >= 0");
  Require(std::isfinite(p.l2) && p.l2 >= 0, "l2", "a finite number >= 0");
  Require(std::isfinite(p.subsample) && p.subsample > 0 && p.subsample <= 1, "subsample", "in (0, 1]");
  Require(std::isfinite(p.colsample) && p.colsample > 0 && p.colsample <= 1, "colsample", "in (0, 1]");
  Require(p.max_bins >= 2 && p.max_bins <= 65535, "maxBins", "an integer in [2, 65535]");
  Require(p.max_iter >= 1 && p.max_iter <= kMaxEstimators, "maxIter", "an integer in [1, 1000000]");
  Require(p.threads >= 0 && p.threads <= kMaxThreads, "threads", "an integer in [0, 256] (0 = all cores)");
  const MaxFeatures& mf = p.max_features;
  switch (mf.kind) {
    case MaxFeatures::Kind::kSqrt:
    case MaxFeatures::Kind::kLog2:
    case MaxFeatures::Kind::kAll:
      break;
    case MaxFeatures::Kind::kFraction:
      Require(std::isfinite(mf.value) && mf.value > 0 && mf.value <= 1, "maxFeatures", "a fraction in (0, 1]");
      break;
    case MaxFeatures::Kind::kCount:
      Require(mf.value >= 1 && mf.value == std::floor(mf.value) && mf.value <= static_cast<double>(n_features),
              "maxFeatures", "an integer count in [1, nFeatures]");
      break;
    default:
      Require(false, "maxFeatures", "\"sqrt\", \"log2\", \"all\", a fraction or a count");
  }
  Require(p.feature_names.empty() || p.feature_names.size() == n_features, "featureNames",
          "empty or one name per feature");
  for (const std::string& name : p.feature_names) {
    Require(name.size() <= limits::kMaxNameBytes, "featureNames",
            "names of at most " + std::to_string(limits::kMaxNameBytes) + " bytes");
  }
  Require(p.params_json.size() <= limits::kMaxParamsBytes, "paramsJson",
          "at most " + std::to_string(limits::kMaxParamsBytes) + " bytes");
}

// Checks that need the class count: the artifact caps the number of trees.
void CheckTreeCount(const TrainParams& p, uint32_t n_classes) {
  if (p.family != Family::kGbdt) return;
  const uint64_t per_round = n_classes == 2 ? 1 : n_classes;
  Require(static_cast<uint64_t>(p.n_estimators) * per_round <= limits::kMaxTrees, "nEstimators",
          "at most " + std::to_string(limits::kMaxTrees) + " trees in all (nEstimators * classes)");
}

}  // namespace

TrainParams DefaultTrainParams(Family family) {
  TrainParams p;
  p.family = family;
  if (family == Family::kRandomForest) p.max_depth = 10;
  return p;
}

namespace train_detail {

void FillCommon(const Dataset& data, const TrainParams& params, Family family, Model& model) {
  model.family = family;
  model.n_features = static_cast<uint32_t>(data.n_features);
  model.n_classes = data.n_classes;
  model.feature_names = params.feature_names;
  model.params_json = params.params_json;
  model.labels = params.labels;
}

}  // namespace train_detail

Model Train(const TrainInput& input, const TrainParams& params, const TrainHooks& hooks) {
  CheckShape(input);
  CheckParams(params, input.n_features);
  CheckFeatures(input);
  train_detail::Dataset data;
  data.x = input.x;
  data.n_rows = input.n_rows;
  data.n_features = input.n_features;
  ReadLabels(input, data);
  CheckTreeCount(params, data.n_classes);
  if (params.labels.kind != LabelKind::kNone) {
    const size_t n = params.labels.ints.size() + params.labels.floats.size() + params.labels.strings.size();
    Require(n == data.n_classes, "classLabels", "one label per class (" + std::to_string(data.n_classes) + ")");
    Model probe;
    probe.n_classes = data.n_classes;
    probe.labels = params.labels;
    try {
      ValidateLabels(probe);
    } catch (const FormatError& e) {
      Require(false, "classLabels", std::string("distinct, valid labels (") + e.what() + ")");
    }
  }

  unsigned threads = static_cast<unsigned>(params.threads);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  ThreadPool pool(threads);
  const train_detail::Context ctx{params, hooks, pool};
  Model model;
  switch (params.family) {
    case Family::kGbdt:
      model = train_detail::TrainGbdt(data, ctx);
      break;
    case Family::kRandomForest:
      model = train_detail::TrainRandomForest(data, ctx);
      break;
    case Family::kLogistic:
      model = train_detail::TrainLogistic(data, ctx);
      break;
  }
  ValidateModel(model);  // a FormatError here is a trainer bug, not bad input
  return model;
}

}  // namespace mlops
