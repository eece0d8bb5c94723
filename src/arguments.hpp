// Argument checks for the binding layer: every check names the argument and
// raises TypeError (wrong kind of object / dtype) or ValueError (wrong shape,
// layout, writability), so the C++ core only ever sees valid views.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

namespace labelsieve_binding {

namespace py = pybind11;

// The probability element types the core supports, by itemsize.
enum class FloatKind { half = 2, single = 4, dbl = 8 };

py::array as_array(const py::object& obj, const char* name);
FloatKind float_kind(const py::array& a, const char* name);
// The label element types the core supports.
enum class LabelKind { int32, int64, uint8 };
LabelKind label_kind(const py::array& a, const char* name);
void require_dtype(const py::array& a, const py::dtype& dtype, const char* name);
void require_ndim(const py::array& a, int ndim, const char* name);
// C-contiguous and aligned to the element size (what the kernels may load directly).
void require_c_contiguous(const py::array& a, const char* name);
void require_writeable(const py::array& a, const char* name);
void require_length(const py::array& a, int64_t axis, int64_t expected, const char* name, const char* what);
int check_threads(int64_t n_threads);

// The input pair shared by most primitives: labels[n] and pred_probs[n, k].
struct LabelledProbs {
    py::array labels;
    py::array probs;
    int64_t n;
    int64_t k;
    FloatKind kind;
    LabelKind label_kind;
};
LabelledProbs check_labelled_probs(const py::object& labels, const py::object& pred_probs);
py::array check_probs(const py::object& pred_probs, int64_t& n, int64_t& k, FloatKind& kind);

// An output array of the given dtype and exact length, C-contiguous and writeable.
py::array check_output(const py::object& obj, const py::dtype& dtype, int64_t length, const char* name);

}  // namespace labelsieve_binding
