// The core's shared worker threads (see thread-pool.h).
//
// Hand-offs must be cheap: GBDT training issues a dozen short loops per tree,
// and a scoring call of 64 rows is ~50 µs of work in all. So an idle worker
// polls the generation counter for a while before it sleeps, and a caller
// polls for its last helpers to finish before it sleeps; both yield the core
// between polls (decision 0023).
//
// Lifetime: the pool is made on first use and deliberately never destroyed.
// Its workers may be asleep or mid-task when the process exits; destroying it
// from a static destructor would have to join them (a training loop on a
// libuv thread can run for minutes), and exit must not wait. The leaked
// object stays reachable through a static pointer, so leak checkers ignore it.
#include "core/thread-pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MLOPS_CPU_RELAX() _mm_pause()
#else
#define MLOPS_CPU_RELAX() std::this_thread::yield()
#endif

namespace mlops {
namespace {

// How long a thread polls before it sleeps: longer than the gaps between a
// tree's loops or between back-to-back scoring calls, short enough not to
// matter when the pool sits idle.
constexpr auto kSpin = std::chrono::microseconds(100);

template <typename Ready>
bool SpinUntil(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      MLOPS_CPU_RELAX();
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // On a loaded machine the thread polled for may be waiting for a core
    // (a preempted helper, a caller between calls): give it the chance.
    std::this_thread::yield();
  }
}

// One ParallelFor call; lives on the caller's stack. A worker only touches it
// while it holds a reference (taken under the pool's mutex while the job is
// listed), so the caller waits only for workers that actually joined.
struct Job {
  const std::function<void(size_t)>* fn;
  size_t size;
  unsigned max_helpers;
  std::atomic<size_t> next{0};
  std::atomic<unsigned> refs{0};  // workers in the job; raised under mu_, lowered without it
  unsigned helpers = 0;           // workers that ever joined; guarded by mu_
  std::exception_ptr error;       // guarded by mu_
};

class Pool {
 public:
  // hardware_concurrency reads /sys on Linux (µs): once, not per call.
  Pool() : max_workers_(std::max(1u, std::thread::hardware_concurrency()) - 1) {}

  void Run(size_t n, unsigned threads, const std::function<void(size_t)>& fn);

 private:
  void WorkerLoop();
  void Drain(Job& job);
  // A listed job that still has unclaimed tasks and room for a helper; needs mu_.
  Job* Pick();
  // Starts workers until there are `want` (at most the machine's cores less
  // one); needs mu_. A thread that cannot start is simply not there.
  void Grow(unsigned want);

  const unsigned max_workers_;
  std::mutex mu_;
  std::condition_variable wake_;  // workers wait here for a new job
  std::condition_variable done_;  // callers wait here for their last helpers
  std::vector<std::thread> workers_;     // never joined (see the file comment); guarded by mu_
  std::vector<Job*> jobs_;               // calls whose tasks are not all claimed; guarded by mu_
  std::atomic<uint64_t> generation_{0};  // bumped (under mu_) for each listed job
  unsigned sleeping_ = 0;                // workers blocked on wake_; guarded by mu_
};

Pool& Shared() {
  static Pool* const pool = new Pool();  // never deleted: see the file comment
  return *pool;
}

void Pool::Grow(unsigned want) {
  want = std::min(want, max_workers_);
  while (workers_.size() < want) {
    try {
      workers_.emplace_back([this] { WorkerLoop(); });
    } catch (const std::system_error&) {
      return;  // out of threads: callers do the work themselves
    }
  }
}

Job* Pool::Pick() {
  for (Job* job : jobs_) {
    if (job->helpers < job->max_helpers && job->next.load(std::memory_order_relaxed) < job->size) return job;
  }
  return nullptr;
}

// Takes tasks until none are left; the first failure stops the others early.
void Pool::Drain(Job& job) {
  for (;;) {
    const size_t i = job.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= job.size) return;
    try {
      (*job.fn)(i);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!job.error) job.error = std::current_exception();
      job.next.store(job.size, std::memory_order_relaxed);
    }
  }
}

void Pool::WorkerLoop() {
  uint64_t seen = 0;
  for (;;) {
    SpinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
    Job* job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        seen = generation_.load(std::memory_order_relaxed);
        job = Pick();
        if (job != nullptr) break;
        ++sleeping_;
        wake_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
        --sleeping_;
      }
      ++job->helpers;
      job->refs.fetch_add(1, std::memory_order_relaxed);
    }
    Drain(*job);
    if (job->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // The caller may return (and its job go) as soon as refs is 0; from
      // here on only the pool's own members are touched.
      std::lock_guard<std::mutex> lock(mu_);
      done_.notify_all();
    }
  }
}

void Pool::Run(size_t n, unsigned threads, const std::function<void(size_t)>& fn) {
  Job job;
  job.fn = &fn;
  job.size = n;
  job.max_helpers = static_cast<unsigned>(std::min<size_t>(threads - 1, n - 1));
  unsigned wake = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Grow(job.max_helpers);
    if (!workers_.empty()) {
      jobs_.push_back(&job);
      generation_.fetch_add(1, std::memory_order_release);
      wake = std::min(sleeping_, job.max_helpers);
    }
  }
  // Spinning workers see the new generation by themselves.
  for (unsigned i = 0; i < wake; ++i) wake_.notify_one();
  Drain(job);
  {
    // Every task has been claimed: no new helpers, then wait for the ones
    // still running a task.
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.erase(std::remove(jobs_.begin(), jobs_.end(), &job), jobs_.end());
  }
  if (!SpinUntil([&] { return job.refs.load(std::memory_order_acquire) == 0; })) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return job.refs.load(std::memory_order_acquire) == 0; });
  }
  std::lock_guard<std::mutex> lock(mu_);  // orders our read of job.error after the helpers' writes
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) const {
  if (n == 0) return;
  if (size_ == 1 || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Shared().Run(n, size_, fn);
}

}  // namespace mlops
