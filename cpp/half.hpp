// IEEE binary16 <-> binary32 conversion, bit exact and portable.
// NumPy does float16 arithmetic as: widen to float32, operate, round back to
// half with round-to-nearest-even.  These two functions are that rounding.
#pragma once
#include <cstdint>
#include <cstring>

namespace labelsieve {

inline float half_bits_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu;
    const uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24, exact in float32.
        float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
        std::memcpy(&bits, &magnitude, 4);
        bits |= sign;
    } else if (exponent == 31) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    }
    float out;
    std::memcpy(&out, &bits, 4);
    return out;
}

inline uint16_t float_to_half_bits(float value) {
    uint32_t x;
    std::memcpy(&x, &value, 4);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t magnitude = x & 0x7fffffffu;
    if (magnitude >= 0x7f800000u) {  // inf or NaN (keep NaN quiet and non-zero)
        const uint32_t payload = magnitude > 0x7f800000u ? (0x200u | ((magnitude >> 13) & 0x3ffu)) : 0u;
        return static_cast<uint16_t>(sign | 0x7c00u | payload);
    }
    if (magnitude >= 0x477ff000u) {  // >= 65520 rounds to infinity
        return static_cast<uint16_t>(sign | 0x7c00u);
    }
    if (magnitude < 0x38800000u) {  // below 2^-14: half subnormal or zero
        if (magnitude <= 0x33000000u) {  // <= 2^-25 (the tie goes to even zero)
            return static_cast<uint16_t>(sign);
        }
        const uint32_t exponent = magnitude >> 23;
        const uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
        const uint32_t shift = 126u - exponent;
        uint32_t rounded = significand >> shift;
        const uint32_t remainder = significand & ((1u << shift) - 1u);
        const uint32_t halfway = 1u << (shift - 1u);
        if (remainder > halfway || (remainder == halfway && (rounded & 1u))) ++rounded;
        return static_cast<uint16_t>(sign | rounded);
    }
    uint32_t rounded = (magnitude - 0x38000000u) >> 13;  // rebias 127 -> 15
    const uint32_t remainder = magnitude & 0x1fffu;
    if (remainder > 0x1000u || (remainder == 0x1000u && (rounded & 1u))) ++rounded;  // may carry to inf
    return static_cast<uint16_t>(sign | rounded);
}

// Round a float32 to the nearest half and return it widened again.
inline float round_to_half(float value) { return half_bits_to_float(float_to_half_bits(value)); }

}  // namespace labelsieve
