#include "thread_pool.hpp"

#include "cancel.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

#ifdef _WIN32
#include <process.h>  // _getpid (Windows has no fork(), so the pid never changes)
#else
#include <unistd.h>
#endif

namespace labelsieve {

namespace {
#ifdef _WIN32
using ProcessId = int;
ProcessId current_process_id() { return _getpid(); }
#else
using ProcessId = pid_t;
ProcessId current_process_id() { return getpid(); }
#endif
}  // namespace

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
}

void ThreadPool::grow(int n_background) {
    while (static_cast<int>(threads_.size()) < n_background) {
        const int index = static_cast<int>(threads_.size()) + 1;
        threads_.emplace_back([this, index] { worker_loop(index); });
    }
}

void ThreadPool::worker_loop(int index) {
    uint64_t seen = 0;
    for (;;) {
        const std::function<void(int)>* job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && index < job_workers_); });
            if (stopping_) return;
            seen = generation_;
            job = job_;
        }
        std::exception_ptr error;
        try {
            (*job)(index);
        } catch (...) {
            error = std::current_exception();
        }
        std::lock_guard<std::mutex> lock(mutex_);
        if (error && !error_) error_ = error;
        if (--pending_ == 0) done_.notify_one();
    }
}

void ThreadPool::run(int n_workers, const std::function<void(int)>& caller_fn) {
    // Workers act for the caller's call: they see its stop flag.
    StopFlag* const stop = current_stop_flag();
    const std::function<void(int)> fn = [&caller_fn, stop](int worker) {
        StopScope scope(stop);
        caller_fn(worker);
    };
    std::unique_lock<std::mutex> exclusive(run_mutex_, std::try_to_lock);
    if (!exclusive.owns_lock()) {
        // Another thread is using the pool (e.g. two Python threads with the GIL released).
        std::vector<std::thread> extra;
        std::vector<std::exception_ptr> errors(n_workers);
        for (int w = 1; w < n_workers; ++w) {
            extra.emplace_back([&, w] {
                try { fn(w); } catch (...) { errors[w] = std::current_exception(); }
            });
        }
        try { fn(0); } catch (...) { errors[0] = std::current_exception(); }
        for (auto& t : extra) t.join();
        for (auto& e : errors) if (e) std::rethrow_exception(e);
        return;
    }
    {
        std::lock_guard<std::mutex> lock(mutex_);
        grow(n_workers - 1);
        job_ = &fn;
        job_workers_ = n_workers;
        pending_ = n_workers - 1;
        error_ = nullptr;
        ++generation_;
    }
    wake_.notify_all();
    std::exception_ptr own_error;
    try {
        fn(0);
    } catch (...) {
        own_error = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    job_workers_ = 0;
    if (own_error) std::rethrow_exception(own_error);
    if (error_) std::rethrow_exception(error_);
}

ThreadPool& ThreadPool::shared() {
    // Threads do not survive fork(): a child process gets a fresh pool (the
    // parent's copy is leaked on purpose, its threads do not exist here).
    static std::mutex guard;
    static ThreadPool* pool = nullptr;
    static ProcessId owner = 0;
    std::lock_guard<std::mutex> lock(guard);
    const ProcessId me = current_process_id();
    if (pool == nullptr || owner != me) {
        pool = new ThreadPool();
        owner = me;
    }
    return *pool;
}

void run_workers(int n_workers, const std::function<void(int)>& fn) {
    if (n_workers <= 1) {
        fn(0);
        return;
    }
    ThreadPool::shared().run(n_workers, fn);
}

void parallel_ranges(int64_t n, int n_threads, const std::function<void(int64_t, int64_t, int)>& fn) {
    const int parts = part_count(n, n_threads);
    run_workers(parts, [&](int part) {
        const int64_t begin = n * part / parts;
        const int64_t end = n * (part + 1) / parts;
        fn(begin, end, part);
    });
}

void parallel_tasks(int64_t n_tasks, int n_threads, const std::function<void(int64_t, int)>& fn) {
    const int workers = part_count(n_tasks, n_threads);
    std::atomic<int64_t> next{0};
    run_workers(workers, [&](int worker) {
        for (int64_t task = next.fetch_add(1); task < n_tasks; task = next.fetch_add(1)) fn(task, worker);
    });
}

}  // namespace labelsieve
