// Batch scoring. A Scorer is compiled once from a validated Model and is
// immutable afterwards, so it can be shared by any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/model.h"

namespace mlops {

class Scorer {
 public:
  // `model` must already have passed ValidateModel.
  explicit Scorer(const Model& model);
  ~Scorer();
  Scorer(const Scorer&) = delete;
  Scorer& operator=(const Scorer&) = delete;

  uint32_t n_features() const;
  uint32_t n_classes() const;

  // rows: n_rows * n_features doubles, row-major. out: n_rows * n_classes.
  // Results for a row never depend on the batch it is in or on thread count.
  void Predict(const double* rows, size_t n_rows, double* out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mlops
