// Running extremes of probability values (the validation check), shared by
// the value_range pass and the class pass that validates while it gathers.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "float_types.hpp"
#include "simd.hpp"

namespace labelsieve {

template <class T>
class RangeFold {
public:
    using V = ValueOf<T>;

    RangeFold() {
        for (int j = 0; j < kLanes; ++j) {
            lo_[j] = std::numeric_limits<V>::infinity();
            hi_[j] = -std::numeric_limits<V>::infinity();
            nan_[j] = 0;
        }
    }

    // Folds the `count` contiguous values at p.
    void fold(const T* p, int64_t count) {
        if constexpr (kSimdBuilt && !std::is_same_v<T, double>) {
            if (simd_ != SimdLevel::portable) {
                nan_[0] |= static_cast<int>(value_range_simd<T>(simd_, p, 0, count, &lo_[0], &hi_[0]));
                return;
            }
        }
        int64_t i = 0;
        // kLanes independent running extremes: element-wise selects the
        // compiler vectorises (a single running min is a serial dependency).
        for (; i + kLanes <= count; i += kLanes) {
            for (int j = 0; j < kLanes; ++j) {
                const V x = FloatType<T>::load(p[i + j]);
                lo_[j] = x < lo_[j] ? x : lo_[j];
                hi_[j] = x > hi_[j] ? x : hi_[j];
                nan_[j] |= x != x;
            }
        }
        for (; i < count; ++i) {
            const V x = FloatType<T>::load(p[i]);
            lo_[0] = x < lo_[0] ? x : lo_[0];
            hi_[0] = x > hi_[0] ? x : hi_[0];
            nan_[0] |= x != x;
        }
    }

    // Combines this worker's extremes into (lo, hi, saw_nan).
    void finish(V& lo, V& hi, bool& saw_nan) const {
        lo = lo_[0];
        hi = hi_[0];
        int nan = nan_[0];
        for (int j = 1; j < kLanes; ++j) {
            lo = lo_[j] < lo ? lo_[j] : lo;
            hi = hi_[j] > hi ? hi_[j] : hi;
            nan |= nan_[j];
        }
        saw_nan = nan != 0;
    }

private:
    static constexpr int kLanes = 16;
    V lo_[kLanes], hi_[kLanes];
    int nan_[kLanes];
    SimdLevel simd_ = simd_level();
};

// Per-worker extremes -> out[0] = min, out[1] = max (both NaN if any value was NaN).
template <class T>
struct RangeResult {
    ValueOf<T> lo = std::numeric_limits<ValueOf<T>>::infinity();
    ValueOf<T> hi = -std::numeric_limits<ValueOf<T>>::infinity();
    bool nan = false;

    void merge(const RangeFold<T>& part) {
        ValueOf<T> part_lo, part_hi;
        bool part_nan;
        part.finish(part_lo, part_hi, part_nan);
        lo = part_lo < lo ? part_lo : lo;
        hi = part_hi > hi ? part_hi : hi;
        nan = nan || part_nan;
    }

    void store(AccOf<T>* out) const {
        out[0] = nan ? std::numeric_limits<AccOf<T>>::quiet_NaN() : static_cast<AccOf<T>>(lo);
        out[1] = nan ? std::numeric_limits<AccOf<T>>::quiet_NaN() : static_cast<AccOf<T>>(hi);
    }
};

// Every worker's extremes merged and stored in out (see RangeResult::store).
template <class T>
void store_range(const std::vector<RangeFold<T>>& folds, AccOf<T>* out) {
    RangeResult<T> range;
    for (const auto& fold : folds) range.merge(fold);
    range.store(out);
}

// Rows per block for a pass that folds a block into the extremes and then
// reads it again: about 32K values, so the second read finds them in cache.
inline int64_t fold_block_rows(int64_t k) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(k, 1)); }

}  // namespace labelsieve
