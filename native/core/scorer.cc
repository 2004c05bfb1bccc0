// Scorer: picks one engine per model at load (engines/select.h) and forwards
// every call to it. The engines' layouts are built here, once, from the
// validated Model; the Model itself is not kept.
#include "core/scorer.h"

#include <algorithm>

#include "core/engines/engine.h"
#include "core/engines/select.h"

namespace mlops {

struct Scorer::Impl {
  uint32_t n_features, n_classes;
  // `batch` scores calls of kMinBatchRows rows or more, `rows` smaller ones;
  // they may be one engine. Owned here, immutable.
  std::unique_ptr<engines::Engine> batch_owned, rows_owned;
  const engines::Engine* batch;
  const engines::Engine* rows;
  size_t min_rows_per_thread;
};

namespace {

std::unique_ptr<engines::Engine> Make(engines::EngineKind kind, const Model& model,
                                      const engines::EngineRequest& request) {
  switch (kind) {
    case engines::EngineKind::kLinear:
      return engines::MakeLinearEngine(model);
    case engines::EngineKind::kHeap:
      return engines::MakeHeapEngine(model, !request.scalar);
    case engines::EngineKind::kPredicated:
      return engines::MakePredicatedEngine(model, !request.scalar);
    case engines::EngineKind::kBinned:
      return engines::MakeBinnedEngine(model, !request.scalar);
    case engines::EngineKind::kGeneric:
      break;
  }
  return engines::MakeGenericEngine(model);
}

}  // namespace

Scorer::Scorer(const Model& model) : Scorer(model, engines::RequestFromEnv()) {}

Scorer::Scorer(const Model& model, const engines::EngineRequest& request) : impl_(new Impl{}) {
  const engines::ModelTraits traits = engines::TraitsOf(model);
  const engines::EngineChoice choice = engines::ChooseEngine(traits, request);
  const double ns = engines::EstimatedNanosPerRow(choice.batch, traits);
  const double rows = ns > 0 ? kMinChunkMicros * 1000.0 / ns : 8192.0;
  impl_->min_rows_per_thread = std::min<size_t>(
      8192, std::max<size_t>(kChunkAlign, (static_cast<size_t>(rows) + kChunkAlign - 1) / kChunkAlign * kChunkAlign));
  impl_->n_features = model.n_features;
  impl_->n_classes = model.n_classes;
  impl_->batch_owned = Make(choice.batch, model, request);
  impl_->batch = impl_->batch_owned.get();
  if (choice.rows == choice.batch) {
    impl_->rows = impl_->batch;
  } else {
    // A second engine for a few rows only needs its row kernel.
    impl_->rows_owned = choice.rows == engines::EngineKind::kPredicated && !request.scalar
                            ? engines::MakePredicatedRowEngine(model)
                            : Make(choice.rows, model, request);
    impl_->rows = impl_->rows_owned.get();
  }
}

Scorer::~Scorer() = default;

uint32_t Scorer::n_features() const { return impl_->n_features; }
uint32_t Scorer::n_classes() const { return impl_->n_classes; }
const char* Scorer::engine_name() const { return impl_->batch->name(); }
const char* Scorer::row_engine_name() const { return impl_->rows->name(); }
const char* Scorer::engine_isa() const { return impl_->batch->isa(); }
size_t Scorer::min_rows_per_thread() const { return impl_->min_rows_per_thread; }
size_t Scorer::engine_bytes() const {
  return impl_->batch->bytes() + (impl_->rows_owned ? impl_->rows->bytes() : 0);
}

void Scorer::Predict(const double* rows, size_t n_rows, double* out) const {
  (n_rows < engines::kMinBatchRows ? impl_->rows : impl_->batch)->Predict(rows, n_rows, out);
}

}  // namespace mlops
