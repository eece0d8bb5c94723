// Multi-label label-quality scores with the exponential-moving-average
// aggregator, fused: per row the K binary scores are formed, sorted and
// aggregated in registers/a small buffer, so no N x K float64 matrix is made.
// Same float64 operations, in the same order, as the NumPy formulation.
#include <algorithm>
#include <functional>
#include <vector>

#include "cancel.hpp"
#include "multilabel.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

template <class T>
void multilabel_ema_scores(const uint8_t* onehot, const T* p, int64_t n, int64_t k, bool margin, double alpha,
                           double* out, int n_threads) {
    using F = FloatType<T>;
    using V = ValueOf<T>;
    const double keep = 1.0 - alpha;
    const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n_threads, n)));
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
            std::sort(scores.begin(), scores.end(), std::greater<double>());
            double ema = scores[0];
            for (int64_t t = 1; t < k; ++t) ema = alpha * scores[static_cast<size_t>(t)] + keep * ema;
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
