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

#include <cmath>
#include <limits>
#include <type_traits>

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

// Lane 0 for an empty mask (a NaN chunk maximum matches no lane): ctz(0) is
// undefined and, used as a guess, would index past the row's joint entries.
inline int first_lane(uint32_t mask) { return mask ? __builtin_ctz(mask) : 0; }

}  // namespace

template <class T, class L>
LABELSIEVE_AVX512 bool joint_rows_avx512(const L* labels, const T* p, int64_t k, const float* cut, bool paper_rule,
                                         float boost, int64_t begin, int64_t end, int32_t* out_guess,
                                         uint8_t* out_flags, int64_t* joint) {
    bool labels_ok = true;
    for (int64_t i = begin; i < end; ++i) {
        check_stop_every(i);
        const int64_t y = static_cast<int64_t>(labels[i]);
        if (static_cast<uint64_t>(y) >= static_cast<uint64_t>(k)) {
            labels_ok = false;
            out_guess[i] = -1;
            out_flags[i] = 0;
            continue;
        }
        const T* row = p + i * k;
        float own;
        if constexpr (std::is_same_v<T, Half>) {
            own = half_bits_to_float(row[y].bits);
        } else {
            own = row[y];
        }
        const float boosted = FloatType<T>::round(own + boost);
        const __m512 boosted_v = _mm512_set1_ps(boosted);
        float best = -kInf, confident_best = -kInf;
        int64_t argmax = 0, n_confident = 0, first_confident = -1, confident_argmax = -1;
        bool label_wins = true;
        for (int64_t c0 = 0; c0 < k; c0 += 16) {
            const __mmask16 valid = lanes(k - c0);
            const __m512 x = load16(row + c0, valid, -kInf);
            const __m512 cut_v = _mm512_mask_loadu_ps(_mm512_set1_ps(kInf), valid, cut + c0);
            const uint32_t confident = _mm512_cmp_ps_mask(x, cut_v, _CMP_GE_OQ);
            n_confident += __builtin_popcount(confident);
            if (first_confident < 0 && confident) first_confident = c0 + first_lane(confident);
            const float chunk_max = _mm512_reduce_max_ps(x);
            if (chunk_max > best || c0 == 0) {
                best = chunk_max;
                argmax = c0 + first_lane(_mm512_cmp_ps_mask(x, _mm512_set1_ps(chunk_max), _CMP_EQ_OQ) & valid);
            }
            if (paper_rule && confident) {
                const float chunk_confident_max = _mm512_mask_reduce_max_ps(static_cast<__mmask16>(confident), x);
                if (confident_argmax < 0 || chunk_confident_max > confident_best) {
                    confident_best = chunk_confident_max;
                    const uint32_t at = _mm512_cmp_ps_mask(x, _mm512_set1_ps(chunk_confident_max), _CMP_EQ_OQ);
                    confident_argmax = c0 + first_lane(at & confident);
                }
            }
            // Lanes before the label must be < boosted, lanes after it <= boosted.
            const int64_t before_count = y - c0;
            const uint32_t before = before_count <= 0 ? 0u : (before_count >= 16 ? valid : ((1u << before_count) - 1u) & valid);
            const uint32_t at_label = (before_count >= 0 && before_count < 16) ? (1u << before_count) : 0u;
            const uint32_t after = valid & ~before & ~at_label;
            const uint32_t below = _mm512_cmp_ps_mask(x, boosted_v, _CMP_LT_OQ);
            const uint32_t not_above = _mm512_cmp_ps_mask(x, boosted_v, _CMP_LE_OQ);
            label_wins = label_wins && (below & before) == before && (not_above & after) == after;
        }
        int64_t guess = -1;
        if (n_confident == 1) guess = first_confident;
        if (n_confident >= 2) guess = paper_rule ? confident_argmax : argmax;
        out_guess[i] = static_cast<int32_t>(guess);
        out_flags[i] = static_cast<uint8_t>((label_wins ? 1 : 0) | (argmax == y ? 2 : 0));
        if (guess >= 0) ++joint[y * k + guess];
    }
    return labels_ok;
}

template <class T, class Sink>
LABELSIEVE_AVX512 void noise_rate_row_avx512(const T* row, int64_t k, int64_t y, int64_t row_index, Sink& sink) {
    float own;
    if constexpr (std::is_same_v<T, Half>) {
        own = half_bits_to_float(row[y].bits);
    } else {
        own = row[y];
    }
    const __m512 own_v = _mm512_set1_ps(own);
    const float* floors = sink.floors() + y * k;
    for (int64_t c0 = 0; c0 < k; c0 += 16) {
        const __mmask16 valid = lanes(k - c0);
        const __m512 key = round_to_type(_mm512_sub_ps(load16(row + c0, valid, 0.0f), own_v), row);
        const __m512 floor = _mm512_mask_loadu_ps(_mm512_set1_ps(kInf), valid, floors + c0);
        uint32_t reached = _mm512_cmp_ps_mask(key, floor, _CMP_GE_OQ) & valid;
        if (!reached) continue;
        alignas(64) float keys[16];
        _mm512_store_ps(keys, key);
        while (reached) {
            const int lane = first_lane(reached);
            reached &= reached - 1;
            sink.offer(static_cast<size_t>(y * k + c0 + lane), keys[lane], row_index);
        }
    }
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
template void noise_rate_row_avx512<float, CellSink<float>>(const float*, int64_t, int64_t, int64_t, CellSink<float>&);
template void noise_rate_row_avx512<Half, CellSink<float>>(const Half*, int64_t, int64_t, int64_t, CellSink<float>&);

}  // namespace labelsieve

#endif  // LABELSIEVE_AVX512_BUILT
