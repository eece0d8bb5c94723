// The value at a given rank among many unsigned 64-bit integers, by
// most-significant-digit radix selection: each round counts one 11-bit digit
// (a histogram, no data-dependent branch) and keeps only the values in the
// bucket that holds the rank.  A few streaming passes instead of
// nth_element's compare-and-swap, whose branches on random data are
// mispredicted about half the time; used by TopM to cut big candidate sets.
#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace labelsieve {

namespace detail {
constexpr int kDigitBits = 11;
constexpr size_t kDigitValues = size_t{1} << kDigitBits;
constexpr size_t kSmallEnoughToSort = 256;  // nth_element below this many values
}  // namespace detail

// The value ranked `rank` (0-based) in descending order among values[0, count)
// (rank < count).  `values` is only read.
inline uint64_t largest_at_rank(const uint64_t* values, size_t count, size_t rank) {
    using namespace detail;
    std::vector<uint64_t> bucket;  // the values still in the running, after the first round
    const uint64_t* from = values;
    size_t n = count;
    for (int shift = 64 - kDigitBits; n > kSmallEnoughToSort && shift > -kDigitBits; shift -= kDigitBits) {
        // The last round's digit is the lowest bits (a shift below 0 reads fewer, lower bits).
        const int low = std::max(shift, 0);
        const uint64_t digit_mask = (uint64_t{1} << (kDigitBits + std::min(shift, 0))) - 1;
        std::array<size_t, kDigitValues> histogram{};
        for (size_t i = 0; i < n; ++i) ++histogram[(from[i] >> low) & digit_mask];
        size_t digit = static_cast<size_t>(digit_mask), above = 0;  // walk down from the largest digit
        while (above + histogram[digit] <= rank) above += histogram[digit--];
        rank -= above;
        // Branch-free copy of the bucket's values: every value is written, the
        // position advances only for members (one spare slot takes the rest).
        std::vector<uint64_t> next(histogram[digit] + 1);
        size_t kept = 0;
        for (size_t i = 0; i < n; ++i) {
            next[kept] = from[i];
            kept += ((from[i] >> low) & digit_mask) == digit;
        }
        next.resize(kept);
        bucket.swap(next);
        from = bucket.data();
        n = bucket.size();
    }
    std::vector<uint64_t> rest(from, from + n);
    std::nth_element(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(rank), rest.end(), std::greater<>());
    return rest[rank];
}

}  // namespace labelsieve
