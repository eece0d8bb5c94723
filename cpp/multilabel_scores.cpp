// Multi-label label-quality scores with the exponential-moving-average
// aggregator, fused: per row the K binary scores are formed, sorted and
// aggregated in registers/a small buffer, so no N x K float64 matrix is made.
// Same float64 operations, in the same order, as the NumPy formulation.
#include <algorithm>
#include <vector>

#include "cancel.hpp"
#include "multilabel.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

namespace {

// Few classes: odd-even transposition sort, branch-free compare-exchanges
// (the comparisons of an insertion sort on random scores mispredict often).
// Equal values are interchangeable here (the inputs have no NaN).
void sort_ascending(double* v, int64_t k) {
    if (k > 32) {
        std::sort(v, v + k);
        return;
    }
    for (int64_t round = 0; round < k; ++round) {
        for (int64_t j = round & 1; j + 1 < k; j += 2) {
            const double a = v[j], b = v[j + 1];
            v[j] = std::min(a, b);
            v[j + 1] = std::max(a, b);
        }
    }
}

}  // namespace

template <class T>
void multilabel_ema_scores(const uint8_t* onehot, const T* p, int64_t n, int64_t k, bool margin, double alpha,
                           double* out, int n_threads) {
    using F = FloatType<T>;
    using V = ValueOf<T>;
    const double keep = 1.0 - alpha;
    const int parts = part_count(n, n_threads);
    parallel_ranges(n, parts, [&](int64_t begin, int64_t end, int) {
        std::vector<double> scores(static_cast<size_t>(k));
        for (int64_t i = begin; i < end; ++i) {
            check_stop_every(i);
            const T* row = p + i * k;
            const uint8_t* labels = onehot + i * k;
            for (int64_t c = 0; c < k; ++c) {
                const V one = F::load(row[c]);
                const V zero = F::round(V(1) - one);
                const bool y = labels[c] != 0;
                const V own = y ? one : zero;
                V score = own;
                if (margin) score = F::round(F::round(F::round(own - (y ? zero : one)) + V(1)) / V(2));
                scores[static_cast<size_t>(c)] = static_cast<double>(score);
            }
            sort_ascending(scores.data(), k);
            double ema = scores[static_cast<size_t>(k - 1)];  // the largest first
            for (int64_t t = k - 2; t >= 0; --t) ema = alpha * scores[static_cast<size_t>(t)] + keep * ema;
            out[i] = ema;
        }
    });
}

#define LABELSIEVE_INSTANTIATE(T)                                                                             \
    template void multilabel_ema_scores<T>(const uint8_t*, const T*, int64_t, int64_t, bool, double, double*, \
                                           int);
LABELSIEVE_INSTANTIATE(Half)
LABELSIEVE_INSTANTIATE(float)
LABELSIEVE_INSTANTIATE(double)
#undef LABELSIEVE_INSTANTIATE

}  // namespace labelsieve
