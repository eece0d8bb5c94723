// Shared test data: seeded random probabilities and labels, and the
// straightforward (slow, obviously correct) references the kernels must match.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace testdata {

struct Problem {
    int64_t n, k;
    std::vector<int64_t> labels;
    std::vector<float> p;  // row-major n x k, rows sum to about 1
};

inline Problem random_problem(int64_t n, int64_t k, uint32_t seed, bool coarse = false) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> unit(0.0f, 1.0f);
    std::uniform_int_distribution<int64_t> cls(0, k - 1);
    Problem out{n, k, std::vector<int64_t>(static_cast<size_t>(n)), std::vector<float>(static_cast<size_t>(n * k))};
    for (int64_t i = 0; i < n; ++i) {
        float total = 0;
        for (int64_t c = 0; c < k; ++c) {
            float v = unit(rng);
            if (coarse) v = static_cast<float>(static_cast<int>(v * 4)) / 4.0f;  // many exact ties
            out.p[static_cast<size_t>(i * k + c)] = v;
            total += v;
        }
        for (int64_t c = 0; c < k; ++c) {
            auto& v = out.p[static_cast<size_t>(i * k + c)];
            v = total > 0 ? v / total : 1.0f / static_cast<float>(k);
        }
        out.labels[static_cast<size_t>(i)] = cls(rng);
    }
    return out;
}

// Indices 0..n-1 ordered by (key descending, index ascending): the selection order.
template <class Key>
std::vector<int64_t> rank_desc(const std::vector<Key>& keys) {
    std::vector<int64_t> order(keys.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return keys[a] > keys[b]; });
    return order;
}

}  // namespace testdata
