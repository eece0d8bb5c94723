// NumPy's pairwise summation, reproduced operation for operation so that
// sums feeding ">=" comparisons equal NumPy's to the last bit (SPEC 0.2).
#pragma once
#include <algorithm>
#include <cstdint>

namespace labelsieve {

template <class A>
A pairwise_sum(const A* values, int64_t n) {
    if (n < 8) {
        A total = A(-0.0);
        for (int64_t i = 0; i < n; ++i) total += values[i];
        return total;
    }
    if (n <= 128) {
        A partial[8];
        for (int j = 0; j < 8; ++j) partial[j] = values[j];
        int64_t i = 8;
        for (; i < n - (n % 8); i += 8) {
            for (int j = 0; j < 8; ++j) partial[j] += values[i + j];
        }
        A total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
                  ((partial[4] + partial[5]) + (partial[6] + partial[7]));
        for (; i < n; ++i) total += values[i];
        return total;
    }
    int64_t half = n / 2;
    half -= half % 8;
    return pairwise_sum(values, half) + pairwise_sum(values + half, n - half);
}

// What np.sum returns: the reduction starts from +0, so an all-(-0) input sums to +0.
template <class A>
A numpy_sum(const A* values, int64_t n) {
    return A(0) + pairwise_sum(values, n);
}

// What np.sum(x, dtype=A) returns when x must be cast first (float16 -> float32,
// as np.mean does for float16): NumPy casts through a buffer of kCastBufferSize
// elements and adds each buffer's pairwise sum to the running total.
constexpr int64_t kCastBufferSize = 8192;  // np.getbufsize() default

template <class A>
A numpy_sum_through_buffer(const A* values, int64_t n) {
    A total = A(0);
    for (int64_t start = 0; start < n; start += kCastBufferSize) {
        total = total + pairwise_sum(values + start, std::min(kCastBufferSize, n - start));
    }
    return total;
}

}  // namespace labelsieve
