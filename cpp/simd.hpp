// Runtime-dispatched SIMD versions of the hottest per-row loops (the joint
// pass, the pruning scan, the self-probability gather, the value range), for
// AVX-512 (sixteen lanes) and AVX2 (eight lanes).  Both are compiled from one
// source, simd_kernels.inc, over each instruction set's lane operations
// (simd_lanes_avx512.hpp, simd_lanes_avx2.hpp); with K <= 16 they take one row
// per lane.  They compute exactly what the portable loops compute (IEEE
// compares and subtractions are lane-wise identical; the float16 rounding uses
// the hardware's round-to-nearest-even conversion), and the tests run all
// three: LABELSIEVE_SIMD=off forces the portable code, LABELSIEVE_SIMD=avx2
// the AVX2 loops on an AVX-512 machine.
#pragma once
#include <cstdint>

#include "float_types.hpp"

// The SIMD loops are compiled only where GCC/Clang target attributes exist on
// x86-64; elsewhere (aarch64, MSVC) kSimdBuilt is false, callers discard the
// SIMD branch at compile time and the portable loops run (as they do when
// built with -DLABELSIEVE_NO_SIMD).  Never -march: each loop carries its own target.
#if !defined(LABELSIEVE_NO_SIMD) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LABELSIEVE_SIMD_BUILT 1
#define LABELSIEVE_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,f16c,popcnt,bmi,bmi2")))
#define LABELSIEVE_AVX2 __attribute__((target("avx2,f16c,popcnt,bmi,bmi2")))
#else
#define LABELSIEVE_SIMD_BUILT 0
#define LABELSIEVE_AVX512
#define LABELSIEVE_AVX2
#endif

namespace labelsieve {

inline constexpr bool kSimdBuilt = LABELSIEVE_SIMD_BUILT == 1;

// Classes up to which count_byte_labels counts by compares (beyond, a histogram is cheaper).
inline constexpr int64_t kCountByCompareMaxK = 32;

enum class SimdLevel { portable, avx2, avx512 };

// The widest loops this CPU runs: avx512 needs AVX-512 F/BW/VL/DQ, avx2 needs
// AVX2, F16C, BMI1/2 and POPCNT.  LABELSIEVE_SIMD=off gives portable,
// LABELSIEVE_SIMD=avx2 at most avx2.
SimdLevel simd_level();


// Each instruction set's loops (namespaces avx512 and avx2), the same ones:
//
// joint_rows: joint-pass rows [begin, end), adding to the local K x K + 1
// `joint` (the last cell counts rows without a guess); T is float or Half.
//
// noise_rate_rows: the pruning scan over rows first, first + stride, ... <
// last (or, with a row_list, over row_list[first], row_list[first + stride],
// ..., rows that all have the label list_label): for a row with label y,
// offers sink.offer(y * k + j, key, row) for every j with
// key = T(p[j] - p[y]) >= floors[j], where floors is the sink's dense floor
// row for class y.
//
// self_probs: out[i - begin] = p[i * k + labels[i]] for rows [begin, end);
// O is T (the stored bits) or float (the exact widened value).
//
// These three return false if some label was outside [0, k) (that row is
// skipped).  value_range folds p[begin, end) into the running extremes *lo /
// *hi and returns true if some value was NaN.  narrow_labels is
// narrow_label_block (labels.hpp) compiled for the instruction set.
// count_byte_labels adds to counts[c] the one-byte labels [begin, end) equal
// to c, for k <= kCountByCompareMaxK, by one compare and popcount per class
// per vector of labels (a histogram's increments of one class wait on each
// other); false if some label was >= k (not counted).
#define LABELSIEVE_DECLARE_SIMD_LOOPS(TARGET)                                                                          \
    template <class T, class L>                                                                                        \
    TARGET bool joint_rows(const L* labels, const T* p, int64_t k, const float* cut, bool paper_rule, float boost,     \
                           int64_t begin, int64_t end, int32_t* out_guess, uint8_t* out_flags, int64_t* joint);        \
    template <class T, class L, class Sink>                                                                            \
    TARGET bool noise_rate_rows(const L* labels, const T* p, int64_t k, const uint32_t* row_list, int64_t list_label,  \
                                int64_t first, int64_t last, int64_t stride, Sink& sink);                              \
    template <class T, class L, class O>                                                                               \
    TARGET bool self_probs(const L* labels, const T* p, int64_t k, int64_t begin, int64_t end, O* out);                \
    template <class T>                                                                                                 \
    TARGET bool value_range(const T* p, int64_t begin, int64_t end, float* lo, float* hi);                             \
    template <class L>                                                                                                 \
    TARGET bool narrow_labels(const L* labels, int64_t begin, int64_t end, int64_t k, uint8_t* out);                  \
    TARGET bool count_byte_labels(const uint8_t* labels, int64_t begin, int64_t end, int64_t k, int64_t* counts);

namespace avx512 {
LABELSIEVE_DECLARE_SIMD_LOOPS(LABELSIEVE_AVX512)
}
namespace avx2 {
LABELSIEVE_DECLARE_SIMD_LOOPS(LABELSIEVE_AVX2)
}
#undef LABELSIEVE_DECLARE_SIMD_LOOPS

// The loops of `level` (avx2 or avx512).
template <class T, class L>
bool joint_rows_simd(SimdLevel level, const L* labels, const T* p, int64_t k, const float* cut, bool paper_rule,
                     float boost, int64_t begin, int64_t end, int32_t* out_guess, uint8_t* out_flags, int64_t* joint) {
    return level == SimdLevel::avx512
               ? avx512::joint_rows<T, L>(labels, p, k, cut, paper_rule, boost, begin, end, out_guess, out_flags, joint)
               : avx2::joint_rows<T, L>(labels, p, k, cut, paper_rule, boost, begin, end, out_guess, out_flags, joint);
}

template <class T, class L, class Sink>
bool noise_rate_rows_simd(SimdLevel level, const L* labels, const T* p, int64_t k, const uint32_t* row_list,
                          int64_t list_label, int64_t first, int64_t last, int64_t stride, Sink& sink) {
    return level == SimdLevel::avx512
               ? avx512::noise_rate_rows<T, L, Sink>(labels, p, k, row_list, list_label, first, last, stride, sink)
               : avx2::noise_rate_rows<T, L, Sink>(labels, p, k, row_list, list_label, first, last, stride, sink);
}

template <class T, class L, class O>
bool self_probs_simd(SimdLevel level, const L* labels, const T* p, int64_t k, int64_t begin, int64_t end, O* out) {
    return level == SimdLevel::avx512 ? avx512::self_probs<T, L, O>(labels, p, k, begin, end, out)
                                      : avx2::self_probs<T, L, O>(labels, p, k, begin, end, out);
}

template <class T>
bool value_range_simd(SimdLevel level, const T* p, int64_t begin, int64_t end, float* lo, float* hi) {
    return level == SimdLevel::avx512 ? avx512::value_range<T>(p, begin, end, lo, hi)
                                      : avx2::value_range<T>(p, begin, end, lo, hi);
}

template <class L>
bool narrow_labels_simd(SimdLevel level, const L* labels, int64_t begin, int64_t end, int64_t k, uint8_t* out) {
    return level == SimdLevel::avx512 ? avx512::narrow_labels<L>(labels, begin, end, k, out)
                                      : avx2::narrow_labels<L>(labels, begin, end, k, out);
}

inline bool count_byte_labels_simd(SimdLevel level, const uint8_t* labels, int64_t begin, int64_t end, int64_t k,
                                  int64_t* counts) {
    return level == SimdLevel::avx512 ? avx512::count_byte_labels(labels, begin, end, k, counts)
                                      : avx2::count_byte_labels(labels, begin, end, k, counts);
}

}  // namespace labelsieve
