// pairwise_sum reproduces NumPy's pairwise summation operation for operation.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

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
