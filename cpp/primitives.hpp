// The single-label primitives: with the multi-label ones (multilabel.hpp) the
// only code that reads the N x K probabilities.
// Their exact contract (what each output bit means) is documented once, in
// python/labelsieve/_backend.py; the numba backend implements the same one.
//
// Common arguments: labels[n] (int32_t, int64_t or uint8_t), p[n * k] row-major
// probabilities of type T (Half, float or double), n_threads >= 1.
// Results never depend on n_threads.  Inputs are only read.  A label outside
// [0, k) raises std::invalid_argument (memory safety does not rely on callers).
#pragma once
#include <cstdint>
#include <type_traits>

#include "float_types.hpp"

namespace labelsieve {

// The smallest and largest of `count` probabilities (both NaN if any is NaN).
template <class T>
void value_range(const T* p, int64_t count, AccOf<T>* out, int n_threads);

// out[i] = labels[i] as one byte (k <= 256; L is int32_t or int64_t); false
// when some label lies outside [0, k) (out is then partly written).
template <class L>
bool narrow_labels(const L* labels, int64_t n, int64_t k, uint8_t* out, int n_threads);

// Per-class example counts and NumPy-exact sums of the self-probabilities;
// out_range (nullptr or 2 values) also receives value_range's result.
template <class T, class L>
void class_sums(const L* labels, const T* p, int64_t n, int64_t k, int64_t* out_counts, AccOf<T>* out_sums,
                AccOf<T>* out_range, int n_threads);

// Likely true class per row, the confident-joint counts and per-row flags.
template <class T, class L>
void joint_pass(const L* labels, const T* p, int64_t n, int64_t k, const AccOf<T>* cut, bool paper_rule,
                int32_t* out_guess, int64_t* out_joint, uint8_t* out_flags, int n_threads);

// Self-probability and best other probability per row, optionally after the
// threshold shift (shift == nullptr: none; then P must equal T), for the
// `count` rows listed in `rows` (rows == nullptr: every row, count == n).
// Without a shift, out_other may be nullptr: only the self-probabilities.
// out_range (nullptr, or 2 values; only without shift and rows) also
// receives value_range's result, read in the same pass.
template <class T, class P, class L>
void row_stats(const L* labels, const T* p, int64_t n, int64_t k, const P* shift, const P* shift_max,
               const int64_t* rows, int64_t count, P* out_self, P* out_other, AccOf<T>* out_range, int n_threads);

// scipy's float32 xlogy loop exists, float16 goes through float64.
template <class T>
using EntropyOf = std::conditional_t<std::is_same_v<T, float>, float, double>;

// Per-row sum of xlogy(p, p).
template <class T>
void entropy_sums(const T* p, int64_t n, int64_t k, EntropyOf<T>* out, int n_threads);

// Flag, per given class k and true class j, the prune_counts[j * k_ + k] rows
// with the largest p[:, j] - p[:, k].
template <class T, class L>
void prune_by_noise_rate(const L* labels, const T* p, int64_t n, int64_t k, const int64_t* prune_counts,
                         const uint8_t* class_ok, uint8_t* out_mask, int n_threads);

// Flag, per given class k, the num_per_class[k] rows with the smallest p[:, k].
template <class T, class L>
void prune_by_class(const L* labels, const T* p, int64_t n, int64_t k, const int64_t* num_per_class,
                    uint8_t* out_mask, int n_threads);

// Flag the `count` smallest scores (ties: lower index first; NaN last).
template <class T>
void select_lowest(const T* scores, int64_t n, int64_t count, uint8_t* out_mask, int n_threads);

}  // namespace labelsieve
