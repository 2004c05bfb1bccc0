// The core's thread pool: one process-wide set of worker threads that runs
// index-parallel loops for training and batched scoring alike.
//
// The workers start lazily (the first loop that asks for help) and live until
// the process exits: they are never joined, so exit never waits on them, and
// every Node worker_thread that loads the addon shares them. Idle workers spin
// briefly, then sleep on a condition variable.
//
// Any number of threads may run loops at once. The calling thread always runs
// tasks of its own loop and never waits for a worker to start, so a busy pool
// only means the caller does more of the work itself: no call deadlocks, and
// none queues behind another.
#pragma once

#include <cstddef>
#include <functional>

namespace mlops {

// A handle on the shared workers that runs loops on at most `threads`
// threads, the caller's included (threads = 1: everything on the caller).
// Cheap to make; owns no threads.
class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads) : size_(threads == 0 ? 1 : threads) {}

  // The most threads one loop may use (as asked, even when the machine has
  // fewer workers: results never depend on how many actually help).
  unsigned size() const { return size_; }

  // Runs fn(i) for every i in [0, n) and returns when all are done. Tasks are
  // handed out dynamically, so callers keep results deterministic by writing
  // each task's output to its own slot. The first exception thrown by a task
  // is rethrown here (tasks not yet started are skipped).
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn) const;

 private:
  unsigned size_;
};

}  // namespace mlops
