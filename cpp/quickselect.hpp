// Partial ordering of unsigned 64-bit integers around one rank, for TopM's
// cuts of packed candidates (a few hundred to a few thousand at a time).
// std::nth_element's partition branches on each compare, and on candidate
// keys those branches are mispredicted about half the time (the cuts were a
// fifth of the 1M x 100 pruning); this quickselect partitions with
// branch-free Lomuto passes instead: every element is stored whichever side
// it belongs to, and only the write position depends on the compare.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace labelsieve {

// Reorder values[0, count) so that values[rank] is the value ranked `rank`
// (0-based) in descending order, no value before it is smaller and none after
// it larger: what std::nth_element(values, values + rank, values + count,
// std::greater<>()) guarantees.  rank < count.
inline void partition_at_rank_descending(uint64_t* values, size_t count, size_t rank) {
    // nth_element finishes ranges this short (8: 1M x 100 pruning 139-142 ms,
    // against 144-148 handing over at 32; 2 and 4 no better than 8).
    constexpr size_t kSmall = 8;
    size_t lo = 0, hi = count;
    // Median-of-three pivots shrink the range geometrically on any data but
    // crafted sequences; past this many rounds nth_element takes over.
    int rounds_left = 64;
    while (hi - lo > kSmall && rounds_left-- > 0) {
        const uint64_t a = values[lo], b = values[lo + (hi - lo) / 2], c = values[hi - 1];
        const uint64_t pivot = std::max(std::min(a, b), std::min(std::max(a, b), c));
        // [lo, above) > pivot, then the rest.
        size_t above = lo;
        for (size_t i = lo; i < hi; ++i) {
            const uint64_t v = values[i];
            values[i] = values[above];
            values[above] = v;
            above += v > pivot;
        }
        if (rank < above) {
            hi = above;
            continue;
        }
        // [above, equal) == pivot, then the values below it.
        size_t equal = above;
        for (size_t i = above; i < hi; ++i) {
            const uint64_t v = values[i];
            values[i] = values[equal];
            values[equal] = v;
            equal += v == pivot;
        }
        if (rank < equal) return;  // values[rank] is the pivot, larger ones before it, smaller after
        lo = equal;
    }
    std::nth_element(values + lo, values + rank, values + hi, std::greater<uint64_t>());
}

}  // namespace labelsieve
