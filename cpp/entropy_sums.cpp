// Per-row sum of xlogy(p, p) for the confidence-weighted-entropy score.
// scipy computes its float32 loop with logf and float16 via float64 (log);
// std::log on float/double calls the same C library functions.
#include <cmath>
#include <vector>

#include "cancel.hpp"
#include "instantiate.hpp"
#include "pairwise_sum.hpp"
#include "primitives.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

template <class T>
void entropy_sums(const T* p, int64_t n, int64_t k, EntropyOf<T>* out, int n_threads) {
    using E = EntropyOf<T>;
    parallel_ranges(n, n_threads, [&](int64_t begin, int64_t end, int) {
        std::vector<E> terms(static_cast<size_t>(k));
        for (int64_t i = begin; i < end; ++i) {
            check_stop_every(i);
            const T* row = p + i * k;
            for (int64_t c = 0; c < k; ++c) {
                const E x = static_cast<E>(FloatType<T>::load(row[c]));
                terms[static_cast<size_t>(c)] = x == E(0) ? E(0) : x * std::log(x);
            }
            out[i] = numpy_sum(terms.data(), k);
        }
    });
}

#define LABELSIEVE_INSTANTIATE(T) template void entropy_sums<T>(const T*, int64_t, int64_t, EntropyOf<T>*, int);
LABELSIEVE_FOR_EACH_FLOAT(LABELSIEVE_INSTANTIATE)

}  // namespace labelsieve
