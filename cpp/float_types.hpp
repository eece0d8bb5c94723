// The three probability types and the arithmetic NumPy performs on each.
//   Value  : the type a stored element is widened to, exactly (half -> float).
//   Acc    : NumPy's accumulator for sums of this type (float32 for half/float).
//   round(): rounds a Value-typed result back to the stored precision, so
//            "an operation in T" is round(a op b).
#pragma once
#include <cstdint>

#include "half.hpp"

namespace labelsieve {

struct Half {
    uint16_t bits;
};

template <class T>
struct FloatType;

template <>
struct FloatType<Half> {
    using Value = float;
    using Acc = float;
    static Value load(Half h) { return half_bits_to_float(h.bits); }
    static Value round(float v) { return round_to_half(v); }
    static Half store(float v) { return Half{float_to_half_bits(v)}; }
    static constexpr const char* name = "float16";
};

template <>
struct FloatType<float> {
    using Value = float;
    using Acc = float;
    static Value load(float v) { return v; }
    static Value round(float v) { return v; }
    static float store(float v) { return v; }
    static constexpr const char* name = "float32";
};

template <>
struct FloatType<double> {
    using Value = double;
    using Acc = double;
    static Value load(double v) { return v; }
    static Value round(double v) { return v; }
    static double store(double v) { return v; }
    static constexpr const char* name = "float64";
};

template <class T>
using ValueOf = typename FloatType<T>::Value;
template <class T>
using AccOf = typename FloatType<T>::Acc;

}  // namespace labelsieve
