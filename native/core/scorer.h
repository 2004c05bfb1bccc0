// Batch scoring. A Scorer is compiled once from a validated Model and is
// immutable afterwards, so it can be shared by any number of threads. The
// work is done by one engine (engines/engine.h) chosen at construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/model.h"

namespace mlops {

namespace engines {
struct EngineRequest;
}

class Scorer {
 public:
  // `model` must already have passed ValidateModel. The engine is chosen from
  // the model's shape and MLOPS_SCORER_ENGINE / MLOPS_SCORER_ISA, read now.
  explicit Scorer(const Model& model);
  // The same with an explicit request instead of the environment.
  Scorer(const Model& model, const engines::EngineRequest& request);
  ~Scorer();
  Scorer(const Scorer&) = delete;
  Scorer& operator=(const Scorer&) = delete;

  uint32_t n_features() const;
  uint32_t n_classes() const;
  // The engine scoring batches of this model ("generic", "heap", "linear"),
  // the one scoring calls of fewer than 8 rows (often the same), the
  // instruction set the batch engine's kernels use ("scalar", "avx512"), and
  // the bytes of both engines' layouts.
  const char* engine_name() const;
  const char* row_engine_name() const;
  const char* engine_isa() const;
  size_t engine_bytes() const;
  // Rows a chunk needs before PredictParallel splits it off: kMinChunkMicros
  // of work by the batch engine's estimated cost per row (a multiple of
  // kChunkAlign, kChunkAlign to 8,192).
  size_t min_rows_per_thread() const;

  // rows: n_rows * n_features doubles, row-major. out: n_rows * n_classes.
  // Results for a row never depend on the batch it is in or on thread count.
  void Predict(const double* rows, size_t n_rows, double* out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Work (estimated) a chunk must hold before PredictParallel hands it to
// another thread: handing a chunk to a pool worker (and waiting for it) costs
// a few µs when the worker is polling and more when it must be woken, so a
// chunk of this much work keeps that cost small (measurements:
// docs/decisions/0023-scoring-thread-pool.md).
constexpr double kMinChunkMicros = 15.0;

// Chunks are whole multiples of this many rows (the vector engines' row
// group), which also keeps every chunk above the row engine's 8 rows.
constexpr size_t kChunkAlign = 32;

// Scores rows in contiguous chunks on up to n_threads threads of the core's
// thread pool (thread-pool.h), the calling thread among them; never more
// threads than ceil(n_rows / min_rows_per_thread). Bit-identical to Predict, since a row's
// result does not depend on its chunk. Blocks until every chunk is done.
// min_rows_per_thread = 0 means the scorer's own (Scorer::min_rows_per_thread).
void PredictParallel(const Scorer& scorer, const double* rows, size_t n_rows, double* out, unsigned n_threads,
                     size_t min_rows_per_thread = 0);

}  // namespace mlops
