// Class pass: counts and NumPy-exact per-class sums of p[i, labels[i]].
// NumPy sums the selected values pairwise in row order, and the pairwise tree
// depends on the class size: the labels are counted first, then each thread
// streams its rows' values through pairwise_stream.hpp (a 128-value buffer
// per class; no O(N) buffer).  float16 values are summed as NumPy's np.mean
// does: cast to float32 in buffers of 8192, pairwise within a buffer,
// buffers added in order.
// With out_range, the same read also folds every value into the validation
// extremes (value_range's result): the rows are read once for both.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "cancel.hpp"
#include "instantiate.hpp"
#include "labels.hpp"
#include "pairwise_stream.hpp"
#include "primitives.hpp"
#include "range_fold.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

template <class T, class L>
void class_sums(const L* labels, const T* p, int64_t n, int64_t k, int64_t* out_counts, AccOf<T>* out_sums,
                AccOf<T>* out_range, int n_threads) {
    using A = AccOf<T>;
    const int parts = part_count(n, n_threads);
    std::vector<int64_t> counts(static_cast<size_t>(parts * k), 0);  // [part][class]
    LabelGuard guard(k);
    const SimdLevel simd = simd_level();
    parallel_ranges(n, parts, [&](int64_t begin, int64_t end, int part) {
        if constexpr (kSimdBuilt && std::is_same_v<L, uint8_t>) {
            if (simd != SimdLevel::portable && k <= kCountByCompareMaxK) {
                constexpr int64_t kLabelsPerCheck = int64_t{1} << 20;  // a stop check per megabyte of labels
                for (int64_t first = begin; first < end; first += kLabelsPerCheck) {
                    check_stop();
                    const int64_t last = std::min(end, first + kLabelsPerCheck);
                    if (!count_byte_labels_simd(simd, labels, first, last, k, counts.data() + part * k)) guard.mark_bad();
                }
                return;
            }
        }
        // Four interleaved histograms: equal labels in a row do not wait on
        // each other's increment.
        constexpr int64_t kWays = 4;
        std::vector<int64_t> ways(static_cast<size_t>(kWays * k), 0);
        int64_t i = begin;
        for (; i + kWays <= end; i += kWays) {
            if (((i - begin) & 0xFFFF) < kWays) check_stop();
            for (int64_t w = 0; w < kWays; ++w) {
                if (guard.ok(labels[i + w])) ++ways[static_cast<size_t>(w * k + static_cast<int64_t>(labels[i + w]))];
            }
        }
        for (; i < end; ++i) {
            if (guard.ok(labels[i])) ++ways[static_cast<size_t>(labels[i])];
        }
        int64_t* local = counts.data() + part * k;
        for (int64_t w = 0; w < kWays; ++w) {
            for (int64_t c = 0; c < k; ++c) local[c] += ways[static_cast<size_t>(w * k + c)];
        }
    });
    guard.throw_if_bad();

    // Where each part's values start in each class's sequence: parts in row order.
    std::vector<int64_t> first_position(static_cast<size_t>(parts * k));
    std::vector<PairwiseLeaves<A>> classes;
    classes.reserve(static_cast<size_t>(k));
    for (int64_t c = 0; c < k; ++c) {
        int64_t position = 0;
        for (int part = 0; part < parts; ++part) {
            first_position[part * k + c] = position;
            position += counts[part * k + c];
        }
        out_counts[c] = position;
        classes.emplace_back(PairwiseShape{position, std::is_same_v<T, Half>});
    }

    std::vector<std::vector<LeafFragment<A>>> fragments(static_cast<size_t>(parts));
    std::vector<RangeFold<T>> folds(out_range ? static_cast<size_t>(parts) : 0);
    // The range fold streams a block in, the gather then finds its rows in cache.
    const int64_t block_rows = fold_block_rows(k);
    parallel_ranges(n, parts, [&](int64_t begin, int64_t end, int part) {
        PairwiseRange<A> sums(classes, first_position.data() + part * k);
        const bool gathers = simd != SimdLevel::portable;
        std::vector<ValueOf<T>> own(gathers ? static_cast<size_t>(std::min(block_rows, end - begin)) : 0);
        for (int64_t block = begin; block < end; block += block_rows) {
            check_stop();
            const int64_t stop = std::min(end, block + block_rows);
            if (out_range) folds[static_cast<size_t>(part)].fold(p + block * k, (stop - block) * k);
            if constexpr (kSimdBuilt && !std::is_same_v<T, double>) {
                if (gathers) {
                    // The block's own values a vector of rows per gather, then summed by class.
                    self_probs_simd<T, L, ValueOf<T>>(simd, labels, p, k, block, stop, own.data());  // labels checked above
                    for (int64_t i = block; i < stop; ++i) {
                        sums.push(static_cast<size_t>(labels[i]), static_cast<A>(own[static_cast<size_t>(i - block)]));
                    }
                    continue;
                }
            }
            for (int64_t i = block; i < stop; ++i) {
                const L y = labels[i];
                sums.push(static_cast<size_t>(y), static_cast<A>(FloatType<T>::load(p[i * k + y])));
            }
        }
        fragments[static_cast<size_t>(part)] = sums.take_fragments();
    });
    if (out_range) store_range(folds, out_range);

    join_fragments(classes, fragments);
    for (int64_t c = 0; c < k; ++c) out_sums[c] = classes[static_cast<size_t>(c)].total();
}

#define LABELSIEVE_INSTANTIATE(T, L) \
    template void class_sums<T, L>(const L*, const T*, int64_t, int64_t, int64_t*, AccOf<T>*, AccOf<T>*, int);
LABELSIEVE_FOR_EACH_FLOAT_AND_LABEL(LABELSIEVE_INSTANTIATE)

}  // namespace labelsieve
