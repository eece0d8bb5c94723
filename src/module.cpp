// labelsieve._core: the C++ backend's primitives (contract in
// python/labelsieve/_backend.py).  Checks every argument, then runs the
// kernel on zero-copy views with the GIL released.
#include <optional>
#include <string>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "arguments.hpp"
#include "dispatch.hpp"
#include "interruptible.hpp"
#include "multilabel_binding.hpp"
#include "primitives.hpp"
#include "simd.hpp"

namespace py = pybind11;
using namespace labelsieve_binding;
using labelsieve::AccOf;
using labelsieve::EntropyOf;

namespace {

void class_sums(const py::object& labels, const py::object& pred_probs, const py::object& out_counts,
                const py::object& out_sums, int64_t n_threads, const py::object& out_range) {
    const LabelledProbs in = check_labelled_probs(labels, pred_probs);
    const int threads = check_threads(n_threads);
    with_float_and_label(in.kind, in.label_kind, [&](auto t, auto l) {
        using T = decltype(t);
        using L = decltype(l);
        py::array counts = check_output(out_counts, dtype_of<int64_t>(), in.k, "out_counts");
        py::array sums = check_output(out_sums, dtype_of<AccOf<T>>(), in.k, "out_sums");
        std::optional<py::array> range;
        if (!out_range.is_none()) range = check_output(out_range, dtype_of<AccOf<T>>(), 2, "out_range");
        run_without_gil(in.n * in.k, [&] {
            labelsieve::class_sums<T, L>(data_of<L>(in.labels), data_of<T>(in.probs), in.n, in.k,
                                         mutable_data_of<int64_t>(counts), mutable_data_of<AccOf<T>>(sums),
                                         range ? mutable_data_of<AccOf<T>>(*range) : nullptr, threads);
        });
    });
}

void joint_pass(const py::object& labels, const py::object& pred_probs, const py::object& cut, bool paper_rule,
                const py::object& out_guess, const py::object& out_joint, const py::object& out_flags,
                int64_t n_threads) {
    const LabelledProbs in = check_labelled_probs(labels, pred_probs);
    const int threads = check_threads(n_threads);
    with_float_and_label(in.kind, in.label_kind, [&](auto t, auto l) {
        using T = decltype(t);
        using L = decltype(l);
        py::array cut_arr = as_array(cut, "cut");
        require_dtype(cut_arr, dtype_of<AccOf<T>>(), "cut");
        require_ndim(cut_arr, 1, "cut");
        require_c_contiguous(cut_arr, "cut");
        require_length(cut_arr, 0, in.k, "cut", "entries (one per class)");
        // Per-row outputs: both, out_flags alone, or neither (only the counts are wanted).
        if (!out_guess.is_none() && out_flags.is_none()) {
            throw py::type_error("out_guess needs out_flags: pass both, out_flags alone, or neither");
        }
        std::optional<py::array> guess, flags;
        if (!out_guess.is_none()) guess = check_output(out_guess, dtype_of<int32_t>(), in.n, "out_guess");
        if (!out_flags.is_none()) flags = check_output(out_flags, dtype_of<uint8_t>(), in.n, "out_flags");
        py::array joint = as_array(out_joint, "out_joint");
        require_dtype(joint, dtype_of<int64_t>(), "out_joint");
        require_ndim(joint, 2, "out_joint");
        require_c_contiguous(joint, "out_joint");
        require_writeable(joint, "out_joint");
        require_length(joint, 0, in.k, "out_joint", "rows");
        require_length(joint, 1, in.k, "out_joint", "columns");
        run_without_gil(in.n * in.k, [&] {
            labelsieve::joint_pass<T, L>(data_of<L>(in.labels), data_of<T>(in.probs), in.n, in.k,
                                         data_of<AccOf<T>>(cut_arr), paper_rule,
                                         guess ? mutable_data_of<int32_t>(*guess) : nullptr,
                                         mutable_data_of<int64_t>(joint),
                                         flags ? mutable_data_of<uint8_t>(*flags) : nullptr, threads);
        });
    });
}

// row_stats for one (input type T, work type P) pair; `rows` is null or int64[count].
template <class T, class P, class L>
void run_row_stats(const LabelledProbs& in, const py::array* t, const py::array* tmax, const py::array* rows,
                   const py::object& out_self, const py::object& out_other, const py::object& out_range,
                   int threads) {
    const int64_t count = rows ? rows->shape(0) : in.n;
    py::array self_arr = check_output(out_self, dtype_of<P>(), count, "out_self");
    // out_other None (unshifted only, checked by the caller): the self-probabilities alone.
    std::optional<py::array> other_arr;
    if (!out_other.is_none()) other_arr = check_output(out_other, dtype_of<P>(), count, "out_other");
    // out_range (unshifted, every row: checked by the caller): value_range's result too.
    std::optional<py::array> range;
    if (!out_range.is_none()) range = check_output(out_range, dtype_of<AccOf<T>>(), 2, "out_range");
    const P* shift = t ? data_of<P>(*t) : nullptr;
    const P* shift_max = tmax ? data_of<P>(*tmax) : nullptr;
    const int64_t* row_list = rows ? data_of<int64_t>(*rows) : nullptr;
    run_without_gil(count * in.k, [&] {
        labelsieve::row_stats<T, P, L>(data_of<L>(in.labels), data_of<T>(in.probs), in.n, in.k, shift, shift_max,
                                       row_list, count, mutable_data_of<P>(self_arr),
                                       other_arr ? mutable_data_of<P>(*other_arr) : nullptr,
                                       range ? mutable_data_of<AccOf<T>>(*range) : nullptr, threads);
    });
}

// Optional row subset: None, or a 1-D C-contiguous int64 array of indices in [0, n).
std::optional<py::array> check_rows(const py::object& rows, int64_t n) {
    if (rows.is_none()) return std::nullopt;
    py::array arr = as_array(rows, "rows");
    require_dtype(arr, dtype_of<int64_t>(), "rows");
    require_ndim(arr, 1, "rows");
    require_c_contiguous(arr, "rows");
    const int64_t* values = data_of<int64_t>(arr);
    for (int64_t j = 0; j < arr.shape(0); ++j) {
        if (values[j] < 0 || values[j] >= n) throw py::value_error("rows must be row indices in [0, N)");
    }
    return arr;
}

void row_stats(const py::object& labels, const py::object& pred_probs, const py::object& shift,
               const py::object& out_self, const py::object& out_other, int64_t n_threads, const py::object& rows,
               const py::object& out_range) {
    const LabelledProbs in = check_labelled_probs(labels, pred_probs);
    const int threads = check_threads(n_threads);
    const std::optional<py::array> row_list = check_rows(rows, in.n);
    const py::array* row_ptr = row_list ? &*row_list : nullptr;
    if (!out_range.is_none() && (!shift.is_none() || row_list)) {
        throw py::type_error("out_range may be given only without a shift and without rows");
    }
    if (shift.is_none()) {
        with_float_and_label(in.kind, in.label_kind, [&](auto t, auto l) {
            using T = decltype(t);
            run_row_stats<T, T, decltype(l)>(in, nullptr, nullptr, row_ptr, out_self, out_other, out_range, threads);
        });
        return;
    }
    if (!py::isinstance<py::tuple>(shift) || py::len(shift) != 2) {
        throw py::type_error("shift must be None or a tuple (thresholds, [max_threshold])");
    }
    if (out_other.is_none()) throw py::type_error("out_other may be None only without a shift");
    py::tuple pair = py::reinterpret_borrow<py::tuple>(shift);
    py::array t = as_array(pair[0], "shift thresholds");
    py::array tmax = as_array(pair[1], "shift maximum");
    const FloatKind work = float_kind(t, "shift thresholds");
    require_ndim(t, 1, "shift thresholds");
    require_c_contiguous(t, "shift thresholds");
    require_length(t, 0, in.k, "shift thresholds", "entries (one per class)");
    require_dtype(tmax, t.dtype(), "shift maximum");
    require_ndim(tmax, 1, "shift maximum");
    require_length(tmax, 0, 1, "shift maximum", "entries");
    if (static_cast<int>(work) < static_cast<int>(in.kind)) {
        throw py::type_error("shift thresholds must not be narrower than pred_probs");
    }
    with_float_and_label(in.kind, in.label_kind, [&](auto t_tag, auto l) {
        using T = decltype(t_tag);
        using L = decltype(l);
        with_float(work, [&](auto p_tag) {
            using P = decltype(p_tag);
            if constexpr (sizeof(P) >= sizeof(T)) {
                run_row_stats<T, P, L>(in, &t, &tmax, row_ptr, out_self, out_other, out_range, threads);
            }
        });
    });
}

void value_range(const py::object& pred_probs, const py::object& out, int64_t n_threads) {
    int64_t n, k;
    FloatKind kind;
    py::array probs = check_probs(pred_probs, n, k, kind);
    const int threads = check_threads(n_threads);
    with_float(kind, [&](auto t) {
        using T = decltype(t);
        py::array out_arr = check_output(out, dtype_of<AccOf<T>>(), 2, "out");
        run_without_gil(n * k, [&] {
            labelsieve::value_range<T>(data_of<T>(probs), n * k, mutable_data_of<AccOf<T>>(out_arr), threads);
        });
    });
}

void entropy_sums(const py::object& pred_probs, const py::object& out, int64_t n_threads) {
    int64_t n, k;
    FloatKind kind;
    py::array probs = check_probs(pred_probs, n, k, kind);
    const int threads = check_threads(n_threads);
    with_float(kind, [&](auto t) {
        using T = decltype(t);
        using E = EntropyOf<T>;
        py::array out_arr = check_output(out, dtype_of<E>(), n, "out");
        run_without_gil(n * k, [&] {
            labelsieve::entropy_sums<T>(data_of<T>(probs), n, k, mutable_data_of<E>(out_arr), threads);
        });
    });
}

py::array check_int64_vector(const py::object& obj, int64_t length, const char* name) {
    py::array a = as_array(obj, name);
    require_dtype(a, dtype_of<int64_t>(), name);
    require_c_contiguous(a, name);
    if (a.size() != length) {
        throw py::value_error(std::string(name) + " must have " + std::to_string(length) + " entries, got " +
                              std::to_string(a.size()));
    }
    return a;
}

void prune_by_noise_rate(const py::object& labels, const py::object& pred_probs, const py::object& prune_counts,
                         const py::object& class_ok, const py::object& out_mask, int64_t n_threads) {
    const LabelledProbs in = check_labelled_probs(labels, pred_probs);
    const int threads = check_threads(n_threads);
    py::array counts = check_int64_vector(prune_counts, in.k * in.k, "prune_counts");
    require_ndim(counts, 2, "prune_counts");
    py::array ok = as_array(class_ok, "class_ok");
    require_dtype(ok, dtype_of<uint8_t>(), "class_ok");
    require_ndim(ok, 1, "class_ok");
    require_c_contiguous(ok, "class_ok");
    require_length(ok, 0, in.k, "class_ok", "entries (one per class)");
    py::array mask = check_output(out_mask, dtype_of<uint8_t>(), in.n, "out_mask");
    with_float_and_label(in.kind, in.label_kind, [&](auto t, auto l) {
        using T = decltype(t);
        using L = decltype(l);
        run_without_gil(in.n * in.k, [&] {
            labelsieve::prune_by_noise_rate<T, L>(data_of<L>(in.labels), data_of<T>(in.probs), in.n, in.k,
                                                  data_of<int64_t>(counts), data_of<uint8_t>(ok),
                                                  mutable_data_of<uint8_t>(mask), threads);
        });
    });
}

void prune_by_class(const py::object& labels, const py::object& pred_probs, const py::object& num_per_class,
                    const py::object& out_mask, int64_t n_threads) {
    const LabelledProbs in = check_labelled_probs(labels, pred_probs);
    const int threads = check_threads(n_threads);
    py::array num = check_int64_vector(num_per_class, in.k, "num_per_class");
    require_ndim(num, 1, "num_per_class");
    py::array mask = check_output(out_mask, dtype_of<uint8_t>(), in.n, "out_mask");
    with_float_and_label(in.kind, in.label_kind, [&](auto t, auto l) {
        using T = decltype(t);
        using L = decltype(l);
        run_without_gil(in.n * in.k, [&] {
            labelsieve::prune_by_class<T, L>(data_of<L>(in.labels), data_of<T>(in.probs), in.n, in.k,
                                             data_of<int64_t>(num), mutable_data_of<uint8_t>(mask), threads);
        });
    });
}

bool narrow_labels(const py::object& labels, int64_t k, const py::object& out, int64_t n_threads) {
    py::array in = as_array(labels, "labels");
    const LabelKind kind = label_kind(in, "labels");
    if (kind == LabelKind::uint8) throw py::type_error("labels must be int32 or int64 to be narrowed, got uint8");
    require_ndim(in, 1, "labels");
    require_c_contiguous(in, "labels");
    if (k < 1 || k > 256) throw py::value_error("k must be in 1..256 to narrow labels to one byte, got " + std::to_string(k));
    const int threads = check_threads(n_threads);
    const int64_t n = in.shape(0);
    py::array narrowed = check_output(out, dtype_of<uint8_t>(), n, "out");
    bool in_range = true;
    with_label(kind, [&](auto l) {
        using L = decltype(l);
        if constexpr (!std::is_same_v<L, uint8_t>) {  // refused above
            run_without_gil(n, [&] {
                in_range =
                    labelsieve::narrow_labels<L>(data_of<L>(in), n, k, mutable_data_of<uint8_t>(narrowed), threads);
            });
        }
    });
    return in_range;
}

void select_lowest(const py::object& scores, int64_t count, const py::object& out_mask, int64_t n_threads) {
    py::array s = as_array(scores, "scores");
    const FloatKind kind = float_kind(s, "scores");
    require_ndim(s, 1, "scores");
    require_c_contiguous(s, "scores");
    const int threads = check_threads(n_threads);
    const int64_t n = s.shape(0);
    py::array mask = check_output(out_mask, dtype_of<uint8_t>(), n, "out_mask");
    with_float(kind, [&](auto t) {
        using T = decltype(t);
        run_without_gil(n, [&] {
            labelsieve::select_lowest<T>(data_of<T>(s), n, count, mutable_data_of<uint8_t>(mask), threads);
        });
    });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
    m.doc() = "labelsieve's C++ backend: the primitives documented in labelsieve._backend";
    m.def("class_sums", &class_sums, py::arg("labels"), py::arg("pred_probs"), py::arg("out_counts"),
          py::arg("out_sums"), py::arg("n_threads"), py::arg("out_range") = py::none());
    m.def("joint_pass", &joint_pass, py::arg("labels"), py::arg("pred_probs"), py::arg("cut"),
          py::arg("paper_rule"), py::arg("out_guess"), py::arg("out_joint"), py::arg("out_flags"),
          py::arg("n_threads"));
    m.def("row_stats", &row_stats, py::arg("labels"), py::arg("pred_probs"), py::arg("shift"), py::arg("out_self"),
          py::arg("out_other"), py::arg("n_threads"), py::arg("rows") = py::none(),
          py::arg("out_range") = py::none());
    m.def("value_range", &value_range, py::arg("pred_probs"), py::arg("out"), py::arg("n_threads"));
    // The kernels read uint8 labels too: the Python layer narrows labels to them when K <= 256.
    m.attr("reads_one_byte_labels") = true;
    m.def("narrow_labels", &narrow_labels, py::arg("labels"), py::arg("k"), py::arg("out"), py::arg("n_threads"));
    m.def("entropy_sums", &entropy_sums, py::arg("pred_probs"), py::arg("out"), py::arg("n_threads"));
    m.def("prune_by_noise_rate", &prune_by_noise_rate, py::arg("labels"), py::arg("pred_probs"),
          py::arg("prune_counts"), py::arg("class_ok"), py::arg("out_mask"), py::arg("n_threads"));
    m.def("prune_by_class", &prune_by_class, py::arg("labels"), py::arg("pred_probs"), py::arg("num_per_class"),
          py::arg("out_mask"), py::arg("n_threads"));
    m.def("select_lowest", &select_lowest, py::arg("scores"), py::arg("count"), py::arg("out_mask"),
          py::arg("n_threads"));
    m.def(
        "simd_level",
        [] {
            switch (labelsieve::simd_level()) {
                case labelsieve::SimdLevel::avx512: return "avx512";
                case labelsieve::SimdLevel::avx2: return "avx2";
                default: return "portable";
            }
        },
        "The SIMD loops this CPU runs now: 'avx512', 'avx2' or 'portable' (LABELSIEVE_SIMD=off or avx2 lowers it).");
    register_multilabel(m);
}
