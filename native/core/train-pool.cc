// The trainers' thread pool (see train-common.h).
//
// GBDT issues a dozen short loops per tree, so hand-offs must be cheap:
// idle workers spin briefly on the generation counter before blocking, and
// the caller spins briefly before blocking on the last helpers to finish.
#include <chrono>

#include "core/train-common.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MLOPS_CPU_RELAX() _mm_pause()
#else
#define MLOPS_CPU_RELAX() std::this_thread::yield()
#endif

namespace mlops::train_detail {
namespace {

// How long a thread polls before it sleeps. Longer than the gaps between a
// tree's loops, short enough not to matter when the pool sits idle.
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
  }
}

}  // namespace

ThreadPool::ThreadPool(unsigned threads) : size_(threads == 0 ? 1 : threads) {
  workers_.reserve(size_ - 1);
  for (unsigned i = 1; i < size_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

// Takes tasks until none are left; the first failure stops the others early.
void ThreadPool::Drain(Job& job) {
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

void ThreadPool::WorkerLoop() {
  uint64_t seen = 0;
  for (;;) {
    SpinUntil([&] { return generation_.load(std::memory_order_acquire) != seen; });
    Job* job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++sleeping_;
      wake_.wait(lock, [&] { return stop_ || generation_.load(std::memory_order_relaxed) != seen; });
      --sleeping_;
      if (stop_) return;
      seen = generation_.load(std::memory_order_relaxed);
      job = job_;
      if (job == nullptr) continue;  // that call already finished without us
      job->refs.fetch_add(1, std::memory_order_relaxed);
    }
    Drain(*job);
    if (job->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_.notify_one();
    }
  }
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Job job;
  job.fn = &fn;
  job.size = n;
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &job;
    generation_.fetch_add(1, std::memory_order_release);
    wake = sleeping_ > 0;
  }
  if (wake) wake_.notify_all();
  Drain(job);
  {
    // Every task has been claimed: no new helpers, then wait for the ones
    // still running a task.
    std::lock_guard<std::mutex> lock(mu_);
    job_ = nullptr;
  }
  if (!SpinUntil([&] { return job.refs.load(std::memory_order_acquire) == 0; })) {
    std::unique_lock<std::mutex> lock(mu_);
    done_.wait(lock, [&] { return job.refs.load(std::memory_order_acquire) == 0; });
  }
  std::lock_guard<std::mutex> lock(mu_);  // orders our read of job.error after the helpers' writes
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace mlops::train_detail
