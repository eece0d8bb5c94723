// The three selection primitives, all expressed as "best m rows per cell" for
// the one order defined in top_m.hpp (key descending, then row ascending).
#include <vector>

#include "instantiate.hpp"
#include "labels.hpp"
#include "primitives.hpp"
#include "top_m.hpp"

namespace labelsieve {

template <class T, class L>
void prune_by_noise_rate(const L* labels, const T* p, int64_t n, int64_t k, const int64_t* prune_counts,
                         const uint8_t* class_ok, uint8_t* out_mask, int n_threads) {
    using F = FloatType<T>;
    using V = ValueOf<T>;
    // One cell per (given class, true class) pair that has something to flag.
    struct Cell {
        int64_t true_class;
        size_t slot;
    };
    std::vector<std::vector<Cell>> cells_of_class(static_cast<size_t>(k));
    std::vector<int64_t> cell_sizes;
    for (int64_t given = 0; given < k; ++given) {
        if (!class_ok[given]) continue;
        for (int64_t true_class = 0; true_class < k; ++true_class) {
            const int64_t m = prune_counts[true_class * k + given];
            if (true_class == given || m <= 0) continue;
            cells_of_class[static_cast<size_t>(given)].push_back(Cell{true_class, cell_sizes.size()});
            cell_sizes.push_back(m);
        }
    }
    LabelGuard guard(k);
    auto visit = [&](int64_t i, auto& offer) {
        const L y = labels[i];
        if (!guard.ok(y)) return;
        const T* row = p + i * k;
        const V own = F::load(row[y]);
        for (const Cell& cell : cells_of_class[static_cast<size_t>(y)]) {
            offer(cell.slot, F::round(F::load(row[cell.true_class]) - own), i);
        }
    };
    select_rows<V>(n, n_threads, cell_sizes, visit, out_mask);
    guard.throw_if_bad();
}

template <class T, class L>
void prune_by_class(const L* labels, const T* p, int64_t n, int64_t k, const int64_t* num_per_class,
                    uint8_t* out_mask, int n_threads) {
    using F = FloatType<T>;
    using V = ValueOf<T>;
    std::vector<int64_t> cell_sizes(num_per_class, num_per_class + k);
    LabelGuard guard(k);
    auto visit = [&](int64_t i, auto& offer) {
        const L y = labels[i];
        if (!guard.ok(y)) return;
        if (cell_sizes[static_cast<size_t>(y)] > 0) offer(static_cast<size_t>(y), -F::load(p[i * k + y]), i);
    };
    select_rows<V>(n, n_threads, cell_sizes, visit, out_mask);
    guard.throw_if_bad();
}

template <class T>
void select_lowest(const T* scores, int64_t n, int64_t count, uint8_t* out_mask, int n_threads) {
    using V = ValueOf<T>;
    auto visit = [&](int64_t i, auto& offer) { offer(size_t{0}, -FloatType<T>::load(scores[i]), i); };
    select_rows<V>(n, n_threads, std::vector<int64_t>{count}, visit, out_mask);
}

#define LABELSIEVE_INSTANTIATE_LABELLED(T, L)                                                            \
    template void prune_by_noise_rate<T, L>(const L*, const T*, int64_t, int64_t, const int64_t*,        \
                                            const uint8_t*, uint8_t*, int);                              \
    template void prune_by_class<T, L>(const L*, const T*, int64_t, int64_t, const int64_t*, uint8_t*, int);
LABELSIEVE_FOR_EACH_FLOAT_AND_LABEL(LABELSIEVE_INSTANTIATE_LABELLED)

#define LABELSIEVE_INSTANTIATE(T) template void select_lowest<T>(const T*, int64_t, int64_t, uint8_t*, int);
LABELSIEVE_FOR_EACH_FLOAT(LABELSIEVE_INSTANTIATE)

}  // namespace labelsieve
