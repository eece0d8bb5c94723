// Cooperative cancellation: a caller (the Python binding, on Ctrl-C) raises a
// StopFlag; kernels call check_stop_every(i) in their row loops and unwind by
// throwing Cancelled.  The flag belongs to one call and follows it into the
// thread pool's workers (see ThreadPool::run), so concurrent calls never stop
// each other.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>

namespace labelsieve {

struct StopFlag {
    std::atomic<bool> requested{false};
};

class Cancelled : public std::exception {
public:
    const char* what() const noexcept override { return "labelsieve: call cancelled"; }
};

// The flag of the call this thread works for (nullptr: the call cannot be stopped).
StopFlag*& current_stop_flag();

// Makes `flag` the current thread's flag for the scope's lifetime.
class StopScope {
public:
    explicit StopScope(StopFlag* flag) : saved_(current_stop_flag()) { current_stop_flag() = flag; }
    ~StopScope() { current_stop_flag() = saved_; }
    StopScope(const StopScope&) = delete;
    StopScope& operator=(const StopScope&) = delete;

private:
    StopFlag* saved_;
};

inline void check_stop() {
    const StopFlag* flag = current_stop_flag();
    if (flag != nullptr && flag->requested.load(std::memory_order_relaxed)) throw Cancelled();
}

// Every 2^16 rows: negligible cost, and well under a millisecond between checks.
inline void check_stop_every(int64_t row) {
    if ((row & 0xFFFF) == 0) check_stop();
}

}  // namespace labelsieve
