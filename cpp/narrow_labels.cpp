// Labels checked and narrowed to one byte in one threaded read (for the calls
// that read them in several passes): NumPy needs two reads of int64 labels,
// the range check and the astype, on one thread.
#include <atomic>
#include <cstdint>

#include "labels.hpp"
#include "primitives.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

template <class L>
bool narrow_labels(const L* labels, int64_t n, int64_t k, uint8_t* out, int n_threads) {
    const SimdLevel simd = simd_level();
    std::atomic<bool> all_in_range{true};
    parallel_ranges(n, n_threads, [&](int64_t begin, int64_t end, int) {
        auto narrow = [&]() -> bool {
            if constexpr (kSimdBuilt) {
                if (simd != SimdLevel::portable) return narrow_labels_simd<L>(simd, labels, begin, end, k, out);
            }
            return narrow_label_block(labels, begin, end, k, out);
        };
        if (!narrow()) all_in_range.store(false, std::memory_order_relaxed);
    });
    return all_in_range.load();
}

template bool narrow_labels<int32_t>(const int32_t*, int64_t, int64_t, uint8_t*, int);
template bool narrow_labels<int64_t>(const int64_t*, int64_t, int64_t, uint8_t*, int);

}  // namespace labelsieve
