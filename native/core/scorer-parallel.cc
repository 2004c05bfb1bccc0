// PredictParallel: one batch split across the core's shared thread pool
// (thread-pool.h).
//
// The workers persist between calls, so handing a chunk to one costs a few
// µs when it is polling (back-to-back calls) and a condition-variable wake
// when it sleeps, against ~20-65 µs to start and join a thread per call;
// that is what lets batches of a few dozen rows split (decision 0023). The
// calling thread scores chunks too and takes any chunk no worker has taken,
// so concurrent calls (predictAsync's libuv workers) never wait for each
// other: a busy pool means the caller does more of its own batch.
#include <algorithm>

#include "core/scorer.h"
#include "core/thread-pool.h"

namespace mlops {

void PredictParallel(const Scorer& scorer, const double* rows, size_t n_rows, double* out, unsigned n_threads,
                     size_t min_rows_per_thread) {
  const size_t min_rows = min_rows_per_thread ? min_rows_per_thread : scorer.min_rows_per_thread();
  const size_t max_chunks = (n_rows + min_rows - 1) / min_rows;
  size_t chunks = n_threads == 0 ? 1 : n_threads;
  if (chunks > max_chunks) chunks = max_chunks;
  if (chunks <= 1) {
    scorer.Predict(rows, n_rows, out);
    return;
  }
  // Chunks are whole multiples of kChunkAlign rows, so no chunk but the last
  // ends in a partial 32-row group of the vector engines (and none falls
  // under the 8 rows below which the row engine takes over).
  size_t per = (n_rows + chunks - 1) / chunks;
  per = (per + kChunkAlign - 1) / kChunkAlign * kChunkAlign;
  chunks = (n_rows + per - 1) / per;
  const size_t nf = scorer.n_features(), nc = scorer.n_classes();
  ThreadPool(static_cast<unsigned>(chunks)).ParallelFor(chunks, [&](size_t c) {
    const size_t begin = c * per;
    const size_t n = std::min(per, n_rows - begin);
    scorer.Predict(rows + begin * nf, n, out + begin * nc);
  });
}

}  // namespace mlops
