// The lane operations of simd_kernels.inc for AVX2 (with F16C, BMI1/2,
// POPCNT): eight float or int32 lanes, masks as vectors whose lanes are all
// ones or all zeros.  Included only by simd_avx2.cpp; every function carries
// the AVX2 target attribute (simd.hpp).
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "float_types.hpp"
#include "simd.hpp"

namespace labelsieve::avx2 {

#define LABELSIEVE_TARGET LABELSIEVE_AVX2

constexpr int64_t kLanes = 8;
using F = __m256;   // float lanes
using I = __m256i;  // int32 lanes
using M = __m256i;  // a lane is selected when all its bits are set

LABELSIEVE_TARGET inline F broadcast(float v) { return _mm256_set1_ps(v); }
LABELSIEVE_TARGET inline I broadcast_int(int64_t v) { return _mm256_set1_epi32(static_cast<int32_t>(v)); }
LABELSIEVE_TARGET inline I lane_numbers() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }

// The first `count` lanes (all of them when count >= kLanes), as bits and as a mask.
inline uint32_t lane_bits(int64_t count) { return count >= kLanes ? 0xffu : (1u << count) - 1u; }
LABELSIEVE_TARGET inline M first_lanes(int64_t count) {
    return _mm256_cmpgt_epi32(broadcast_int(std::min(count, kLanes)), lane_numbers());
}
LABELSIEVE_TARGET inline uint32_t bits(M m) { return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(m))); }
LABELSIEVE_TARGET inline M no_lanes() { return _mm256_setzero_si256(); }
LABELSIEVE_TARGET inline M both(M a, M b) { return _mm256_and_si256(a, b); }
LABELSIEVE_TARGET inline M either(M a, M b) { return _mm256_or_si256(a, b); }
LABELSIEVE_TARGET inline M but_not(M a, M b) { return _mm256_andnot_si256(b, a); }
LABELSIEVE_TARGET inline M inverse(M a) { return _mm256_xor_si256(a, _mm256_set1_epi32(-1)); }

LABELSIEVE_TARGET inline F load_all(const float* at) { return _mm256_loadu_ps(at); }
LABELSIEVE_TARGET inline F load_all(const Half* at) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at)));
}

// where `m`: a, elsewhere b.
LABELSIEVE_TARGET inline F select(M m, F a, F b) { return _mm256_blendv_ps(b, a, _mm256_castsi256_ps(m)); }
LABELSIEVE_TARGET inline I select(M m, I a, I b) { return _mm256_blendv_epi8(b, a, m); }

// The first `count` values from `at`, widened to float; later lanes read as
// `fill`.  A short float row uses a masked load (which never touches the
// masked lanes' memory); float16 has none, so its short rows go through a copy.
LABELSIEVE_TARGET inline F load_first(const float* at, int64_t count, float fill) {
    if (count >= kLanes) return load_all(at);
    const M valid = first_lanes(count);
    return select(valid, _mm256_maskload_ps(at, valid), broadcast(fill));
}
LABELSIEVE_TARGET inline F load_first(const Half* at, int64_t count, float fill) {
    if (count >= kLanes) return load_all(at);
    Half copy[kLanes] = {};
    std::memcpy(copy, at, static_cast<size_t>(count) * sizeof(Half));
    return select(first_lanes(count), load_all(copy), broadcast(fill));
}

// Round float lanes to the nearest float16 and back (identity for float input).
LABELSIEVE_TARGET inline F round_to_type(F v, const float*) { return v; }
LABELSIEVE_TARGET inline F round_to_type(F v, const Half*) {
    return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

// One value per lane at base[offsets], widened to float.  The float16 version
// reads 32 bits at each element (the element is the low half), so it reads 2
// bytes past the last element: callers keep a later row in bounds.
LABELSIEVE_TARGET inline F gather(const float* base, I offsets) { return _mm256_i32gather_ps(base, offsets, 4); }
LABELSIEVE_TARGET inline __m128i gather_half_bits(const Half* base, I offsets) {
    const __m256i words = _mm256_i32gather_epi32(reinterpret_cast<const int*>(base), offsets, 2);
    // The low two bytes of each word, packed into the low eight bytes of each 128-bit half...
    const __m256i low_halves = _mm256_shuffle_epi8(
        words, _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1,  //
                                0, 1, 4, 5, 8, 9, 12, 13, -1, -1, -1, -1, -1, -1, -1, -1));
    // ... and the two halves' packed bytes side by side.
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(low_halves, _MM_SHUFFLE(3, 1, 2, 0)));
}
LABELSIEVE_TARGET inline F gather(const Half* base, I offsets) { return _mm256_cvtph_ps(gather_half_bits(base, offsets)); }
// The gathered float16 elements stored unconverted.
LABELSIEVE_TARGET inline void store_gathered(Half* out, const Half* base, I offsets) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), gather_half_bits(base, offsets));
}

LABELSIEVE_TARGET inline F add(F a, F b) { return _mm256_add_ps(a, b); }
LABELSIEVE_TARGET inline F sub(F a, F b) { return _mm256_sub_ps(a, b); }
LABELSIEVE_TARGET inline F lane_min(F a, F b) { return _mm256_min_ps(a, b); }
LABELSIEVE_TARGET inline F lane_max(F a, F b) { return _mm256_max_ps(a, b); }
LABELSIEVE_TARGET inline float min_of(F v) {
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_min_ss(m, _mm_shuffle_ps(m, m, 1)));
}
LABELSIEVE_TARGET inline float max_of(F v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_shuffle_ps(m, m, 1)));
}

// Compares; "unordered" forms are true where either side is NaN.
LABELSIEVE_TARGET inline M compare_mask(F compared) { return _mm256_castps_si256(compared); }
LABELSIEVE_TARGET inline M lt(F a, F b) { return compare_mask(_mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
LABELSIEVE_TARGET inline M gt(F a, F b) { return compare_mask(_mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
LABELSIEVE_TARGET inline M ge(F a, F b) { return compare_mask(_mm256_cmp_ps(a, b, _CMP_GE_OQ)); }
LABELSIEVE_TARGET inline M eq(F a, F b) { return compare_mask(_mm256_cmp_ps(a, b, _CMP_EQ_OQ)); }
LABELSIEVE_TARGET inline M not_le(F a, F b) { return compare_mask(_mm256_cmp_ps(a, b, _CMP_NLE_UQ)); }
LABELSIEVE_TARGET inline M not_lt(F a, F b) { return compare_mask(_mm256_cmp_ps(a, b, _CMP_NLT_UQ)); }
LABELSIEVE_TARGET inline M unordered(F a, F b) { return compare_mask(_mm256_cmp_ps(a, b, _CMP_UNORD_Q)); }

LABELSIEVE_TARGET inline I add(I a, I b) { return _mm256_add_epi32(a, b); }
LABELSIEVE_TARGET inline I mul(I a, I b) { return _mm256_mullo_epi32(a, b); }
LABELSIEVE_TARGET inline M eq(I a, I b) { return _mm256_cmpeq_epi32(a, b); }

// Sixteen floats held in registers, read by lane-wise index (index 0..15).
struct Table16 {
    F low, high;
};
LABELSIEVE_TARGET inline Table16 load_table16(const float* sixteen) {
    return Table16{_mm256_loadu_ps(sixteen), _mm256_loadu_ps(sixteen + 8)};
}
LABELSIEVE_TARGET inline F lookup(const Table16& table, I index) {
    // Each permute reads the low three bits of the index; index > 7 takes the high half.
    return select(_mm256_cmpgt_epi32(index, broadcast_int(7)), _mm256_permutevar8x32_ps(table.high, index),
                  _mm256_permutevar8x32_ps(table.low, index));
}

LABELSIEVE_TARGET inline void store(int32_t* out, I v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v); }
LABELSIEVE_TARGET inline void store(float* out, F v) { _mm256_storeu_ps(out, v); }
// The low byte of each lane.
LABELSIEVE_TARGET inline void store_low_bytes(uint8_t* out, I v) {
    const __m256i low_bytes = _mm256_shuffle_epi8(
        v, _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  //
                            0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1));
    const __m128i together = _mm_unpacklo_epi32(_mm256_castsi256_si128(low_bytes), _mm256_extracti128_si256(low_bytes, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out), together);
}

// Thirty-two one-byte values (one-byte labels), compared as unsigned bytes.
constexpr int64_t kByteLanes = 32;
using Bytes = __m256i;
LABELSIEVE_TARGET inline Bytes load_bytes(const uint8_t* at) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
}
// Bit j set where byte j equals `value` / is at least `bound` (both < 256).
LABELSIEVE_TARGET inline uint64_t equal_byte_bits(Bytes v, int64_t value) {
    return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(static_cast<char>(value)))));
}
LABELSIEVE_TARGET inline uint64_t at_least_byte_bits(Bytes v, int64_t bound) {
    const __m256i b = _mm256_set1_epi8(static_cast<char>(bound));
    return static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(v, b), v)));
}

// kLanes labels as int32 lanes; false if one is outside [0, k).
template <class L>
LABELSIEVE_TARGET inline bool load_labels(const L* at, int64_t k, I& out) {
    if constexpr (sizeof(L) == 1) {
        out = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(at)));
        const I bound = broadcast_int(std::min<int64_t>(k, 256));
        return bits(_mm256_cmpgt_epi32(bound, out)) == 0xffu;
    } else if constexpr (sizeof(L) == 4) {
        out = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
        const I bound = broadcast_int(std::min<int64_t>(k, INT32_MAX));
        const M ok = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), out), _mm256_cmpgt_epi32(bound, out));
        return bits(ok) == 0xffu;
    } else {
        const __m256i low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
        const __m256i high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + 4));
        const __m256i bound = _mm256_set1_epi64x(k), zero = _mm256_setzero_si256();
        const __m256i ok = _mm256_and_si256(
            _mm256_andnot_si256(_mm256_cmpgt_epi64(zero, low), _mm256_cmpgt_epi64(bound, low)),
            _mm256_andnot_si256(_mm256_cmpgt_epi64(zero, high), _mm256_cmpgt_epi64(bound, high)));
        // The low 32 bits of each label, in order.
        const __m256i even_words = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
        out = _mm256_permute2x128_si256(_mm256_permutevar8x32_epi32(low, even_words),
                                        _mm256_permutevar8x32_epi32(high, even_words), 0x20);
        return _mm256_movemask_epi8(ok) == -1;
    }
}

}  // namespace labelsieve::avx2
