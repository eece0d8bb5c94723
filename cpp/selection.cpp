// The three selection primitives, all expressed as "best m rows per cell" for
// the one order defined in top_m.hpp (key descending, then row ascending).
#include <cstdint>
#include <type_traits>
#include <vector>

#include "cancel.hpp"
#include "grouped_selection.hpp"
#include "instantiate.hpp"
#include "labels.hpp"
#include "primitives.hpp"
#include "simd.hpp"
#include "top_m.hpp"

namespace labelsieve {

namespace {

constexpr int64_t kGroupByLabelFromK = 32;

}  // namespace

template <class T, class L>
void prune_by_noise_rate(const L* labels, const T* p, int64_t n, int64_t k, const int64_t* prune_counts,
                         const uint8_t* class_ok, uint8_t* out_mask, int n_threads) {
    using F = FloatType<T>;
    using V = ValueOf<T>;
    // Dense cells: cell given * k + true_class, sized by prune_counts[true_class, given].
    std::vector<int64_t> cell_sizes(static_cast<size_t>(k * k), 0);
    for (int64_t given = 0; given < k; ++given) {
        if (!class_ok[given]) continue;
        for (int64_t true_class = 0; true_class < k; ++true_class) {
            if (true_class != given) cell_sizes[given * k + true_class] = prune_counts[true_class * k + given];
        }
    }
    LabelGuard guard(k);
    const SimdLevel simd = simd_level();
    // y: the row's label (read by the caller, known for rows of a label group).
    auto visit_row = [&](int64_t i, int64_t y, auto& sink) {
        if (!guard.ok(y)) return;
        const T* row = p + i * k;
        const V own = F::load(row[y]);
        const V* floors = sink.floors() + y * k;  // +inf for j == y and for empty cells
        for (int64_t j = 0; j < k; ++j) {
            const V key = F::round(F::load(row[j]) - own);
            if (key >= floors[j]) sink.offer(static_cast<size_t>(y * k + j), key, i);
        }
    };
    // Rows first, first + stride, ... < last, or row_list[those] when given
    // (rows that all have the label list_label).
    auto visit = [&](const uint32_t* row_list, int64_t list_label, int64_t first, int64_t last, int64_t stride,
                     auto& sink) {
        if constexpr (kSimdBuilt && !std::is_same_v<T, double>) {
            if (simd != SimdLevel::portable) {
                if (!noise_rate_rows_simd<T, L>(simd, labels, p, k, row_list, list_label, first, last, stride, sink)) {
                    guard.mark_bad();
                }
                return;
            }
        }
        for (int64_t v = first; v < last; v += stride) {
            check_stop_every(v);
            if (row_list) {
                visit_row(static_cast<int64_t>(row_list[v]), list_label, sink);
            } else {
                visit_row(v, static_cast<int64_t>(labels[v]), sink);
            }
        }
    };
    // With many classes, rows grouped by label keep each label's sets in
    // cache (one task per label); the row index list needs 4 bytes per row.
    if (k >= kGroupByLabelFromK && n <= static_cast<int64_t>(UINT32_MAX)) {
        const RowGroups groups(labels, n, k, guard);
        guard.throw_if_bad();
        select_rows_by_group<V>(
            groups, k, n_threads, cell_sizes,
            [&](int64_t label, const uint32_t* rows, int64_t count, int64_t stride, auto& sink) {
                visit(rows, label, 0, count, stride, sink);
            },
            out_mask);
        return;
    }
    select_rows<V>(
        n, n, n_threads, cell_sizes,
        [&](int64_t first, int64_t last, int64_t stride, auto& sink) { visit(nullptr, -1, first, last, stride, sink); },
        out_mask);
    guard.throw_if_bad();
}

template <class T, class L>
void prune_by_class(const L* labels, const T* p, int64_t n, int64_t k, const int64_t* num_per_class,
                    uint8_t* out_mask, int n_threads) {
    using F = FloatType<T>;
    using V = ValueOf<T>;
    std::vector<int64_t> cell_sizes(num_per_class, num_per_class + k);
    LabelGuard guard(k);
    auto visit = [&](int64_t i, auto& sink) {
        const L y = labels[i];
        if (!guard.ok(y)) return;
        sink.offer(static_cast<size_t>(y), -F::load(p[i * k + y]), i);
    };
    select_rows<V>(n, n, n_threads, cell_sizes, each_row(visit), out_mask);
    guard.throw_if_bad();
}

template <class T>
void select_lowest(const T* scores, int64_t n, int64_t count, uint8_t* out_mask, int n_threads) {
    using V = ValueOf<T>;
    auto visit = [&](int64_t i, auto& sink) { sink.offer(0, -FloatType<T>::load(scores[i]), i); };
    select_rows<V>(n, n, n_threads, std::vector<int64_t>{count}, each_row(visit), out_mask);
}

#define LABELSIEVE_INSTANTIATE_LABELLED(T, L)                                                            \
    template void prune_by_noise_rate<T, L>(const L*, const T*, int64_t, int64_t, const int64_t*,        \
                                            const uint8_t*, uint8_t*, int);                              \
    template void prune_by_class<T, L>(const L*, const T*, int64_t, int64_t, const int64_t*, uint8_t*, int);
LABELSIEVE_FOR_EACH_FLOAT_AND_LABEL(LABELSIEVE_INSTANTIATE_LABELLED)

#define LABELSIEVE_INSTANTIATE(T) template void select_lowest<T>(const T*, int64_t, int64_t, uint8_t*, int);
LABELSIEVE_FOR_EACH_FLOAT(LABELSIEVE_INSTANTIATE)

}  // namespace labelsieve
