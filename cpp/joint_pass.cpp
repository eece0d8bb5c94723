// Joint pass: one read of each row gives its likely true class (the guess),
// the confident-joint counts and the two per-row flags the filters need.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "cancel.hpp"
#include "instantiate.hpp"
#include "labels.hpp"
#include "primitives.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

namespace {

constexpr uint8_t kLabelIsBoostedTop = 1;  // FLAG_LABEL_IS_BOOSTED_TOP in _backend.py
constexpr uint8_t kArgmaxIsLabel = 2;      // FLAG_ARGMAX_IS_LABEL

struct RowVerdict {
    int32_t guess;
    uint8_t flags;
};

template <bool paper_rule, class T>
RowVerdict judge_row(const T* row, int64_t k, int64_t label, const AccOf<T>* cut, ValueOf<T> boost) {
    using F = FloatType<T>;
    using V = ValueOf<T>;
    // Branch-free scan: the outcome of each comparison is data, not control flow.
    const V boosted = F::round(F::load(row[label]) + boost);
    int64_t argmax = 0, n_confident = 0, first_confident = -1, confident_argmax = -1;
    V best = F::load(row[0]);
    V confident_best = V(0);
    bool label_wins = true;  // cleanlab un-flags a row whose label, boosted by 1e-6, is the first argmax
    for (int64_t c = 0; c < k; ++c) {
        const V x = F::load(row[c]);
        const bool higher = x > best;
        best = higher ? x : best;
        argmax = higher ? c : argmax;
        const bool confident = static_cast<AccOf<T>>(x) >= cut[c];
        n_confident += confident;
        first_confident = (confident && first_confident < 0) ? c : first_confident;
        if constexpr (paper_rule) {
            const bool new_confident_best = confident && (confident_argmax < 0 || x > confident_best);
            confident_best = new_confident_best ? x : confident_best;
            confident_argmax = new_confident_best ? c : confident_argmax;
        }
        label_wins &= (c < label) ? (boosted > x) : (c == label || boosted >= x);
    }
    int64_t guess = -1;
    if (n_confident == 1) guess = first_confident;
    if (n_confident >= 2) guess = paper_rule ? confident_argmax : argmax;
    uint8_t flags = 0;
    if (label_wins) flags |= kLabelIsBoostedTop;
    if (argmax == label) flags |= kArgmaxIsLabel;
    return RowVerdict{static_cast<int32_t>(guess), flags};
}

}  // namespace

template <class T, class L>
void joint_pass(const L* labels, const T* p, int64_t n, int64_t k, const AccOf<T>* cut, bool paper_rule,
                int32_t* out_guess, int64_t* out_joint, uint8_t* out_flags, int n_threads) {
    using F = FloatType<T>;
    const ValueOf<T> boost = F::round(static_cast<ValueOf<T>>(1e-6));
    const int parts = part_count(n, n_threads);
    std::vector<std::vector<int64_t>> joints(static_cast<size_t>(parts));
    LabelGuard guard(k);
    const SimdLevel simd = simd_level();
    parallel_ranges(n, parts, [&](int64_t begin, int64_t end, int part) {
        auto& joint = joints[static_cast<size_t>(part)];
        joint.assign(static_cast<size_t>(k * k + 1), 0);  // + the SIMD loop's no-guess cell
        if constexpr (kSimdBuilt && !std::is_same_v<T, double>) {
            if (simd != SimdLevel::portable) {
                if (!joint_rows_simd<T, L>(simd, labels, p, k, cut, paper_rule, boost, begin, end, out_guess, out_flags,
                                           joint.data())) {
                    guard.mark_bad();
                }
                return;
            }
        }
        for (int64_t i = begin; i < end; ++i) {
            check_stop_every(i);
            const L y = labels[i];
            if (!guard.ok(y)) {
                if (out_guess != nullptr) out_guess[i] = -1;
                if (out_flags != nullptr) out_flags[i] = 0;
                continue;
            }
            const T* row = p + i * k;
            const RowVerdict verdict = paper_rule ? judge_row<true>(row, k, static_cast<int64_t>(y), cut, boost)
                                                  : judge_row<false>(row, k, static_cast<int64_t>(y), cut, boost);
            if (out_guess != nullptr) out_guess[i] = verdict.guess;
            if (out_flags != nullptr) out_flags[i] = verdict.flags;
            if (verdict.guess >= 0) ++joint[static_cast<size_t>(y * k + verdict.guess)];
        }
    });
    guard.throw_if_bad();
    std::fill(out_joint, out_joint + k * k, int64_t{0});
    for (const auto& joint : joints) {
        for (int64_t cell = 0; cell < k * k; ++cell) out_joint[cell] += joint[static_cast<size_t>(cell)];
    }
}

#define LABELSIEVE_INSTANTIATE(T, L)                                                                  \
    template void joint_pass<T, L>(const L*, const T*, int64_t, int64_t, const AccOf<T>*, bool, int32_t*, \
                                   int64_t*, uint8_t*, int);
LABELSIEVE_FOR_EACH_FLOAT_AND_LABEL(LABELSIEVE_INSTANTIATE)

}  // namespace labelsieve
