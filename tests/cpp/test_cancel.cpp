// The cancel flag: a raised StopFlag unwinds a running kernel with Cancelled,
// on the calling thread and in the pool's workers; it belongs to one call only.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "cancel.hpp"
#include "helpers.hpp"
#include "primitives.hpp"
#include "thread_pool.hpp"

using namespace labelsieve;

TEST_CASE("a raised stop flag cancels class_sums and joint_pass for any thread count") {
    const int64_t n = 300000, k = 3;
    const auto d = testdata::random_problem(n, k, 2);
    for (int threads : {1, 2, 4}) {
        CAPTURE(threads);
        StopFlag flag;
        flag.requested = true;
        StopScope scope(&flag);
        std::vector<int64_t> counts(k);
        std::vector<float> sums(k);
        CHECK_THROWS_AS((class_sums<float, int64_t>(d.labels.data(), d.p.data(), n, k, counts.data(), sums.data(),
                                                    nullptr, threads)),
                        Cancelled);
        std::vector<int32_t> guess(n);
        std::vector<int64_t> joint(k * k, 0);
        std::vector<uint8_t> flags(n);
        const std::vector<float> cut(k, 0.3f);
        CHECK_THROWS_AS((joint_pass<float, int64_t>(d.labels.data(), d.p.data(), n, k, cut.data(), false, guess.data(),
                                                    joint.data(), flags.data(), threads)),
                        Cancelled);
    }
}

TEST_CASE("without a raised flag the same call completes; the scope restores the previous flag") {
    const int64_t n = 200000, k = 3;
    const auto d = testdata::random_problem(n, k, 3);
    StopFlag idle;
    {
        StopScope scope(&idle);
        std::vector<int64_t> counts(k);
        std::vector<float> sums(k);
        class_sums<float, int64_t>(d.labels.data(), d.p.data(), n, k, counts.data(), sums.data(), nullptr, 2);
        CHECK(counts[0] + counts[1] + counts[2] == n);
        CHECK(current_stop_flag() == &idle);
    }
    CHECK(current_stop_flag() == nullptr);
}

TEST_CASE("a flag raised on one thread's call does not stop a concurrent call on another thread") {
    const int64_t n = 400000, k = 4;
    const auto d = testdata::random_problem(n, k, 4);
    std::atomic<int> cancelled{0}, finished{0};
    auto work = [&](bool stop) {
        StopFlag flag;
        flag.requested = stop;
        StopScope scope(&flag);
        std::vector<int64_t> counts(k);
        std::vector<float> sums(k);
        try {
            class_sums<float, int64_t>(d.labels.data(), d.p.data(), n, k, counts.data(), sums.data(), nullptr, 2);
            ++finished;
        } catch (const Cancelled&) {
            ++cancelled;
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back(work, t % 2 == 0);
    for (auto& t : threads) t.join();
    CHECK(cancelled == 2);
    CHECK(finished == 2);
}

TEST_CASE("parallel_ranges covers [0, n) exactly once and rethrows a worker's exception") {
    for (int64_t n : {0, 1, 5, 1000}) {
        for (int threads : {1, 2, 3, 16}) {
            std::vector<std::atomic<int>> seen(static_cast<size_t>(n));
            parallel_ranges(n, threads, [&](int64_t begin, int64_t end, int) {
                for (int64_t i = begin; i < end; ++i) ++seen[static_cast<size_t>(i)];
            });
            bool once = true;
            for (auto& s : seen) once = once && s == 1;
            CAPTURE(n);
            CAPTURE(threads);
            CHECK(once);
        }
    }
    CHECK_THROWS_AS(parallel_ranges(100, 4,
                                    [](int64_t begin, int64_t, int) {
                                        if (begin > 0) throw std::runtime_error("worker failed");
                                    }),
                    std::runtime_error);
}
