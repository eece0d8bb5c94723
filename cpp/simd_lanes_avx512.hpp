// The lane operations of simd_kernels.inc for AVX-512: sixteen float or int32
// lanes, masks in mask registers.  Included only by simd_avx512.cpp; every
// function carries the AVX-512 target attribute (simd.hpp).
#pragma once
// GCC 12's AVX-512 headers trip -W(maybe-)uninitialized on their own
// "undefined vector" helpers wherever they are inlined: silence it for the
// translation unit that includes this header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "float_types.hpp"
#include "simd.hpp"

namespace labelsieve::avx512 {

#define LABELSIEVE_TARGET LABELSIEVE_AVX512

constexpr int64_t kLanes = 16;
using F = __m512;   // float lanes
using I = __m512i;  // int32 lanes
using M = __mmask16;

// The first `count` lanes (all of them when count >= kLanes), as bits and as a mask.
inline uint32_t lane_bits(int64_t count) { return count >= kLanes ? 0xffffu : (1u << count) - 1u; }
inline M first_lanes(int64_t count) { return static_cast<M>(lane_bits(count)); }
inline uint32_t bits(M m) { return m; }
inline M no_lanes() { return 0; }
inline M both(M a, M b) { return a & b; }
inline M either(M a, M b) { return a | b; }
inline M but_not(M a, M b) { return static_cast<M>(a & ~b); }
inline M inverse(M a) { return static_cast<M>(~a); }

LABELSIEVE_TARGET inline F broadcast(float v) { return _mm512_set1_ps(v); }
LABELSIEVE_TARGET inline I broadcast_int(int64_t v) { return _mm512_set1_epi32(static_cast<int32_t>(v)); }
LABELSIEVE_TARGET inline I lane_numbers() {
    return _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
}

LABELSIEVE_TARGET inline F load_all(const float* at) { return _mm512_loadu_ps(at); }
LABELSIEVE_TARGET inline F load_all(const Half* at) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)));
}

// The first `count` values from `at`, widened to float; later lanes read as
// `fill`.  Full vectors take a plain load: a masked load whose mask is not
// known at compile time ran 2.5x slower over K = 100 rows on this machine.
LABELSIEVE_TARGET inline F load_first(const float* at, int64_t count, float fill) {
    if (count >= kLanes) return load_all(at);
    return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), first_lanes(count), at);
}
LABELSIEVE_TARGET inline F load_first(const Half* at, int64_t count, float fill) {
    if (count >= kLanes) return load_all(at);
    const M valid = first_lanes(count);
    return _mm512_mask_mov_ps(_mm512_set1_ps(fill), valid, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(valid, at)));
}

// Round float lanes to the nearest float16 and back (identity for float input).
LABELSIEVE_TARGET inline F round_to_type(F v, const float*) { return v; }
LABELSIEVE_TARGET inline F round_to_type(F v, const Half*) {
    return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}

// One value per lane at base[offsets], widened to float.  The float16 version
// reads 32 bits at each element (the element is the low half), so it reads 2
// bytes past the last element: callers keep a later row in bounds.
LABELSIEVE_TARGET inline F gather(const float* base, I offsets) { return _mm512_i32gather_ps(offsets, base, 4); }
LABELSIEVE_TARGET inline __m256i gather_half_bits(const Half* base, I offsets) {
    return _mm512_cvtepi32_epi16(_mm512_i32gather_epi32(offsets, base, 2));
}
LABELSIEVE_TARGET inline F gather(const Half* base, I offsets) { return _mm512_cvtph_ps(gather_half_bits(base, offsets)); }
// The gathered float16 elements stored unconverted.
LABELSIEVE_TARGET inline void store_gathered(Half* out, const Half* base, I offsets) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), gather_half_bits(base, offsets));
}

LABELSIEVE_TARGET inline F add(F a, F b) { return _mm512_add_ps(a, b); }
LABELSIEVE_TARGET inline F sub(F a, F b) { return _mm512_sub_ps(a, b); }
LABELSIEVE_TARGET inline F lane_min(F a, F b) { return _mm512_min_ps(a, b); }
LABELSIEVE_TARGET inline F lane_max(F a, F b) { return _mm512_max_ps(a, b); }
LABELSIEVE_TARGET inline float min_of(F v) { return _mm512_reduce_min_ps(v); }
LABELSIEVE_TARGET inline float max_of(F v) { return _mm512_reduce_max_ps(v); }

// Compares; "unordered" forms are true where either side is NaN.
LABELSIEVE_TARGET inline M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
LABELSIEVE_TARGET inline M gt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
LABELSIEVE_TARGET inline M ge(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GE_OQ); }
LABELSIEVE_TARGET inline M eq(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_EQ_OQ); }
LABELSIEVE_TARGET inline M not_le(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLE_UQ); }
LABELSIEVE_TARGET inline M not_lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_NLT_UQ); }
LABELSIEVE_TARGET inline M unordered(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q); }

// where `m`: a, elsewhere b.
LABELSIEVE_TARGET inline F select(M m, F a, F b) { return _mm512_mask_mov_ps(b, m, a); }
LABELSIEVE_TARGET inline I select(M m, I a, I b) { return _mm512_mask_mov_epi32(b, m, a); }

LABELSIEVE_TARGET inline I add(I a, I b) { return _mm512_add_epi32(a, b); }
LABELSIEVE_TARGET inline I mul(I a, I b) { return _mm512_mullo_epi32(a, b); }
LABELSIEVE_TARGET inline M eq(I a, I b) { return _mm512_cmpeq_epi32_mask(a, b); }

// Sixteen floats held in registers, read by lane-wise index (index 0..15).
struct Table16 {
    F values;
};
LABELSIEVE_TARGET inline Table16 load_table16(const float* sixteen) { return Table16{_mm512_loadu_ps(sixteen)}; }
LABELSIEVE_TARGET inline F lookup(const Table16& table, I index) { return _mm512_permutexvar_ps(index, table.values); }

LABELSIEVE_TARGET inline void store(int32_t* out, I v) { _mm512_storeu_si512(out, v); }
LABELSIEVE_TARGET inline void store(float* out, F v) { _mm512_storeu_ps(out, v); }
// The low byte of each lane.
LABELSIEVE_TARGET inline void store_low_bytes(uint8_t* out, I v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm512_cvtepi32_epi8(v));
}

// Sixty-four one-byte values (one-byte labels), compared as unsigned bytes.
constexpr int64_t kByteLanes = 64;
using Bytes = __m512i;
LABELSIEVE_TARGET inline Bytes load_bytes(const uint8_t* at) { return _mm512_loadu_si512(at); }
// Bit j set where byte j equals `value` / is at least `bound` (both < 256).
LABELSIEVE_TARGET inline uint64_t equal_byte_bits(Bytes v, int64_t value) {
    return _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(static_cast<char>(value)));
}
LABELSIEVE_TARGET inline uint64_t at_least_byte_bits(Bytes v, int64_t bound) {
    return _mm512_cmpge_epu8_mask(v, _mm512_set1_epi8(static_cast<char>(bound)));
}

// kLanes labels as int32 lanes; false if one is outside [0, k).
template <class L>
LABELSIEVE_TARGET inline bool load_labels(const L* at, int64_t k, I& out) {
    if constexpr (sizeof(L) == 1) {
        out = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at)));
        return _mm512_cmp_epu32_mask(out, _mm512_set1_epi32(static_cast<int32_t>(std::min<int64_t>(k, 256))),
                                     _MM_CMPINT_LT) == 0xffff;
    } else if constexpr (sizeof(L) == 4) {
        out = _mm512_loadu_si512(at);
        return _mm512_cmp_epu32_mask(out, _mm512_set1_epi32(static_cast<int32_t>(k)), _MM_CMPINT_LT) == 0xffff;
    } else {
        const __m512i low = _mm512_loadu_si512(at), high = _mm512_loadu_si512(at + 8);
        const __m512i bound = _mm512_set1_epi64(k);
        const bool ok = (_mm512_cmp_epu64_mask(low, bound, _MM_CMPINT_LT) &
                         _mm512_cmp_epu64_mask(high, bound, _MM_CMPINT_LT)) == 0xff;
        out = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(low)), _mm512_cvtepi64_epi32(high), 1);
        return ok;
    }
}

}  // namespace labelsieve::avx512
