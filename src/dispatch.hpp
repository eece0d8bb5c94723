// Turn the runtime dtypes of an array into the C++ types of a kernel call:
// call f(T{}, L{}) with T in {Half, float, double} and L in {int32_t, int64_t, uint8_t}.
#pragma once
#include <cstdint>

#include "arguments.hpp"
#include "float_types.hpp"

namespace labelsieve_binding {

template <class F>
decltype(auto) with_float(FloatKind kind, F&& f) {
    switch (kind) {
        case FloatKind::half: return f(labelsieve::Half{});
        case FloatKind::single: return f(float{});
        case FloatKind::dbl: break;
    }
    return f(double{});
}

template <class F>
decltype(auto) with_label(LabelKind kind, F&& f) {
    switch (kind) {
        case LabelKind::int64: return f(int64_t{});
        case LabelKind::uint8: return f(uint8_t{});
        case LabelKind::int32: break;
    }
    return f(int32_t{});
}

template <class F>
decltype(auto) with_float_and_label(FloatKind kind, LabelKind labels, F&& f) {
    return with_float(kind, [&](auto tag) { return with_label(labels, [&](auto label) { return f(tag, label); }); });
}

// The NumPy dtype that holds a C++ element type.
template <class T>
pybind11::dtype dtype_of() {
    if constexpr (std::is_same_v<T, labelsieve::Half>) {
        return pybind11::dtype("float16");
    } else {
        return pybind11::dtype::of<T>();
    }
}

template <class T>
const T* data_of(const pybind11::array& a) {
    return static_cast<const T*>(a.data());
}

template <class T>
T* mutable_data_of(pybind11::array& a) {
    return static_cast<T*>(a.mutable_data());
}

}  // namespace labelsieve_binding
