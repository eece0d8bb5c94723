// Score pass for self_confidence / normalized_margin: per row the (optionally
// threshold-adjusted) probability of the given label and the best other one.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include <stdexcept>

#include "cancel.hpp"
#include "instantiate.hpp"
#include "labels.hpp"
#include "pairwise_sum.hpp"
#include "prefetch.hpp"
#include "primitives.hpp"
#include "range_fold.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

namespace {

// Running maximum that, like np.max, returns NaN once any value is NaN.
template <class V>
inline V max_propagating_nan(V current, V value) {
    return (value > current || std::isnan(value)) && !std::isnan(current) ? value : current;
}

}  // namespace

template <class T, class P, class L>
void row_stats(const L* labels, const T* p, int64_t n, int64_t k, const P* shift, const P* shift_max,
               const int64_t* rows, int64_t count, P* out_self, P* out_other, AccOf<T>* out_range, int n_threads) {
    using FT = FloatType<T>;
    using FP = FloatType<P>;
    using PV = ValueOf<P>;
    if (rows == nullptr && count != n) throw std::invalid_argument("row_stats: count must equal n without rows");
    if (rows != nullptr) {
        for (int64_t j = 0; j < count; ++j) {
            if (rows[j] < 0 || rows[j] >= n) throw std::invalid_argument("rows must be in [0, n)");
        }
    }
    LabelGuard guard(k);
    // Output j describes input row rows[j] (or row j when rows is null).
    auto row_of = [rows](int64_t j) { return rows ? rows[j] : j; };
    if (out_range != nullptr && (shift != nullptr || rows != nullptr)) {
        throw std::invalid_argument("row_stats: out_range only without a shift and without rows");
    }
    if (!shift) {
        // Unshifted: plain loads, no NaN possible (inputs are validated finite).
        // With out_range, each block of rows is first folded into the
        // validation extremes (as class_sums does), then read again from cache.
        const int parts = part_count(count, n_threads);
        std::vector<RangeFold<T>> folds(out_range ? static_cast<size_t>(parts) : 0);
        // Self-probabilities of every row: a vector of rows per gather.
        const SimdLevel simd_self = out_other == nullptr && rows == nullptr ? simd_level() : SimdLevel::portable;
        const int64_t block_rows = out_range ? fold_block_rows(k) : count;
        parallel_ranges(count, parts, [&](int64_t begin, int64_t end, int part) {
            for (int64_t block = begin; block < end; block += block_rows) {
                const int64_t block_end = std::min(end, block + block_rows);
                if (out_range) folds[static_cast<size_t>(part)].fold(p + block * k, (block_end - block) * k);
                if constexpr (kSimdBuilt && std::is_same_v<T, P> && !std::is_same_v<T, double>) {
                    if (simd_self != SimdLevel::portable) {
                        if (!self_probs_simd<T, L, T>(simd_self, labels, p, k, block, block_end, out_self + block)) {
                            guard.mark_bad();
                        }
                        continue;
                    }
                }
                for (int64_t j = block; j < block_end; ++j) {
                    check_stop_every(j);
                    const int64_t i = row_of(j);
                    const L y = labels[i];
                    if (!guard.ok(y)) continue;
                    const T* row = p + i * k;
                    const auto own = FT::load(row[y]);
                    out_self[j] = FP::store(static_cast<PV>(own));
                    if (out_other == nullptr) continue;  // self only: one element of the row is read
                    if (!rows) prefetch_stream(row, k);  // every row in address order
                    using TV = std::remove_const_t<decltype(own)>;
                    // With one class there is no other one: NaN (the margin scores need K >= 2).
                    TV other = k > 1 ? FT::load(row[y == 0 ? 1 : 0]) : std::numeric_limits<TV>::quiet_NaN();
                    for (int64_t c = 0; c < k; ++c) {
                        const auto value = FT::load(row[c]);
                        if (c != static_cast<int64_t>(y) && value > other) other = value;
                    }
                    out_other[j] = FP::store(static_cast<PV>(other));
                }
            }
        });
        guard.throw_if_bad();
        if (out_range) store_range(folds, out_range);
        return;
    }
    parallel_ranges(count, n_threads, [&](int64_t begin, int64_t end, int) {
        std::vector<PV> values(static_cast<size_t>(k));
        const PV top = FP::load(*shift_max);
        for (int64_t j = begin; j < end; ++j) {
            check_stop_every(j);
            const int64_t i = row_of(j);
            const L y = labels[i];
            if (!guard.ok(y)) continue;
            const T* row = p + i * k;
            if (!rows) prefetch_stream(row, k);  // every row in address order
            // (p - t) + max(t), then divide by the row's pairwise sum, each step rounded to P.
            for (int64_t c = 0; c < k; ++c) {
                const PV widened = static_cast<PV>(FT::load(row[c]));
                values[c] = FP::round(FP::round(widened - FP::load(shift[c])) + top);
            }
            const PV total = FP::round(numpy_sum(values.data(), k));
            for (int64_t c = 0; c < k; ++c) values[c] = FP::round(values[c] / total);
            // A zero row sum gives NaN, which np.max propagates.
            PV other = k > 1 ? values[y == 0 ? 1 : 0] : std::numeric_limits<PV>::quiet_NaN();
            for (int64_t c = 0; c < k; ++c) {
                if (c != static_cast<int64_t>(y)) other = max_propagating_nan(other, values[c]);
            }
            out_self[j] = FP::store(values[y]);
            out_other[j] = FP::store(other);
        }
    });
    guard.throw_if_bad();
}

#define LABELSIEVE_ROW_STATS(T, P, L) \
    template void row_stats<T, P, L>(const L*, const T*, int64_t, int64_t, const P*, const P*, const int64_t*, int64_t, \
                                     P*, P*, AccOf<T>*, int);
// The work type P is NumPy's promotion of the input type and the thresholds' type.
#define LABELSIEVE_ROW_STATS_FOR_LABEL(L)                                   \
    LABELSIEVE_ROW_STATS(::labelsieve::Half, ::labelsieve::Half, L)         \
    LABELSIEVE_ROW_STATS(::labelsieve::Half, float, L)                      \
    LABELSIEVE_ROW_STATS(::labelsieve::Half, double, L)                     \
    LABELSIEVE_ROW_STATS(float, float, L)                                   \
    LABELSIEVE_ROW_STATS(float, double, L)                                  \
    LABELSIEVE_ROW_STATS(double, double, L)
LABELSIEVE_FOR_EACH_LABEL(LABELSIEVE_ROW_STATS_FOR_LABEL)

}  // namespace labelsieve
