// Validation pass: the smallest and largest probability, in one read of the
// array (NumPy's min and max are two).  NaN anywhere makes both results NaN,
// as np.min/np.max do.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "cancel.hpp"
#include "instantiate.hpp"
#include "primitives.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

template <class T>
void value_range(const T* p, int64_t count, AccOf<T>* out, int n_threads) {
    using V = ValueOf<T>;
    using A = AccOf<T>;
    constexpr int64_t kBlock = 4096;  // elements per inner loop: vectorisable, with a stop check per block
    const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n_threads, count)));
    std::vector<V> lows(static_cast<size_t>(parts)), highs(static_cast<size_t>(parts));
    std::vector<char> saw_nan(static_cast<size_t>(parts), 0);
    parallel_ranges(count, parts, [&](int64_t begin, int64_t end, int part) {
        // kLanes independent running extremes: element-wise selects the
        // compiler vectorises (a single running min is a serial dependency).
        constexpr int kLanes = 16;
        V lo[kLanes], hi[kLanes];
        int nan[kLanes];
        for (int j = 0; j < kLanes; ++j) {
            lo[j] = std::numeric_limits<V>::infinity();
            hi[j] = -std::numeric_limits<V>::infinity();
            nan[j] = 0;
        }
        const bool simd = use_avx512();
        for (int64_t block = begin; block < end; block += kBlock) {
            check_stop();
            const int64_t stop = std::min(end, block + kBlock);
            if constexpr (kAvx512Built && !std::is_same_v<T, double>) {
                if (simd) {
                    nan[0] |= static_cast<int>(value_range_avx512<T>(p, block, stop, &lo[0], &hi[0]));
                    continue;
                }
            }
            int64_t i = block;
            for (; i + kLanes <= stop; i += kLanes) {
                for (int j = 0; j < kLanes; ++j) {
                    const V x = FloatType<T>::load(p[i + j]);
                    lo[j] = x < lo[j] ? x : lo[j];
                    hi[j] = x > hi[j] ? x : hi[j];
                    nan[j] |= x != x;
                }
            }
            for (; i < stop; ++i) {
                const V x = FloatType<T>::load(p[i]);
                lo[0] = x < lo[0] ? x : lo[0];
                hi[0] = x > hi[0] ? x : hi[0];
                nan[0] |= x != x;
            }
        }
        V part_lo = lo[0], part_hi = hi[0];
        int part_nan = nan[0];
        for (int j = 1; j < kLanes; ++j) {
            part_lo = lo[j] < part_lo ? lo[j] : part_lo;
            part_hi = hi[j] > part_hi ? hi[j] : part_hi;
            part_nan |= nan[j];
        }
        lows[static_cast<size_t>(part)] = part_lo;
        highs[static_cast<size_t>(part)] = part_hi;
        saw_nan[static_cast<size_t>(part)] = static_cast<char>(part_nan != 0);
    });
    V lo = lows[0], hi = highs[0];
    bool nan = saw_nan[0] != 0;
    for (int part = 1; part < parts; ++part) {
        lo = lows[static_cast<size_t>(part)] < lo ? lows[static_cast<size_t>(part)] : lo;
        hi = highs[static_cast<size_t>(part)] > hi ? highs[static_cast<size_t>(part)] : hi;
        nan = nan || saw_nan[static_cast<size_t>(part)] != 0;
    }
    out[0] = nan ? std::numeric_limits<A>::quiet_NaN() : static_cast<A>(lo);
    out[1] = nan ? std::numeric_limits<A>::quiet_NaN() : static_cast<A>(hi);
}

#define LABELSIEVE_INSTANTIATE(T) template void value_range<T>(const T*, int64_t, AccOf<T>*, int);
LABELSIEVE_FOR_EACH_FLOAT(LABELSIEVE_INSTANTIATE)

}  // namespace labelsieve
