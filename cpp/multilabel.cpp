// The multi-label class pass and joint pass (see multilabel.hpp).
//
// Class pass: NumPy sums each binary problem's two groups pairwise in row
// order, with a tree that depends on the group size.  A first, cheap pass
// over the 0/1 matrix counts the groups; the second reads the probabilities
// once and feeds every value to its group's PairwiseStream, which performs
// NumPy's additions in NumPy's order without buffering the group.  Threads
// take disjoint blocks of classes (each block's streams see rows in order),
// so the result does not depend on the thread count.
//
// Joint pass: row-parallel, thread-local (K, 2, 2) counts merged at the end.
#include "multilabel.hpp"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "cancel.hpp"
#include "multilabel_stream.hpp"
#include "pairwise_sum.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

namespace {

template <class T>
ValueOf<T> complement(ValueOf<T> x) {  // NumPy's `1 - p`, rounded to T
    return FloatType<T>::round(ValueOf<T>(1) - x);
}

}  // namespace

template <class T>
void multilabel_sums(const uint8_t* onehot, const T* p, int64_t n, int64_t k, int64_t* out_counts,
                     AccOf<T>* out_sums, int n_threads) {
    using A = AccOf<T>;
    using F = FloatType<T>;
    const int parts = part_count(n, n_threads);
    std::vector<int64_t> counts(static_cast<size_t>(parts * k), 0);
    parallel_ranges(n, parts, [&](int64_t begin, int64_t end, int part) {
        int64_t* local = counts.data() + part * k;
        for (int64_t i = begin; i < end; ++i) {
            check_stop_every(i);
            const uint8_t* row = onehot + i * k;
            for (int64_t c = 0; c < k; ++c) local[c] += row[c] != 0;
        }
    });
    for (int64_t c = 0; c < k; ++c) {
        int64_t total = 0;
        for (int part = 0; part < parts; ++part) total += counts[part * k + c];
        out_counts[c] = total;
    }

    // float16 is summed as np.mean does it: through float32 buffers of 8192.
    const bool buffered = std::is_same_v<T, Half>;
    const int blocks = part_count(k, n_threads);
    parallel_tasks(blocks, n_threads, [&](int64_t block, int) {
        const int64_t c0 = k * block / blocks, c1 = k * (block + 1) / blocks;
        std::vector<PairwiseStream<A>> negatives(static_cast<size_t>(c1 - c0));
        std::vector<PairwiseStream<A>> positives(static_cast<size_t>(c1 - c0));
        for (int64_t c = c0; c < c1; ++c) {
            const int64_t pos = out_counts[c], neg = n - pos;
            negatives[c - c0].start(neg, buffered ? kCastBufferSize : std::max<int64_t>(neg, 1));
            positives[c - c0].start(pos, buffered ? kCastBufferSize : std::max<int64_t>(pos, 1));
        }
        for (int64_t i = 0; i < n; ++i) {
            check_stop_every(i);
            const T* row = p + i * k;
            const uint8_t* labels = onehot + i * k;
            for (int64_t c = c0; c < c1; ++c) {
                const ValueOf<T> x = F::load(row[c]);
                if (labels[c]) {
                    positives[c - c0].push(static_cast<A>(x));
                } else {
                    negatives[c - c0].push(static_cast<A>(complement<T>(x)));
                }
            }
        }
        for (int64_t c = c0; c < c1; ++c) {
            out_sums[2 * c] = negatives[c - c0].result();
            out_sums[2 * c + 1] = positives[c - c0].result();
        }
    });
}

template <class T>
void multilabel_joint_pass(const uint8_t* onehot, const T* p, int64_t n, int64_t k, const AccOf<T>* cut,
                           int64_t* out_joint, uint8_t* out_codes, int n_threads) {
    using A = AccOf<T>;
    using F = FloatType<T>;
    using V = ValueOf<T>;
    const V boost = F::round(static_cast<V>(1e-6));
    const int parts = part_count(n, n_threads);
    std::vector<std::vector<int64_t>> joints(static_cast<size_t>(parts));
    parallel_ranges(n, parts, [&](int64_t begin, int64_t end, int part) {
        auto& joint = joints[static_cast<size_t>(part)];
        joint.assign(static_cast<size_t>(4 * k), 0);
        for (int64_t i = begin; i < end; ++i) {
            check_stop_every(i);
            const T* row = p + i * k;
            const uint8_t* labels = onehot + i * k;
            uint8_t* codes = out_codes + i * k;
            // Branch-free: the outcomes are data (bit operations), not control flow.
            for (int64_t c = 0; c < k; ++c) {
                const V one = F::load(row[c]);
                const V zero = complement<T>(one);
                const unsigned y = labels[c] != 0;
                const unsigned confident0 = static_cast<A>(zero) >= cut[2 * c];
                const unsigned confident1 = static_cast<A>(one) >= cut[2 * c + 1];
                const unsigned argmax_one = one > zero;
                // two confident sides: the argmax; one: that side
                const unsigned guess_one = confident1 & ((confident0 ^ 1u) | argmax_one);
                const unsigned confident = confident0 | confident1;
                const unsigned reduced_if_one = F::round(one + boost) > zero;
                const unsigned reduced_if_zero = F::round(zero + boost) >= one;
                const unsigned reduced = (y & reduced_if_one) | ((y ^ 1u) & reduced_if_zero);
                codes[c] = static_cast<uint8_t>(confident * kMlConfident | guess_one * kMlGuessOne |
                                                reduced * kMlReduced | argmax_one * kMlArgmaxOne | y * kMlGiven);
                joint[static_cast<size_t>(4 * c + 2 * y + guess_one)] += confident;
            }
        }
    });
    std::fill(out_joint, out_joint + 4 * k, int64_t{0});
    for (const auto& joint : joints) {
        for (int64_t cell = 0; cell < 4 * k; ++cell) out_joint[cell] += joint[static_cast<size_t>(cell)];
    }
}

#define LABELSIEVE_INSTANTIATE(T)                                                                           \
    template void multilabel_sums<T>(const uint8_t*, const T*, int64_t, int64_t, int64_t*, AccOf<T>*, int); \
    template void multilabel_joint_pass<T>(const uint8_t*, const T*, int64_t, int64_t, const AccOf<T>*,     \
                                           int64_t*, uint8_t*, int);
LABELSIEVE_INSTANTIATE(Half)
LABELSIEVE_INSTANTIATE(float)
LABELSIEVE_INSTANTIATE(double)
#undef LABELSIEVE_INSTANTIATE

}  // namespace labelsieve
