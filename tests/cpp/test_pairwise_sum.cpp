// pairwise_sum reproduces NumPy's pairwise summation operation for operation.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "pairwise_stream.hpp"
#include "pairwise_sum.hpp"

using labelsieve::numpy_sum;
using labelsieve::numpy_sum_through_buffer;
using labelsieve::pairwise_sum;

namespace {

// A literal transcription of the algorithm in SPEC 0.2 (recursion, 8 partials).
template <class A>
A reference_pairwise(const A* x, int64_t n) {
    if (n < 8) {
        A r = A(-0.0);
        for (int64_t i = 0; i < n; ++i) r += x[i];
        return r;
    }
    if (n <= 128) {
        A a[8];
        for (int j = 0; j < 8; ++j) a[j] = x[j];
        int64_t i = 8;
        while (i < n - (n % 8)) {
            for (int j = 0; j < 8; ++j) a[j] += x[i + j];
            i += 8;
        }
        A r = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
        for (; i < n; ++i) r += x[i];
        return r;
    }
    int64_t m = n / 2;
    m -= m % 8;
    return reference_pairwise(x, m) + reference_pairwise(x + m, n - m);
}

template <class A>
bool same_bits(A a, A b) {
    return std::memcmp(&a, &b, sizeof(A)) == 0;
}

template <class A>
std::vector<A> random_values(int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    std::vector<A> out(static_cast<size_t>(n));
    for (auto& v : out) v = static_cast<A>(dist(rng) * std::pow(10.0, dist(rng) * 6));
    return out;
}

}  // namespace

TEST_CASE_TEMPLATE("pairwise_sum equals the reference bit for bit at every length", A, float, double) {
    const auto values = random_values<A>(3000, 7);
    for (int64_t n = 0; n <= 3000; n += (n < 300 ? 1 : 37)) {
        CAPTURE(n);
        CHECK(same_bits(pairwise_sum(values.data(), n), reference_pairwise(values.data(), n)));
    }
}

TEST_CASE("pairwise_sum differs from a naive loop where NumPy does") {
    // 1e8 + many ones: sequential float addition loses the ones, pairwise keeps many.
    std::vector<float> values(1000, 1.0f);
    values[0] = 1e8f;
    float naive = 0.0f;
    for (float v : values) naive += v;
    CHECK(naive == 1e8f);
    CHECK(pairwise_sum(values.data(), 1000) > 1e8f);
    CHECK(same_bits(pairwise_sum(values.data(), 1000), reference_pairwise(values.data(), 1000)));
}

TEST_CASE("numpy_sum: an empty or all negative-zero input sums to +0") {
    const std::vector<double> zeros(5, -0.0);
    CHECK_FALSE(std::signbit(numpy_sum(zeros.data(), 5)));
    CHECK(std::signbit(pairwise_sum(zeros.data(), 5)));
    CHECK_FALSE(std::signbit(numpy_sum<double>(nullptr, 0)));
}

TEST_CASE("numpy_sum_through_buffer adds 8192-element chunks in order") {
    const auto values = random_values<float>(20000, 3);
    float expected = 0.0f;
    for (int64_t start = 0; start < 20000; start += 8192) {
        expected = expected + reference_pairwise(values.data() + start, std::min<int64_t>(8192, 20000 - start));
    }
    CHECK(same_bits(numpy_sum_through_buffer(values.data(), 20000), expected));
    CHECK(same_bits(numpy_sum_through_buffer(values.data(), 100), 0.0f + reference_pairwise(values.data(), 100)));
}

// Sequences split into ranges at the given positions, streamed range by range
// (each range interleaving its sequences), then joined.
template <class A>
A streamed_total(const std::vector<A>& values, bool buffered, const std::vector<int64_t>& cuts) {
    const int64_t n = static_cast<int64_t>(values.size());
    // Two sequences: the values, and the values reversed (so ranges hold both).
    std::vector<labelsieve::PairwiseLeaves<A>> sequences;
    sequences.emplace_back(labelsieve::PairwiseShape{n, buffered});
    sequences.emplace_back(labelsieve::PairwiseShape{n, buffered});
    std::vector<int64_t> bounds{0};
    for (int64_t cut : cuts) bounds.push_back(cut);
    bounds.push_back(n);
    std::vector<std::vector<labelsieve::LeafFragment<A>>> fragments;
    for (size_t r = 0; r + 1 < bounds.size(); ++r) {
        const int64_t first[2] = {bounds[r], bounds[r]};
        labelsieve::PairwiseRange<A> range(sequences, first);
        for (int64_t i = bounds[r]; i < bounds[r + 1]; ++i) {
            range.push(0, values[static_cast<size_t>(i)]);
            range.push(1, values[static_cast<size_t>(n - 1 - i)]);
        }
        fragments.push_back(range.take_fragments());
    }
    labelsieve::join_fragments(sequences, fragments);
    const std::vector<A> reversed(values.rbegin(), values.rend());
    const A reversed_expected = buffered ? numpy_sum_through_buffer(reversed.data(), n) : numpy_sum(reversed.data(), n);
    CHECK(same_bits(sequences[1].total(), reversed_expected));
    return sequences[0].total();
}

TEST_CASE_TEMPLATE("streamed pairwise sums equal numpy_sum however the sequence is split", A, float, double) {
    std::mt19937 rng(11);
    for (int64_t n : {0, 1, 7, 8, 9, 127, 128, 129, 200, 256, 257, 1000, 8191, 8192, 8193, 20000}) {
        const auto values = random_values<A>(n, static_cast<uint32_t>(n) + 1);
        for (bool buffered : {false, true}) {
            const A expected = buffered ? numpy_sum_through_buffer(values.data(), n) : numpy_sum(values.data(), n);
            for (int trial = 0; trial < 12; ++trial) {
                // 0 to 5 cuts at random positions (repeats make empty ranges), some one value apart.
                std::vector<int64_t> cuts;
                const int n_cuts = trial % 6;
                for (int c = 0; c < n_cuts; ++c) cuts.push_back(n == 0 ? 0 : static_cast<int64_t>(rng() % (n + 1)));
                if (trial >= 6 && n > 1) cuts.push_back(std::min<int64_t>(n, cuts.empty() ? 1 : cuts.back() + 1));
                std::sort(cuts.begin(), cuts.end());
                CAPTURE(n);
                CAPTURE(buffered);
                CAPTURE(trial);
                CHECK(same_bits(streamed_total(values, buffered, cuts), expected));
            }
        }
    }
}
