// PredictParallel: one batch split across threads.
//
// Threads are started per call (std::thread) rather than kept in a pool: the
// addon already runs each async call on a libuv worker, so concurrent requests
// get parallelism from libuv; a split only pays off for batches of thousands
// of rows (a chunk of at least kMinChunkMicros of work), where starting a
// thread (~20-65 µs) is small.
// Per-call threads also mean no process-wide state, nothing to shut down at
// exit, and nothing shared between Node worker_threads that load the addon.
#include <algorithm>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

#include "core/scorer.h"

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
  // Chunk sizes are rounded to whole 64-row blocks so no chunk ends in a
  // partial block except the last.
  size_t per = (n_rows + chunks - 1) / chunks;
  per = (per + 63) / 64 * 64;
  const size_t nf = scorer.n_features(), nc = scorer.n_classes();

  std::vector<std::thread> threads;
  std::vector<std::exception_ptr> errors(chunks);
  threads.reserve(chunks - 1);
  auto run = [&](size_t c) {
    const size_t begin = c * per;
    if (begin >= n_rows) return;
    const size_t n = std::min(per, n_rows - begin);
    try {
      scorer.Predict(rows + begin * nf, n, out + begin * nc);
    } catch (...) {
      errors[c] = std::current_exception();
    }
  };
  for (size_t c = 1; c < chunks; ++c) {
    try {
      threads.emplace_back(run, c);
    } catch (const std::system_error&) {
      run(c);  // no thread available: do the chunk here instead
    }
  }
  run(0);
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace mlops
