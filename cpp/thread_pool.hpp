// A small persistent thread pool.  Work is always split into pieces whose
// results do not depend on how many threads ran them (see the kernels), so
// the pool only needs "run this on n workers and wait".
#pragma once
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace labelsieve {

class ThreadPool {
public:
    ~ThreadPool();
    // Calls fn(w) for every w in [0, n_workers); the calling thread is worker 0.
    // Returns when all calls have returned; rethrows the first exception.
    void run(int n_workers, const std::function<void(int)>& fn);

    // The process-wide pool (recreated after fork()).
    static ThreadPool& shared();

private:
    void grow(int n_background);
    void worker_loop(int index);

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    std::vector<std::thread> threads_;
    const std::function<void(int)>* job_ = nullptr;
    int job_workers_ = 0;
    int pending_ = 0;
    uint64_t generation_ = 0;
    bool stopping_ = false;
    std::exception_ptr error_;
    std::mutex run_mutex_;  // one job at a time; concurrent callers use plain threads
};

// Run fn(worker) on n_workers threads (1 means inline, no pool involved).
void run_workers(int n_workers, const std::function<void(int)>& fn);

// How many parts parallel_ranges(n, n_threads, ...) makes (and workers
// parallel_tasks(n, n_threads, ...) uses): at least 1, at most n.  Callers
// size their per-part state with it.
inline int part_count(int64_t n, int n_threads) {
    return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n_threads, n)));
}

// Split rows [0, n) into part_count(n, n_threads) contiguous ranges of
// near-equal size and call fn(begin, end, part) for each, one part per worker.
void parallel_ranges(int64_t n, int n_threads, const std::function<void(int64_t, int64_t, int)>& fn);

// Call fn(task, worker) for every task in [0, n_tasks), handing tasks out
// dynamically; fn must not depend on which worker runs a task.
void parallel_tasks(int64_t n_tasks, int n_threads, const std::function<void(int64_t, int)>& fn);

}  // namespace labelsieve
