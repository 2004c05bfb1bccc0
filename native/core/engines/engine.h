// Scoring engines: interchangeable implementations of one model's Predict,
// each with its own layout built at load time from the validated Model.
// Internal to native/core; the Scorer (scorer.h) owns exactly one.
//
// Every engine computes the scoring semantics of docs/model-format.md bit for
// bit: the same double comparisons, NaN to the node's default side, each
// row's leaves added in tree index order from the same starting value, the
// same post transform. Which engine scores a row never changes its result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/model.h"

namespace mlops::engines {

class Engine {
 public:
  virtual ~Engine() = default;
  // rows: n_rows * n_features doubles, row-major; out: n_rows * n_classes.
  // Thread-safe: engines are immutable after construction.
  virtual void Predict(const double* rows, size_t n_rows, double* out) const = 0;
  // Stable name, reported in model info ("generic", "heap", "linear").
  virtual const char* name() const = 0;
  // Instruction set the kernels run with ("scalar", "avx512").
  virtual const char* isa() const = 0;
  // Bytes of the engine's own layout (not counting the canonical Model).
  virtual size_t bytes() const = 0;
};

// What every tree engine shares: how margins start, end and become
// probabilities. Built from a validated tree model.
struct Ensemble {
  uint32_t n_features = 0, n_classes = 0, n_outputs = 0, leaf_width = 0;
  Aggregation aggregation = Aggregation::kSum;
  PostTransform post = PostTransform::kSigmoid;
  std::vector<double> base;     // n_outputs
  std::vector<double> divisor;  // kMean: trees per output

  explicit Ensemble(const Model& m);

  // What a row's margin k starts from before any tree is added.
  double Start(uint32_t k) const { return aggregation == Aggregation::kSum ? base[k] : 0.0; }
  // acc (n_outputs sums in tree order) is overwritten with the margins, then
  // out gets n_classes probabilities.
  void Finish(double* acc, double* out) const;
  size_t bytes() const { return (base.size() + divisor.size()) * sizeof(double); }
};

// margins: n_outputs values; out: n_classes values. May not alias.
void Transform(PostTransform post, const double* m, uint32_t n_outputs, double* out);

// The engines. `model` must have passed ValidateModel and outlive nothing:
// engines copy what they need.
std::unique_ptr<Engine> MakeGenericEngine(const Model& model);
std::unique_ptr<Engine> MakeLinearEngine(const Model& model);
// Requires HeapSupports(model) (select.h). `simd`: use the vector kernels
// when the CPU has them (false forces the scalar kernels).
std::unique_ptr<Engine> MakeHeapEngine(const Model& model, bool simd);
// Requires PredicatedUnsupported(model) to be empty (select.h); `simd` as above.
std::unique_ptr<Engine> MakePredicatedEngine(const Model& model, bool simd);
// The predicated engine's row kernel alone, for calls of a few rows beside
// another batch engine: the batch kernels' tables are not kept. Requires
// PredicatedUnsupported(model) empty and PredicatedHasVectorKernels().
std::unique_ptr<Engine> MakePredicatedRowEngine(const Model& model);
// Requires BinnedUnsupported(model) to be empty (select.h); `simd` as above.
std::unique_ptr<Engine> MakeBinnedEngine(const Model& model, bool simd);

}  // namespace mlops::engines
