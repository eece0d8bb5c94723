// class_sums and joint_pass against straightforward references, for several
// thread counts, and bad labels rejected without out-of-bounds access.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "helpers.hpp"
#include "pairwise_sum.hpp"
#include "primitives.hpp"
#include "simd.hpp"

using namespace labelsieve;

TEST_CASE("class_sums: counts and NumPy-exact per-class sums, any thread count") {
    for (int64_t n : {1, 7, 130, 5000, 70000}) {
        const auto d = testdata::random_problem(n, 5, static_cast<uint32_t>(n));
        std::vector<int64_t> want_counts(5, 0);
        std::vector<float> want_sums(5);
        for (int64_t c = 0; c < 5; ++c) {
            std::vector<float> column;
            for (int64_t i = 0; i < n; ++i) {
                if (d.labels[i] == c) column.push_back(d.p[i * 5 + c]);
            }
            want_counts[c] = static_cast<int64_t>(column.size());
            want_sums[c] = numpy_sum(column.data(), static_cast<int64_t>(column.size()));
        }
        for (int threads : {1, 2, 3, 8}) {
            CAPTURE(n);
            CAPTURE(threads);
            std::vector<int64_t> counts(5, -1);
            std::vector<float> sums(5, -1.0f);
            float range[2] = {-1.0f, -1.0f}, want_range[2];
            class_sums<float, int64_t>(d.labels.data(), d.p.data(), n, 5, counts.data(), sums.data(), range, threads);
            CHECK(counts == want_counts);
            CHECK(std::memcmp(sums.data(), want_sums.data(), sizeof(float) * 5) == 0);
            // The fused validation extremes are value_range's.
            value_range<float>(d.p.data(), n * 5, want_range, 1);
            CHECK(range[0] == want_range[0]);
            CHECK(range[1] == want_range[1]);
            std::vector<float> sums_alone(5, -1.0f);
            class_sums<float, int64_t>(d.labels.data(), d.p.data(), n, 5, counts.data(), sums_alone.data(), nullptr,
                                       threads);
            CHECK(sums_alone == sums);
        }
    }
}

TEST_CASE("joint_pass: guesses, joint and flags match the definition") {
    const int64_t n = 3000, k = 4;
    const auto d = testdata::random_problem(n, k, 11, /*coarse=*/true);
    const std::vector<float> cut = {0.3f, 0.25f, 0.2f, 0.5f};
    for (bool paper : {false, true}) {
        std::vector<int32_t> want_guess(n);
        std::vector<int64_t> want_joint(k * k, 0);
        std::vector<uint8_t> want_flags(n);
        for (int64_t i = 0; i < n; ++i) {
            const float* row = &d.p[i * k];
            int count = 0, only = -1, best = 0, best_confident = -1;
            for (int64_t c = 0; c < k; ++c) {
                if (row[c] > row[best]) best = static_cast<int>(c);
                if (row[c] >= cut[c]) {
                    ++count;
                    only = static_cast<int>(c);
                    if (best_confident < 0 || row[c] > row[best_confident]) best_confident = static_cast<int>(c);
                }
            }
            want_guess[i] = count == 0 ? -1 : count == 1 ? only : (paper ? best_confident : best);
            const int64_t y = d.labels[i];
            if (want_guess[i] >= 0) ++want_joint[y * k + want_guess[i]];
            const float boosted = row[y] + 1e-6f;
            bool top = true;
            for (int64_t c = 0; c < k; ++c) {
                if ((c < y && !(boosted > row[c])) || (c > y && !(boosted >= row[c]))) top = false;
            }
            want_flags[i] = static_cast<uint8_t>((top ? 1 : 0) | (best == y ? 2 : 0));
        }
        for (int threads : {1, 2, 5}) {
            CAPTURE(paper);
            CAPTURE(threads);
            std::vector<int32_t> guess(n, 99);
            std::vector<int64_t> joint(k * k, 0);
            std::vector<uint8_t> flags(n, 99);
            joint_pass<float, int64_t>(d.labels.data(), d.p.data(), n, k, cut.data(), paper, guess.data(), joint.data(),
                                       flags.data(), threads);
            CHECK(guess == want_guess);
            CHECK(joint == want_joint);
            CHECK(flags == want_flags);
            // Counts only: no per-row output written, the same counts.
            std::vector<int64_t> counts_only(k * k, 0);
            joint_pass<float, int64_t>(d.labels.data(), d.p.data(), n, k, cut.data(), paper, nullptr,
                                       counts_only.data(), nullptr, threads);
            CHECK(counts_only == want_joint);
        }
    }
}

TEST_CASE_TEMPLATE("a label outside [0, K) throws instead of indexing out of bounds", L, int32_t, int64_t) {
    const int64_t n = 200, k = 3;
    const auto d = testdata::random_problem(n, k, 5);
    const L bad_values[] = {static_cast<L>(-1), static_cast<L>(k), std::numeric_limits<L>::max(),
                            std::numeric_limits<L>::min()};
    for (L bad : bad_values) {
        for (int64_t where : {int64_t{0}, n / 2, n - 1}) {
            CAPTURE(where);
            std::vector<L> labels(d.labels.begin(), d.labels.end());
            labels[where] = bad;
            std::vector<int64_t> counts(k);
            std::vector<float> sums(k);
            CHECK_THROWS_AS((class_sums<float, L>(labels.data(), d.p.data(), n, k, counts.data(), sums.data(), nullptr, 2)),
                            std::invalid_argument);
            std::vector<int32_t> guess(n);
            std::vector<int64_t> joint(k * k, 0);
            std::vector<uint8_t> flags(n);
            const std::vector<float> cut(k, 0.2f);
            CHECK_THROWS_AS((joint_pass<float, L>(labels.data(), d.p.data(), n, k, cut.data(), false, guess.data(),
                                                  joint.data(), flags.data(), 2)),
                            std::invalid_argument);
            std::vector<uint8_t> mask(n, 0);
            const std::vector<int64_t> num(k, 5);
            CHECK_THROWS_AS((prune_by_class<float, L>(labels.data(), d.p.data(), n, k, num.data(), mask.data(), 2)),
                            std::invalid_argument);
            const std::vector<int64_t> counts_kk(k * k, 3);
            const std::vector<uint8_t> ok(k, 1);
            CHECK_THROWS_AS((prune_by_noise_rate<float, L>(labels.data(), d.p.data(), n, k, counts_kk.data(), ok.data(),
                                                           mask.data(), 2)),
                            std::invalid_argument);
        }
    }
}

TEST_CASE("class_sums counts one-byte labels by compares: every length around a vector, bad labels anywhere") {
    // The counting compares a whole vector of labels per class (up to
    // kCountByCompareMaxK classes) and finishes the tail one by one.
    std::mt19937 rng(3);
    for (const int64_t k : {int64_t{1}, int64_t{2}, int64_t{10}, kCountByCompareMaxK, kCountByCompareMaxK + 1}) {
        for (const int64_t n : {int64_t{1}, int64_t{31}, int64_t{32}, int64_t{63}, int64_t{64}, int64_t{65},
                                int64_t{129}, int64_t{1000}}) {
            std::vector<uint8_t> labels(static_cast<size_t>(n));
            for (auto& label : labels) label = static_cast<uint8_t>(rng() % static_cast<uint32_t>(k));
            std::vector<int64_t> want(static_cast<size_t>(k), 0);
            for (uint8_t label : labels) ++want[label];
            const std::vector<float> p(static_cast<size_t>(n * k), 1.0f / static_cast<float>(k));
            for (int threads : {1, 3}) {
                CAPTURE(k);
                CAPTURE(n);
                CAPTURE(threads);
                std::vector<int64_t> counts(static_cast<size_t>(k));
                std::vector<float> sums(static_cast<size_t>(k));
                class_sums<float, uint8_t>(labels.data(), p.data(), n, k, counts.data(), sums.data(), nullptr, threads);
                CHECK(counts == want);
                for (const int64_t where : {int64_t{0}, n / 2, n - 1}) {
                    for (const uint8_t bad : {static_cast<uint8_t>(k), uint8_t{255}}) {
                        if (k >= 255) continue;
                        std::vector<uint8_t> wrong(labels);
                        wrong[static_cast<size_t>(where)] = bad;
                        CAPTURE(where);
                        CAPTURE(int{bad});
                        CHECK_THROWS_AS((class_sums<float, uint8_t>(wrong.data(), p.data(), n, k, counts.data(),
                                                                    sums.data(), nullptr, threads)),
                                        std::invalid_argument);
                    }
                }
            }
        }
    }
}

TEST_CASE("value_range: min and max, NaN propagates") {
    std::vector<double> values = {0.5, 0.25, 1.0, 0.0, 0.75};
    double out[2];
    value_range<double>(values.data(), 5, out, 2);
    CHECK(out[0] == 0.0);
    CHECK(out[1] == 1.0);
    values[3] = std::numeric_limits<double>::quiet_NaN();
    value_range<double>(values.data(), 5, out, 2);
    CHECK(std::isnan(out[0]));
    CHECK(std::isnan(out[1]));
}

TEST_CASE("joint_pass stays in bounds on NaN rows (outside the contract, but memory-safe)") {
    const int64_t n = 64;
    for (int64_t k : {3, 17, 40}) {
        std::vector<float> p(static_cast<size_t>(n * k), 0.6f);
        for (int64_t i = 0; i < n; i += 2) p[i * k + 1] = std::numeric_limits<float>::quiet_NaN();
        const std::vector<int64_t> labels(n, 0);
        const std::vector<float> cut(k, 0.5f);
        std::vector<int32_t> guess(n);
        std::vector<int64_t> joint(k * k, 0);
        std::vector<uint8_t> flags(n);
        joint_pass<float, int64_t>(labels.data(), p.data(), n, k, cut.data(), false, guess.data(), joint.data(),
                                   flags.data(), 2);
        int64_t with_guess = 0;
        for (int32_t g : guess) {
            CHECK(g >= -1);
            CHECK(g < k);
            with_guess += g >= 0;
        }
        int64_t total = 0;
        for (int64_t v : joint) total += v;
        CHECK(total == with_guess);
    }
}
