// AVX-512 row loops (see simd.hpp).  Only functions carrying the target
// attribute use AVX-512 instructions; they are called only after use_avx512().
#include "cancel.hpp"
#include "simd.hpp"

#include <cstdlib>
#include <cstring>

namespace labelsieve {

bool use_avx512() {
#if LABELSIEVE_AVX512_BUILT
    const char* setting = std::getenv("LABELSIEVE_SIMD");
    if (setting != nullptr && std::strcmp(setting, "off") == 0) return false;
    static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                  __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                                  __builtin_cpu_supports("f16c");
    return supported;
#else
    return false;
#endif
}

}  // namespace labelsieve

#if LABELSIEVE_AVX512_BUILT
// GCC 12's AVX-512 headers trip -W(maybe-)uninitialized on their own
// "undefined vector" helpers wherever they are inlined: silence it for the
// rest of this file.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "top_m.hpp"

namespace labelsieve {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

inline __mmask16 lanes(int64_t remaining) {
    return remaining >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << remaining) - 1u);
}

// 16 probabilities widened to float; lanes outside `mask` read as `fill`.
LABELSIEVE_AVX512 inline __m512 load16(const float* at, __mmask16 mask, float fill) {
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), mask, at);
}
LABELSIEVE_AVX512 inline __m512 load16(const Half* at, __mmask16 mask, float fill) {
    const __m512 widened = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, at));
    return _mm512_mask_mov_ps(_mm512_set1_ps(fill), mask, widened);
}

// Round float lanes to the nearest float16 and back (identity for float input).
LABELSIEVE_AVX512 inline __m512 round_to_type(__m512 v, const float*) { return v; }
LABELSIEVE_AVX512 inline __m512 round_to_type(__m512 v, const Half*) {
    return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

// Scalar widening and rounding with the F16C instructions (the same
// round-to-nearest-even as FloatType<Half>, without the software bit work).
LABELSIEVE_AVX512 inline float value_of(float v) { return v; }
LABELSIEVE_AVX512 inline float value_of(Half h) { return _cvtsh_ss(h.bits); }
LABELSIEVE_AVX512 inline float round_like(float v, const float*) { return v; }
LABELSIEVE_AVX512 inline float round_like(float v, const Half*) {
    return _cvtsh_ss(_cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

// Lane 0 for an empty mask (a NaN chunk maximum matches no lane): ctz(0) is
// undefined and, used as a guess, would index past the row's joint entries.
inline int first_lane(uint32_t mask) { return mask ? __builtin_ctz(mask) : 0; }

}  // namespace

// Per row only vertical compares, no horizontal reduction: the confident
// classes are a mask (count = popcount, first = tzcnt), "label is the
// (boosted) first argmax" is "below every class before it, not below any
// after it".  The row's argmax is needed only when two or more classes are
// confident, which is rare; it is then found in a second look at the row.
template <class T>
LABELSIEVE_AVX512 inline int64_t first_argmax_avx512(const T* row, int64_t k, uint32_t only_confident,
                                                     const float* cut) {
    // only_confident != 0: the argmax among the confident classes (the paper's rule).
    __m512 best_v = _mm512_set1_ps(-kInf);
    for (int64_t c0 = 0; c0 < k; c0 += 16) {
        const __mmask16 valid = lanes(k - c0);
        const __m512 x = load16(row + c0, valid, -kInf);
        __mmask16 use = valid;
        if (only_confident) use &= _mm512_cmp_ps_mask(x, _mm512_mask_loadu_ps(_mm512_set1_ps(kInf), valid, cut + c0), _CMP_GE_OQ);
        best_v = _mm512_mask_max_ps(best_v, use, best_v, x);
    }
    const __m512 best = _mm512_set1_ps(_mm512_reduce_max_ps(best_v));
    for (int64_t c0 = 0; c0 < k; c0 += 16) {
        const __mmask16 valid = lanes(k - c0);
        const __m512 x = load16(row + c0, valid, -kInf);
        __mmask16 hit = _mm512_mask_cmp_ps_mask(valid, x, best, _CMP_EQ_OQ);
        if (only_confident) hit &= _mm512_cmp_ps_mask(x, _mm512_mask_loadu_ps(_mm512_set1_ps(kInf), valid, cut + c0), _CMP_GE_OQ);
        if (hit) return c0 + __builtin_ctz(hit);
    }
    return 0;  // only with NaN in the row (the public API rejects NaN): any in-range class
}

namespace {

// Sixteen gathered values, one per lane, widened to float.  The float16
// version reads 32 bits at each element (the element is the low half), so it
// reads 2 bytes past the last element: callers keep a later row in bounds.
LABELSIEVE_AVX512 inline __m512 gather16(const float* base, __m512i offsets) {
    return _mm512_i32gather_ps(offsets, base, 4);
}
LABELSIEVE_AVX512 inline __m512 gather16(const Half* base, __m512i offsets) {
    const __m512i words = _mm512_i32gather_epi32(offsets, base, 2);
    return _mm512_cvtph_ps(_mm512_cvtepi32_epi16(words));
}

// Rows a sixteen-row block loop must leave after its last block so that
// those float16 over-reads stay inside the array.
template <class T>
constexpr int64_t kGatherSpareRows = std::is_same_v<T, Half> ? 1 : 0;

// Sixteen labels as int32 lanes; false if one is outside [0, k).
template <class L>
LABELSIEVE_AVX512 inline bool load_labels16(const L* at, int64_t k, __m512i& out) {
    if constexpr (sizeof(L) == 4) {
        out = _mm512_loadu_si512(at);
        return _mm512_cmp_epu32_mask(out, _mm512_set1_epi32(static_cast<int32_t>(k)), _MM_CMPINT_LT) == 0xffff;
    } else {
        const __m512i low = _mm512_loadu_si512(at), high = _mm512_loadu_si512(at + 8);
        const __m512i bound = _mm512_set1_epi64(k);
        const bool ok = (_mm512_cmp_epu64_mask(low, bound, _MM_CMPINT_LT) & _mm512_cmp_epu64_mask(high, bound, _MM_CMPINT_LT)) == 0xff;
        out = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(low)), _mm512_cvtepi64_epi32(high), 1);
        return ok;
    }
}

// Gathers do not start the hardware's stream prefetch the way sequential
// loads do: request the lines of a block a few blocks ahead explicitly.
constexpr int64_t kBlocksAhead = 4;

template <class T>
inline void prefetch_block(const T* block_start, int64_t block_values) {
    // Integer addresses: the block ahead may lie past the array (a prefetch never faults).
    const int64_t bytes = block_values * static_cast<int64_t>(sizeof(T));
    const uintptr_t from = reinterpret_cast<uintptr_t>(block_start) + static_cast<uintptr_t>(kBlocksAhead * bytes);
    for (int64_t offset = 0; offset < bytes; offset += 64) {
        __builtin_prefetch(reinterpret_cast<const void*>(from + static_cast<uintptr_t>(offset)));
    }
}

// Lane j holds j * step (row offsets of sixteen consecutive rows, per-lane bases).
LABELSIEVE_AVX512 inline __m512i lane_multiples(int64_t step) {
    return _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                              _mm512_set1_epi32(static_cast<int32_t>(step)));
}

// Row-at-a-time joint rows (any K): see joint_rows_avx512.
template <class T, class L>
LABELSIEVE_AVX512 bool joint_rows_one_by_one(const L* labels, const T* p, int64_t k, const float* cut, bool paper_rule,
                                             float boost, int64_t begin, int64_t end, int32_t* out_guess,
                                             uint8_t* out_flags, int64_t* joint);

// For K <= 16: sixteen rows at a time, lane j holding row i0 + j and the loop
// running over the classes (one gather each), so each row's decisions are
// lane-wise selects in the order the portable loop makes them.  Counts go to
// sixteen per-lane copies of the joint (no two lanes touch one counter, so
// the increments do not wait on each other).  Blocks with a bad label are
// left to the row loop.  Returns the first row not done.
template <class T, class L>
LABELSIEVE_AVX512 int64_t joint_blocks_by_lane(const L* labels, const T* p, int64_t k, const float* cut,
                                               bool paper_rule, float boost, int64_t begin, int64_t end,
                                               int32_t* out_guess, uint8_t* out_flags, int64_t* joint,
                                               bool& labels_ok) {
    constexpr int64_t kRows = 16;
    const int64_t cells = k * k + 1;  // + the no-guess cell
    std::vector<int64_t> lane_joints(static_cast<size_t>(kRows * cells), 0);
    const __m512i row_offsets = lane_multiples(k);
    const __m512i lane_bases = lane_multiples(cells);
    const __m512i k_v = _mm512_set1_epi32(static_cast<int32_t>(k));
    int64_t i0 = begin;
    for (; i0 + kRows + kGatherSpareRows<T> <= end; i0 += kRows) {
        check_stop_every(i0 - begin);  // a multiple of 16: true every 65,536 rows
        __m512i y;
        if (!load_labels16(labels + i0, k, y)) {
            labels_ok &= joint_rows_one_by_one<T, L>(labels, p, k, cut, paper_rule, boost, i0, i0 + kRows, out_guess,
                                                    out_flags, joint);
            continue;
        }
        const T* base = p + i0 * k;
        prefetch_block(base, kRows * k);
        prefetch_block(labels + i0, kRows);
        const __m512 boosted = round_to_type(_mm512_add_ps(gather16(base, _mm512_add_epi32(row_offsets, y)),
                                                           _mm512_set1_ps(boost)), base);
        __m512 best = gather16(base, row_offsets), confident_best = best;
        __m512i argmax = _mm512_setzero_si512(), confident_argmax = argmax, first_confident = argmax;
        __mmask16 any = 0, several = 0, passed = 0, beaten = 0;
        for (int64_t c = 0; c < k; ++c) {
            const __m512i class_v = _mm512_set1_epi32(static_cast<int32_t>(c));
            const __m512 x = c == 0 ? best : gather16(base, _mm512_add_epi32(row_offsets, class_v));
            const __mmask16 is_label = _mm512_cmpeq_epi32_mask(y, class_v);
            passed |= is_label;
            const __mmask16 before = static_cast<__mmask16>(~passed);  // c < label
            const __mmask16 after = passed & static_cast<__mmask16>(~is_label);  // c > label
            const __mmask16 confident = _mm512_cmp_ps_mask(x, _mm512_set1_ps(cut[c]), _CMP_GE_OQ);
            first_confident = _mm512_mask_mov_epi32(first_confident, confident & static_cast<__mmask16>(~any), class_v);
            if (paper_rule) {
                const __mmask16 better = (confident & static_cast<__mmask16>(~any)) |
                                         _mm512_mask_cmp_ps_mask(confident, x, confident_best, _CMP_GT_OQ);
                confident_best = _mm512_mask_mov_ps(confident_best, better, x);
                confident_argmax = _mm512_mask_mov_epi32(confident_argmax, better, class_v);
            }
            several |= any & confident;
            any |= confident;
            const __mmask16 higher = _mm512_cmp_ps_mask(x, best, _CMP_GT_OQ);
            best = _mm512_mask_mov_ps(best, higher, x);
            argmax = _mm512_mask_mov_epi32(argmax, higher, class_v);
            // The label, boosted, must beat every class before it and tie or beat every class after it.
            beaten |= _mm512_mask_cmp_ps_mask(before, x, boosted, _CMP_NLT_UQ) |
                      _mm512_mask_cmp_ps_mask(after, x, boosted, _CMP_NLE_UQ);
        }
        __m512i guess = _mm512_mask_mov_epi32(_mm512_set1_epi32(-1), any & static_cast<__mmask16>(~several), first_confident);
        guess = _mm512_mask_mov_epi32(guess, several, paper_rule ? confident_argmax : argmax);
        const __m512i flags = _mm512_or_si512(
            _mm512_maskz_mov_epi32(static_cast<__mmask16>(~beaten), _mm512_set1_epi32(1)),
            _mm512_maskz_mov_epi32(_mm512_cmpeq_epi32_mask(argmax, y), _mm512_set1_epi32(2)));
        if (out_guess != nullptr) {  // null: only the counts are wanted
            _mm512_storeu_si512(out_guess + i0, guess);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(out_flags + i0), _mm512_cvtepi32_epi8(flags));
        }
        const __m512i cell = _mm512_mask_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(k * k)), any,
                                                   _mm512_mullo_epi32(y, k_v), guess);
        alignas(64) int32_t lane_cells[kRows];
        _mm512_store_si512(lane_cells, _mm512_add_epi32(cell, lane_bases));
        for (int j = 0; j < kRows; ++j) ++lane_joints[static_cast<size_t>(lane_cells[j])];
    }
    for (int64_t lane = 0; lane < kRows; ++lane) {
        for (int64_t c = 0; c < cells; ++c) joint[c] += lane_joints[static_cast<size_t>(lane * cells + c)];
    }
    return i0;
}

}  // namespace

template <class T, class L>
LABELSIEVE_AVX512 bool joint_rows_avx512(const L* labels, const T* p, int64_t k, const float* cut, bool paper_rule,
                                         float boost, int64_t begin, int64_t end, int32_t* out_guess,
                                         uint8_t* out_flags, int64_t* joint) {
    // `joint` has k * k + 1 cells: rows without a guess count in the last one
    // (a store instead of a hard-to-predict branch).
    bool labels_ok = true;
    if (k <= 16) {
        begin = joint_blocks_by_lane<T, L>(labels, p, k, cut, paper_rule, boost, begin, end, out_guess, out_flags,
                                           joint, labels_ok);
    }
    return joint_rows_one_by_one<T, L>(labels, p, k, cut, paper_rule, boost, begin, end, out_guess, out_flags, joint) &&
           labels_ok;
}

namespace {

template <class T, class L>
LABELSIEVE_AVX512 bool joint_rows_one_by_one(const L* labels, const T* p, int64_t k, const float* cut, bool paper_rule,
                                             float boost, int64_t begin, int64_t end, int32_t* out_guess,
                                             uint8_t* out_flags, int64_t* joint) {
    bool labels_ok = true;
    const int64_t no_guess_cell = k * k;
    const __m512 first_cut = _mm512_mask_loadu_ps(_mm512_set1_ps(kInf), lanes(k), cut);
    for (int64_t i = begin; i < end; ++i) {
        check_stop_every(i);
        const int64_t y = static_cast<int64_t>(labels[i]);
        if (static_cast<uint64_t>(y) >= static_cast<uint64_t>(k)) {
            labels_ok = false;
            if (out_guess != nullptr) {
                out_guess[i] = -1;
                out_flags[i] = 0;
            }
            continue;
        }
        const T* row = p + i * k;
        const float own = value_of(row[y]);
        const __m512 own_v = _mm512_set1_ps(own);
        const __m512 boosted_v = _mm512_set1_ps(round_like(own + boost, row));
        // Bit operations only (no && or ?:), so the compiler emits no branches
        // whose outcome depends on the data.
        int64_t n_confident = 0;
        int64_t first_confident = k;  // stays k when no class is confident
        uint32_t label_wins = 1, label_is_argmax = 1;
        for (int64_t c0 = 0; c0 < k; c0 += 16) {
            const __mmask16 valid = lanes(k - c0);
            const __m512 x = load16(row + c0, valid, -kInf);
            const __m512 cut_v = c0 == 0 ? first_cut : _mm512_mask_loadu_ps(_mm512_set1_ps(kInf), valid, cut + c0);
            const uint32_t confident = _mm512_cmp_ps_mask(x, cut_v, _CMP_GE_OQ);
            const int64_t chunk_first = confident ? c0 + static_cast<int64_t>(_tzcnt_u32(confident)) : k;
            first_confident = std::min(first_confident, chunk_first);
            n_confident += _mm_popcnt_u32(confident);
            // Classes before the label must be below it, classes after it not above it.
            const int64_t before_count = std::clamp<int64_t>(y - c0, 0, 32);
            const uint32_t before = _bzhi_u32(valid, static_cast<uint32_t>(before_count));
            const uint32_t through_label = _bzhi_u32(valid, static_cast<uint32_t>(std::min<int64_t>(before_count + (y >= c0), 32)));
            const uint32_t after = valid & ~through_label;
            const uint32_t below_boosted = _mm512_cmp_ps_mask(x, boosted_v, _CMP_LT_OQ);
            const uint32_t above_boosted = _mm512_cmp_ps_mask(x, boosted_v, _CMP_NLE_UQ);
            label_wins &= static_cast<uint32_t>((below_boosted & before) == before) &
                          static_cast<uint32_t>((above_boosted & after) == 0);
            const uint32_t below_own = _mm512_cmp_ps_mask(x, own_v, _CMP_LT_OQ);
            const uint32_t above_own = _mm512_cmp_ps_mask(x, own_v, _CMP_NLE_UQ);
            label_is_argmax &= static_cast<uint32_t>((below_own & before) == before) &
                               static_cast<uint32_t>((above_own & after) == 0);
        }
        int64_t guess = n_confident == 1 ? first_confident : -1;
        if (n_confident >= 2) {
            guess = label_is_argmax && !paper_rule ? y : first_argmax_avx512<T>(row, k, paper_rule ? 1u : 0u, cut);
        }
        if (out_guess != nullptr) {
            out_guess[i] = static_cast<int32_t>(guess);
            out_flags[i] = static_cast<uint8_t>(label_wins | (label_is_argmax << 1));
        }
        ++joint[guess >= 0 ? y * k + guess : no_guess_cell];
    }
    return labels_ok;
}

}  // namespace

template <class T, class L, class O>
LABELSIEVE_AVX512 bool self_probs_avx512(const L* labels, const T* p, int64_t k, int64_t begin, int64_t end, O* out) {
    constexpr int64_t kRows = 16;
    const __m512i row_offsets = lane_multiples(k);
    // Gather offsets are int32: 16 rows of k values must stay far below 2^31.
    const int64_t block_end = k < (int64_t{1} << 26) ? end : begin;
    int64_t i0 = begin;
    for (; i0 + kRows + kGatherSpareRows<T> <= block_end; i0 += kRows) {
        check_stop_every(i0 - begin);  // a multiple of 16: true every 65,536 rows
        prefetch_block(labels + i0, kRows);
        if (k * static_cast<int64_t>(sizeof(T)) <= 128) {
            prefetch_block(p + i0 * k, kRows * k);  // short rows: every line is read
        } else {
            // Long rows: only the line holding each row's own value, for a later block.
            const int64_t ahead = i0 + kBlocksAhead * kRows;
            for (int64_t i = ahead; i < std::min(ahead + kRows, end); ++i) {
                const uint64_t y = static_cast<uint64_t>(labels[i]);
                if (y < static_cast<uint64_t>(k)) __builtin_prefetch(p + i * k + static_cast<int64_t>(y));
            }
        }
        __m512i y;
        if (!load_labels16(labels + i0, k, y)) break;  // the row loop below takes the rest
        const __m512i at = _mm512_add_epi32(row_offsets, y);
        if constexpr (std::is_same_v<O, Half>) {
            // The stored bits, unconverted: the low half of each gathered word.
            const __m512i words = _mm512_i32gather_epi32(at, p + i0 * k, 2);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + (i0 - begin)), _mm512_cvtepi32_epi16(words));
        } else {
            _mm512_storeu_ps(out + (i0 - begin), gather16(p + i0 * k, at));
        }
    }
    bool labels_ok = true;
    for (int64_t i = i0; i < end; ++i) {
        const int64_t y = static_cast<int64_t>(labels[i]);
        if (static_cast<uint64_t>(y) >= static_cast<uint64_t>(k)) {
            labels_ok = false;
            continue;
        }
        if constexpr (std::is_same_v<O, T>) {
            out[i - begin] = p[i * k + y];
        } else {
            out[i - begin] = value_of(p[i * k + y]);
        }
    }
    return labels_ok;
}

// Two steps: a branch-free scan that records (row, chunk, lanes) for every
// 16-class chunk with a key at or above its floor (the write position only
// advances when there is one), then the offers for the recorded chunks.
// About one row in five reaches a floor, so a branch on it would be
// mispredicted often enough to dominate the scan.
struct ReachedChunk {
    int64_t row;
    int32_t first_class;
    uint32_t lanes;
};

template <class T, class L, class Sink>
LABELSIEVE_AVX512 void offer_reached(const L* labels, const T* p, int64_t k, const ReachedChunk* reached, size_t count,
                                     Sink& sink) {
    for (size_t e = 0; e < count; ++e) {
        const int64_t i = reached[e].row;
        const int64_t y = static_cast<int64_t>(labels[i]);
        const T* row = p + i * k;
        const float own = value_of(row[y]);
        uint32_t lanes_left = reached[e].lanes;
        while (lanes_left) {
            const int64_t c = reached[e].first_class + __builtin_ctz(lanes_left);
            lanes_left &= lanes_left - 1;
            // The same IEEE subtraction (and float16 rounding) as the vector scan.
            sink.offer(static_cast<size_t>(y * k + c), round_like(value_of(row[c]) - own, row), i);
        }
    }
}

// The scan one row at a time (any K, strides and row lists); see noise_rate_rows_avx512.
template <class T, class L, class Sink>
LABELSIEVE_AVX512 bool noise_rate_rows_one_by_one(const L* labels, const T* p, int64_t k, const uint32_t* row_list,
                                                  int64_t first, int64_t last, int64_t stride, Sink& sink);

// The K <= 16 form of the scan: sixteen consecutive rows at a time, one lane
// per row (as joint_blocks_by_lane), recording (first row, class, rows whose
// key reaches the class's floor).
struct ReachedRows {
    int64_t first_row;
    int32_t column;
    uint32_t rows;
};

template <class T, class L, class Sink>
LABELSIEVE_AVX512 void offer_reached_rows(const L* labels, const T* p, int64_t k, const ReachedRows* reached,
                                          size_t count, Sink& sink) {
    for (size_t e = 0; e < count; ++e) {
        const int64_t c = reached[e].column;
        uint32_t rows_left = reached[e].rows;
        while (rows_left) {
            const int64_t i = reached[e].first_row + __builtin_ctz(rows_left);
            rows_left &= rows_left - 1;
            const int64_t y = static_cast<int64_t>(labels[i]);
            const T* row = p + i * k;
            sink.offer(static_cast<size_t>(y * k + c), round_like(value_of(row[c]) - value_of(row[y]), row), i);
        }
    }
}

// Rows [first, last) by blocks of sixteen (k <= 16); returns the first row not
// done (the caller scans the rest one by one, as it does blocks with a bad label).
template <class T, class L, class Sink>
LABELSIEVE_AVX512 int64_t noise_rate_blocks_by_lane(const L* labels, const T* p, int64_t k, int64_t first,
                                                    int64_t last, Sink& sink, bool& labels_ok) {
    constexpr int64_t kRows = 16;
    constexpr size_t kCapacity = 2048;
    ReachedRows reached[kCapacity];
    size_t count = 0;
    const __m512i row_offsets = lane_multiples(k);
    const __m512i k_v = _mm512_set1_epi32(static_cast<int32_t>(k));
    const float* floors = sink.floors();
    int64_t i0 = first;
    for (; i0 + kRows + kGatherSpareRows<T> <= last; i0 += kRows) {
        check_stop_every(i0 - first);  // a multiple of 16: true every 65,536 rows
        if (count + static_cast<size_t>(k) > kCapacity) {
            offer_reached_rows<T, L>(labels, p, k, reached, count, sink);
            count = 0;
        }
        __m512i y;
        if (!load_labels16(labels + i0, k, y)) {
            labels_ok &= noise_rate_rows_one_by_one<T, L>(labels, p, k, nullptr, i0, i0 + kRows, 1, sink);
            continue;
        }
        const T* base = p + i0 * k;
        prefetch_block(base, kRows * k);
        prefetch_block(labels + i0, kRows);
        const __m512 own = gather16(base, _mm512_add_epi32(row_offsets, y));
        const __m512i floor_row = _mm512_mullo_epi32(y, k_v);
        for (int64_t c = 0; c < k; ++c) {
            const __m512i class_v = _mm512_set1_epi32(static_cast<int32_t>(c));
            const __m512 key = round_to_type(_mm512_sub_ps(gather16(base, _mm512_add_epi32(row_offsets, class_v)), own), base);
            const __m512 floor = _mm512_i32gather_ps(_mm512_add_epi32(floor_row, class_v), floors, 4);
            const uint32_t hit = _mm512_cmp_ps_mask(key, floor, _CMP_GE_OQ);
            reached[count] = ReachedRows{i0, static_cast<int32_t>(c), hit};
            count += hit != 0;
        }
    }
    offer_reached_rows<T, L>(labels, p, k, reached, count, sink);
    return i0;
}

template <class T, class L, class Sink>
LABELSIEVE_AVX512 bool noise_rate_rows_avx512(const L* labels, const T* p, int64_t k, const uint32_t* row_list,
                                              int64_t first, int64_t last, int64_t stride, Sink& sink) {
    bool labels_ok = true;
    if (k <= 16 && row_list == nullptr && stride == 1) {
        first = noise_rate_blocks_by_lane<T, L>(labels, p, k, first, last, sink, labels_ok);
    }
    return noise_rate_rows_one_by_one<T, L>(labels, p, k, row_list, first, last, stride, sink) && labels_ok;
}

template <class T, class L, class Sink>
LABELSIEVE_AVX512 bool noise_rate_rows_one_by_one(const L* labels, const T* p, int64_t k, const uint32_t* row_list,
                                                  int64_t first, int64_t last, int64_t stride, Sink& sink) {
    constexpr size_t kCapacity = 2048;
    constexpr int64_t kListAhead = 8;  // rows of prefetch distance for listed rows
    ReachedChunk reached[kCapacity];
    const size_t chunks_per_row = static_cast<size_t>((k + 15) / 16);
    size_t count = 0;
    bool labels_ok = true;
    for (int64_t v = first; v < last; v += stride) {
        check_stop_every(v);
        const int64_t i = row_list ? static_cast<int64_t>(row_list[v]) : v;
        if (row_list && v + kListAhead * stride < last) {
            // Rows from a list are not in address order: fetch a later row's lines now.
            const T* ahead = p + static_cast<int64_t>(row_list[v + kListAhead * stride]) * k;
            for (int64_t c = 0; c < k; c += 64 / static_cast<int64_t>(sizeof(T))) __builtin_prefetch(ahead + c);
            __builtin_prefetch(ahead + k - 1);
        }
        if (count + chunks_per_row > kCapacity) {
            offer_reached<T, L>(labels, p, k, reached, count, sink);
            count = 0;
        }
        const int64_t y = static_cast<int64_t>(labels[i]);
        if (static_cast<uint64_t>(y) >= static_cast<uint64_t>(k)) {
            labels_ok = false;
            continue;
        }
        const T* row = p + i * k;
        const float own = value_of(row[y]);
        const __m512 own_v = _mm512_set1_ps(own);
        const float* floors = sink.floors() + y * k;
        for (int64_t c0 = 0; c0 < k; c0 += 16) {
            const __mmask16 valid = lanes(k - c0);
            const __m512 key = round_to_type(_mm512_sub_ps(load16(row + c0, valid, 0.0f), own_v), row);
            const __m512 floor = _mm512_mask_loadu_ps(_mm512_set1_ps(kInf), valid, floors + c0);
            const uint32_t hit = _mm512_mask_cmp_ps_mask(valid, key, floor, _CMP_GE_OQ);
            reached[count] = ReachedChunk{i, static_cast<int32_t>(c0), hit};
            count += hit != 0;
        }
    }
    offer_reached<T, L>(labels, p, k, reached, count, sink);
    return labels_ok;
}

template <class T>
LABELSIEVE_AVX512 bool value_range_avx512(const T* p, int64_t begin, int64_t end, float* lo, float* hi) {
    __m512 low = _mm512_set1_ps(*lo), high = _mm512_set1_ps(*hi);
    __mmask16 nan = 0;
    for (int64_t i = begin; i < end; i += 16) {
        const __mmask16 valid = lanes(end - i);
        const __m512 x = load16(p + i, valid, 0.0f);
        nan |= _mm512_mask_cmp_ps_mask(valid, x, x, _CMP_UNORD_Q);
        low = _mm512_mask_min_ps(low, valid, low, x);
        high = _mm512_mask_max_ps(high, valid, high, x);
    }
    *lo = _mm512_reduce_min_ps(low);
    *hi = _mm512_reduce_max_ps(high);
    return nan != 0;
}

template bool value_range_avx512<float>(const float*, int64_t, int64_t, float*, float*);
template bool value_range_avx512<Half>(const Half*, int64_t, int64_t, float*, float*);

#define LABELSIEVE_JOINT(T, L)                                                                                 \
    template bool joint_rows_avx512<T, L>(const L*, const T*, int64_t, const float*, bool, float, int64_t, int64_t, \
                                          int32_t*, uint8_t*, int64_t*);
LABELSIEVE_JOINT(float, int32_t)
LABELSIEVE_JOINT(float, int64_t)
LABELSIEVE_JOINT(Half, int32_t)
LABELSIEVE_JOINT(Half, int64_t)
#define LABELSIEVE_SELF_PROBS(T, L, O) \
    template bool self_probs_avx512<T, L, O>(const L*, const T*, int64_t, int64_t, int64_t, O*);
LABELSIEVE_SELF_PROBS(float, int32_t, float)
LABELSIEVE_SELF_PROBS(float, int64_t, float)
LABELSIEVE_SELF_PROBS(Half, int32_t, Half)
LABELSIEVE_SELF_PROBS(Half, int64_t, Half)
LABELSIEVE_SELF_PROBS(Half, int32_t, float)
LABELSIEVE_SELF_PROBS(Half, int64_t, float)
#define LABELSIEVE_NOISE_RATE(T, L)                                                                      \
    template bool noise_rate_rows_avx512<T, L, CellSink<float>>(const L*, const T*, int64_t, const uint32_t*, \
                                                                 int64_t, int64_t, int64_t, CellSink<float>&);
LABELSIEVE_NOISE_RATE(float, int32_t)
LABELSIEVE_NOISE_RATE(float, int64_t)
LABELSIEVE_NOISE_RATE(Half, int32_t)
LABELSIEVE_NOISE_RATE(Half, int64_t)

}  // namespace labelsieve

#endif  // LABELSIEVE_AVX512_BUILT
