// Binding of the multi-label primitives: argument checks, then the kernel on
// zero-copy views with the GIL released (contract in labelsieve._backend).
#include "multilabel_binding.hpp"

#include <pybind11/numpy.h>

#include <string>

#include "arguments.hpp"
#include "dispatch.hpp"
#include "interruptible.hpp"
#include "multilabel.hpp"

namespace py = pybind11;

namespace labelsieve_binding {

namespace {

struct MultiLabelled {
    py::array onehot;
    py::array probs;
    int64_t n;
    int64_t k;
    FloatKind kind;
};

MultiLabelled check_multilabelled(const py::object& onehot, const py::object& pred_probs) {
    MultiLabelled in;
    in.probs = check_probs(pred_probs, in.n, in.k, in.kind);
    in.onehot = as_array(onehot, "onehot");
    require_dtype(in.onehot, dtype_of<uint8_t>(), "onehot");
    require_ndim(in.onehot, 2, "onehot");
    require_c_contiguous(in.onehot, "onehot");
    require_length(in.onehot, 0, in.n, "onehot", "rows (one per row of pred_probs)");
    require_length(in.onehot, 1, in.k, "onehot", "columns (one per class)");
    return in;
}

// A C-contiguous writeable output with exactly `size` elements of `dtype`.
py::array check_sized_output(const py::object& obj, const py::dtype& dtype, int64_t size, const char* name) {
    py::array out = as_array(obj, name);
    require_dtype(out, dtype, name);
    require_c_contiguous(out, name);
    require_writeable(out, name);
    if (out.size() != size) {
        throw py::value_error(std::string(name) + " must have " + std::to_string(size) + " elements, got " +
                              std::to_string(out.size()));
    }
    return out;
}

void multilabel_sums(const py::object& onehot, const py::object& pred_probs, const py::object& out_counts,
                     const py::object& out_sums, int64_t n_threads) {
    const MultiLabelled in = check_multilabelled(onehot, pred_probs);
    const int threads = check_threads(n_threads);
    with_float(in.kind, [&](auto t) {
        using T = decltype(t);
        using A = labelsieve::AccOf<T>;
        py::array counts = check_output(out_counts, dtype_of<int64_t>(), in.k, "out_counts");
        py::array sums = check_sized_output(out_sums, dtype_of<A>(), 2 * in.k, "out_sums");
        run_without_gil(in.n * in.k, [&] {
            labelsieve::multilabel_sums<T>(data_of<uint8_t>(in.onehot), data_of<T>(in.probs), in.n, in.k,
                                           mutable_data_of<int64_t>(counts), mutable_data_of<A>(sums), threads);
        });
    });
}

void multilabel_joint_pass(const py::object& onehot, const py::object& pred_probs, const py::object& cut,
                           const py::object& out_joint, const py::object& out_codes, int64_t n_threads) {
    const MultiLabelled in = check_multilabelled(onehot, pred_probs);
    const int threads = check_threads(n_threads);
    with_float(in.kind, [&](auto t) {
        using T = decltype(t);
        using A = labelsieve::AccOf<T>;
        py::array cut_arr = as_array(cut, "cut");
        require_dtype(cut_arr, dtype_of<A>(), "cut");
        require_c_contiguous(cut_arr, "cut");
        if (cut_arr.size() != 2 * in.k) {
            throw py::value_error("cut must have " + std::to_string(2 * in.k) + " entries (two per class)");
        }
        py::array joint = check_sized_output(out_joint, dtype_of<int64_t>(), 4 * in.k, "out_joint");
        py::array codes = check_sized_output(out_codes, dtype_of<uint8_t>(), in.n * in.k, "out_codes");
        run_without_gil(in.n * in.k, [&] {
            labelsieve::multilabel_joint_pass<T>(data_of<uint8_t>(in.onehot), data_of<T>(in.probs), in.n, in.k,
                                                 data_of<A>(cut_arr), mutable_data_of<int64_t>(joint),
                                                 mutable_data_of<uint8_t>(codes), threads);
        });
    });
}

void multilabel_select(const py::object& onehot, const py::object& pred_probs, const py::object& sizes,
                       bool by_margin, const py::object& out_mask, int64_t n_threads) {
    const MultiLabelled in = check_multilabelled(onehot, pred_probs);
    const int threads = check_threads(n_threads);
    py::array sizes_arr = as_array(sizes, "sizes");
    require_dtype(sizes_arr, dtype_of<int64_t>(), "sizes");
    require_c_contiguous(sizes_arr, "sizes");
    if (sizes_arr.size() != 2 * in.k) {
        throw py::value_error("sizes must have " + std::to_string(2 * in.k) + " entries (two per class)");
    }
    py::array mask = check_sized_output(out_mask, dtype_of<uint8_t>(), in.n * in.k, "out_mask");
    with_float(in.kind, [&](auto t) {
        using T = decltype(t);
        run_without_gil(in.n * in.k, [&] {
            labelsieve::multilabel_select<T>(data_of<uint8_t>(in.onehot), data_of<T>(in.probs), in.n, in.k,
                                             data_of<int64_t>(sizes_arr), by_margin, mutable_data_of<uint8_t>(mask),
                                             threads);
        });
    });
}

void multilabel_ema_scores(const py::object& onehot, const py::object& pred_probs, bool margin, double alpha,
                           const py::object& out, int64_t n_threads) {
    const MultiLabelled in = check_multilabelled(onehot, pred_probs);
    const int threads = check_threads(n_threads);
    if (in.k < 1) throw py::value_error("pred_probs must have at least one column");
    py::array out_arr = check_output(out, dtype_of<double>(), in.n, "out");
    with_float(in.kind, [&](auto t) {
        using T = decltype(t);
        run_without_gil(in.n * in.k, [&] {
            labelsieve::multilabel_ema_scores<T>(data_of<uint8_t>(in.onehot), data_of<T>(in.probs), in.n, in.k,
                                                 margin, alpha, mutable_data_of<double>(out_arr), threads);
        });
    });
}

}  // namespace

void register_multilabel(py::module_& m) {
    m.def("multilabel_sums", &multilabel_sums, py::arg("onehot"), py::arg("pred_probs"), py::arg("out_counts"),
          py::arg("out_sums"), py::arg("n_threads"));
    m.def("multilabel_joint_pass", &multilabel_joint_pass, py::arg("onehot"), py::arg("pred_probs"), py::arg("cut"),
          py::arg("out_joint"), py::arg("out_codes"), py::arg("n_threads"));
    m.def("multilabel_select", &multilabel_select, py::arg("onehot"), py::arg("pred_probs"), py::arg("sizes"),
          py::arg("by_margin"), py::arg("out_mask"), py::arg("n_threads"));
    m.def("multilabel_ema_scores", &multilabel_ema_scores, py::arg("onehot"), py::arg("pred_probs"),
          py::arg("margin"), py::arg("alpha"), py::arg("out"), py::arg("n_threads"));
}

}  // namespace labelsieve_binding
