// Multi-label primitives: K one-vs-rest binary problems (class c against the
// rest, probabilities [1 - p[:, c], p[:, c]], label onehot[:, c]) solved
// together in one read of the N x K rows.  Contract in
// python/labelsieve/_backend.py (multilabel_sums, multilabel_joint_pass).
#pragma once
#include <cstdint>

#include "float_types.hpp"

namespace labelsieve {

// Bits of a (row, class) code written by multilabel_joint_pass.
constexpr uint8_t kMlConfident = 1;   // at least one side reaches its threshold
constexpr uint8_t kMlGuessOne = 2;    // the likely true binary label is 1
constexpr uint8_t kMlReduced = 4;     // given side, boosted by 1e-6, is the first argmax
constexpr uint8_t kMlArgmaxOne = 8;   // p > 1 - p (first argmax of the binary row is 1)
constexpr uint8_t kMlGiven = 16;      // the example has the class (onehot != 0)

// counts[c] = #positives of class c; sums[c][0] / sums[c][1] = NumPy's sum of
// (1 - p) over the negatives / of p over the positives, ascending rows.
template <class T>
void multilabel_sums(const uint8_t* onehot, const T* p, int64_t n, int64_t k, int64_t* out_counts,
                     AccOf<T>* out_sums, int n_threads);

// Per (row, class): the binary confident-joint guess and flags (codes[n][k]),
// and the (K, 2, 2) counts joint[c][given][guess] (no diagonal floor).
template <class T>
void multilabel_joint_pass(const uint8_t* onehot, const T* p, int64_t n, int64_t k, const AccOf<T>* cut,
                           int64_t* out_joint, uint8_t* out_codes, int n_threads);

}  // namespace labelsieve

namespace labelsieve {

// Per class c and given side y (cell 2c + y, size sizes[2c + y]): among the
// rows with onehot[i][c] == y, the top sizes[2c + y] by (key desc, row asc)
// with key = T(q_other - q_own) (by_margin: the prune_by_noise_rate order) or
// -q_own (prune_by_class), where q = (T(1 - p[i][c]), p[i][c]).
// out_mask[i * k + c] = 1 on the selected (row, class) pairs.
template <class T>
void multilabel_select(const uint8_t* onehot, const T* p, int64_t n, int64_t k, const int64_t* sizes,
                       bool by_margin, uint8_t* out_mask, int n_threads);

}  // namespace labelsieve

namespace labelsieve {

// The default multi-label score in one read: per row, each class's binary
// score (own side's probability; margin: T((T(own - other) + 1) / 2)) as
// float64, sorted descending, then ema = s_0; ema = alpha * s_t + (1 - alpha) * ema.
template <class T>
void multilabel_ema_scores(const uint8_t* onehot, const T* p, int64_t n, int64_t k, bool margin, double alpha,
                           double* out, int n_threads);

}  // namespace labelsieve
