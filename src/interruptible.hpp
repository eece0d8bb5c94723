// Runs a kernel with the GIL released and keeps Ctrl-C working: long calls run
// on a helper thread while the calling thread wakes every 50 ms, takes the GIL
// briefly and lets Python check for signals.  On a pending KeyboardInterrupt
// (or any exception a signal handler raises) the kernel's StopFlag is raised,
// the kernel unwinds at its next check (cpp/cancel.hpp), and the Python error
// propagates.  Signal handlers only run on the main thread, so calls from
// other threads simply run to completion.
#pragma once
#include <pybind11/pybind11.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>

#include "cancel.hpp"

namespace labelsieve_binding {

// Below this many elements a call is over in milliseconds: run it inline.
constexpr int64_t kInterruptibleWork = int64_t{1} << 22;

template <class Kernel>
void run_without_gil(int64_t work, Kernel&& kernel) {
    if (work < kInterruptibleWork) {
        pybind11::gil_scoped_release release;
        kernel();
        return;
    }
    labelsieve::StopFlag stop;
    std::exception_ptr error;
    bool finished = false;
    bool interrupted = false;
    std::mutex mutex;
    std::condition_variable done;
    {
        pybind11::gil_scoped_release release;
        std::thread runner([&] {
            labelsieve::StopScope scope(&stop);
            try {
                kernel();
            } catch (...) {
                error = std::current_exception();
            }
            std::lock_guard<std::mutex> lock(mutex);
            finished = true;
            done.notify_one();
        });
        std::unique_lock<std::mutex> lock(mutex);
        while (!done.wait_for(lock, std::chrono::milliseconds(50), [&] { return finished; })) {
            if (interrupted) continue;
            lock.unlock();
            {
                pybind11::gil_scoped_acquire gil;
                interrupted = PyErr_CheckSignals() != 0;
            }
            if (interrupted) stop.requested.store(true);
            lock.lock();
        }
        lock.unlock();
        runner.join();
    }
    if (interrupted) throw pybind11::error_already_set();  // the KeyboardInterrupt, set by PyErr_CheckSignals
    if (error) std::rethrow_exception(error);
}

}  // namespace labelsieve_binding
