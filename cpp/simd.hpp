// Runtime-dispatched AVX-512 versions of the hottest per-row loops (the joint
// pass, the pruning scan, the self-probability gather); with K <= 16 they take
// sixteen rows at a time, one row per lane.  They compute exactly what the portable
// loops compute (IEEE compares and subtractions are lane-wise identical; the
// float16 rounding uses the hardware's round-to-nearest-even conversion), and
// the tests run both paths: LABELSIEVE_SIMD=off forces the portable code.
#pragma once
#include <cstdint>

#include "float_types.hpp"

// The AVX-512 loops are compiled only where GCC/Clang target attributes exist
// on x86-64; elsewhere (aarch64, MSVC) kAvx512Built is false, callers discard
// the SIMD branch at compile time and the portable loops run (as they do
// when built with -DLABELSIEVE_NO_AVX512).
#if !defined(LABELSIEVE_NO_AVX512) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LABELSIEVE_AVX512_BUILT 1
#define LABELSIEVE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,f16c,popcnt,bmi,bmi2")))
#else
#define LABELSIEVE_AVX512_BUILT 0
#define LABELSIEVE_AVX512
#endif

namespace labelsieve {

inline constexpr bool kAvx512Built = LABELSIEVE_AVX512_BUILT == 1;

// True when this CPU has AVX-512 (F, BW, VL, DQ) and F16C and LABELSIEVE_SIMD is not "off".
bool use_avx512();

// Joint-pass rows [begin, end), adding to the local K x K `joint`; T is float
// or Half.  Returns false if some label was outside [0, k) (that row is skipped).
template <class T, class L>
LABELSIEVE_AVX512 bool joint_rows_avx512(const L* labels, const T* p, int64_t k, const float* cut, bool paper_rule, float boost,
                       int64_t begin, int64_t end, int32_t* out_guess, uint8_t* out_flags, int64_t* joint);

// The pruning scan over rows first, first + stride, ... < last (or, with a
// row_list, over row_list[first], row_list[first + stride], ...): for a row
// with label y, offers sink.offer(y * k + j, key, row) for every j with
// key = T(p[j] - p[y]) >= floors[j], where floors is the sink's dense floor
// row for class y.  Returns false if some label was outside [0, k) (that row
// is skipped).
template <class T, class L, class Sink>
LABELSIEVE_AVX512 bool noise_rate_rows_avx512(const L* labels, const T* p, int64_t k, const uint32_t* row_list,
                                              int64_t first, int64_t last, int64_t stride, Sink& sink);

// out[i - begin] = p[i * k + labels[i]] for rows [begin, end), T float or
// Half; O is T (the stored bits) or float (the exact widened value).  Returns
// false if some label was outside [0, k) (that output is not written).
template <class T, class L, class O>
LABELSIEVE_AVX512 bool self_probs_avx512(const L* labels, const T* p, int64_t k, int64_t begin, int64_t end, O* out);

// Folds p[begin, end) into the running extremes *lo / *hi (T is float or
// Half); returns true if some value was NaN.
template <class T>
LABELSIEVE_AVX512 bool value_range_avx512(const T* p, int64_t begin, int64_t end, float* lo, float* hi);

}  // namespace labelsieve
