// Validation pass: the smallest and largest probability, in one read of the
// array (NumPy's min and max are two).  NaN anywhere makes both results NaN,
// as np.min/np.max do.
#include <algorithm>
#include <vector>

#include "cancel.hpp"
#include "instantiate.hpp"
#include "primitives.hpp"
#include "range_fold.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

template <class T>
void value_range(const T* p, int64_t count, AccOf<T>* out, int n_threads) {
    constexpr int64_t kBlock = 4096;  // elements between two stop checks
    const int parts = part_count(count, n_threads);
    std::vector<RangeFold<T>> folds(static_cast<size_t>(parts));
    parallel_ranges(count, parts, [&](int64_t begin, int64_t end, int part) {
        for (int64_t block = begin; block < end; block += kBlock) {
            check_stop();
            folds[static_cast<size_t>(part)].fold(p + block, std::min(end, block + kBlock) - block);
        }
    });
    store_range(folds, out);
}

#define LABELSIEVE_INSTANTIATE(T) template void value_range<T>(const T*, int64_t, AccOf<T>*, int);
LABELSIEVE_FOR_EACH_FLOAT(LABELSIEVE_INSTANTIATE)

}  // namespace labelsieve
