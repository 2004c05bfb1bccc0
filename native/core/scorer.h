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

// Rows per thread below which PredictParallel does not split further.
constexpr size_t kMinRowsPerThread = 1024;

// Scores rows in contiguous chunks on up to n_threads threads, the calling
// thread taking the first chunk; never more threads than
// ceil(n_rows / kMinRowsPerThread). Bit-identical to Predict, since a row's
// result does not depend on its chunk. Blocks until every chunk is done.
void PredictParallel(const Scorer& scorer, const double* rows, size_t n_rows, double* out, unsigned n_threads);

}  // namespace mlops
