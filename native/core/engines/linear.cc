// The linear engine: logistic regression, one row at a time.
#include <memory>
#include <vector>

#include "core/engines/engine.h"

namespace mlops::engines {
namespace {

// Outputs on the stack up to this many; wider models use a heap buffer.
constexpr uint32_t kStackOutputs = 64;

class LinearEngine final : public Engine {
 public:
  explicit LinearEngine(const Model& m)
      : n_features_(m.n_features),
        n_classes_(m.n_classes),
        n_outputs_(m.n_outputs),
        post_(m.post_transform),
        coef_(m.coef),
        intercept_(m.intercept) {}

  void Predict(const double* rows, size_t n_rows, double* out) const override {
    double stack[kStackOutputs];
    std::vector<double> heap;
    double* m = stack;
    if (n_outputs_ > kStackOutputs) {
      heap.resize(n_outputs_);
      m = heap.data();
    }
    for (size_t r = 0; r < n_rows; ++r) {
      const double* row = rows + r * n_features_;
      for (uint32_t k = 0; k < n_outputs_; ++k) {
        const double* c = coef_.data() + size_t{k} * n_features_;
        double acc = intercept_[k];
        for (uint32_t j = 0; j < n_features_; ++j) {
          const double x = row[j] == row[j] ? row[j] : 0.0;  // NaN counts as 0
          acc += c[j] * x;
        }
        m[k] = acc;
      }
      Transform(post_, m, n_outputs_, out + r * n_classes_);
    }
  }

  const char* name() const override { return "linear"; }
  const char* isa() const override { return "scalar"; }
  size_t bytes() const override { return (coef_.size() + intercept_.size()) * sizeof(double); }

 private:
  uint32_t n_features_, n_classes_, n_outputs_;
  PostTransform post_;
  std::vector<double> coef_, intercept_;
};

}  // namespace

std::unique_ptr<Engine> MakeLinearEngine(const Model& model) { return std::make_unique<LinearEngine>(model); }

}  // namespace mlops::engines
