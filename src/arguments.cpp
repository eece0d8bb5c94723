#include "arguments.hpp"

#include <cstdint>

namespace labelsieve_binding {

namespace {
std::string dtype_name(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }
}  // namespace

py::array as_array(const py::object& obj, const char* name) {
    if (!py::isinstance<py::array>(obj)) {
        throw py::type_error(std::string(name) + " must be a numpy.ndarray, got " +
                             py::str(py::type::of(obj)).cast<std::string>());
    }
    return py::reinterpret_borrow<py::array>(obj);
}

FloatKind float_kind(const py::array& a, const char* name) {
    const py::dtype dt = a.dtype();
    if (dt.kind() == 'f' && dt.byteorder() != '>') {
        switch (dt.itemsize()) {
            case 2: return FloatKind::half;
            case 4: return FloatKind::single;
            case 8: return FloatKind::dbl;
            default: break;
        }
    }
    throw py::type_error(std::string(name) + " must have dtype float16, float32 or float64 (native byte order), got " +
                         dtype_name(a));
}

LabelKind label_kind(const py::array& a, const char* name) {
    const py::dtype dt = a.dtype();
    if (dt.kind() == 'i' && dt.byteorder() != '>' && (dt.itemsize() == 4 || dt.itemsize() == 8)) {
        return dt.itemsize() == 8 ? LabelKind::int64 : LabelKind::int32;
    }
    if (dt.kind() == 'u' && dt.itemsize() == 1) return LabelKind::uint8;
    throw py::type_error(std::string(name) + " must have dtype int32, int64 or uint8, got " + dtype_name(a));
}

void require_dtype(const py::array& a, const py::dtype& dtype, const char* name) {
    if (!a.dtype().equal(dtype)) {
        throw py::type_error(std::string(name) + " must have dtype " + py::str(dtype).cast<std::string>() + ", got " +
                             dtype_name(a));
    }
}

void require_ndim(const py::array& a, int ndim, const char* name) {
    if (a.ndim() != ndim) {
        throw py::value_error(std::string(name) + " must be " + std::to_string(ndim) + "-dimensional, got " +
                              std::to_string(a.ndim()) + " dimensions");
    }
}

void require_c_contiguous(const py::array& a, const char* name) {
    if (!(a.flags() & py::array::c_style)) {
        throw py::value_error(std::string(name) + " must be C-contiguous (use numpy.ascontiguousarray)");
    }
    // The kernels load whole elements: a misaligned buffer (e.g. a view at an odd byte
    // offset) is undefined behaviour in C++, so it is refused here rather than read.
    if (a.itemsize() > 1 && reinterpret_cast<std::uintptr_t>(a.data()) % static_cast<std::uintptr_t>(a.itemsize()) != 0) {
        throw py::value_error(std::string(name) + " must be aligned to its element size (use numpy.require(..., requirements='CA'))");
    }
}

void require_writeable(const py::array& a, const char* name) {
    if (!a.writeable()) throw py::value_error(std::string(name) + " must be writeable");
}

void require_length(const py::array& a, int64_t axis, int64_t expected, const char* name, const char* what) {
    if (a.shape(axis) != expected) {
        throw py::value_error(std::string(name) + " must have " + std::to_string(expected) + " " + what + ", got " +
                              std::to_string(a.shape(axis)));
    }
}

int check_threads(int64_t n_threads) {
    if (n_threads < 1 || n_threads > 4096) {
        throw py::value_error("n_threads must be between 1 and 4096, got " + std::to_string(n_threads));
    }
    return static_cast<int>(n_threads);
}

py::array check_probs(const py::object& pred_probs, int64_t& n, int64_t& k, FloatKind& kind) {
    py::array probs = as_array(pred_probs, "pred_probs");
    kind = float_kind(probs, "pred_probs");
    require_ndim(probs, 2, "pred_probs");
    require_c_contiguous(probs, "pred_probs");
    n = probs.shape(0);
    k = probs.shape(1);
    if (k < 1) throw py::value_error("pred_probs must have at least one column");
    return probs;
}

LabelledProbs check_labelled_probs(const py::object& labels, const py::object& pred_probs) {
    LabelledProbs in;
    in.probs = check_probs(pred_probs, in.n, in.k, in.kind);
    in.labels = as_array(labels, "labels");
    in.label_kind = label_kind(in.labels, "labels");
    require_ndim(in.labels, 1, "labels");
    require_c_contiguous(in.labels, "labels");
    require_length(in.labels, 0, in.n, "labels", "entries (one per row of pred_probs)");
    return in;
}

py::array check_output(const py::object& obj, const py::dtype& dtype, int64_t length, const char* name) {
    py::array out = as_array(obj, name);
    require_dtype(out, dtype, name);
    require_ndim(out, 1, name);
    require_c_contiguous(out, name);
    require_writeable(out, name);
    require_length(out, 0, length, name, "entries");
    return out;
}

}  // namespace labelsieve_binding
