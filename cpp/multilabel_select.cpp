// Selection for the multi-label prune filters: the 2K cells (class, given
// side) of all one-vs-rest problems are filled in one scan of the rows by the
// shared top-m machinery (top_m.hpp).  A (row, class) pair competes under the
// id row * k + class, which keeps the row-ascending tie order inside a cell.
#include <vector>

#include "multilabel.hpp"
#include "top_m.hpp"

namespace labelsieve {

template <class T>
void multilabel_select(const uint8_t* onehot, const T* p, int64_t n, int64_t k, const int64_t* sizes,
                       bool by_margin, uint8_t* out_mask, int n_threads) {
    using F = FloatType<T>;
    using V = ValueOf<T>;
    std::vector<int64_t> cell_sizes(sizes, sizes + 2 * k);
    auto visit = [&](int64_t i, auto& sink) {
        const T* row = p + i * k;
        const uint8_t* labels = onehot + i * k;
        const V* floors = sink.floors();  // +inf for empty cells
        for (int64_t c = 0; c < k; ++c) {
            const int y = labels[c] != 0;
            const int64_t cell = 2 * c + y;
            const V one = F::load(row[c]);
            const V zero = F::round(V(1) - one);
            const V own = y ? one : zero;
            const V key = by_margin ? F::round((y ? zero : one) - own) : -own;
            if (key >= floors[cell]) sink.offer(static_cast<size_t>(cell), key, i * k + c);
        }
    };
    // select_rows caps each cell at n members, which a cell can never exceed;
    // ids run to n * k (they decide whether they fit packed entries).
    select_rows<V>(n, n * k, n_threads, cell_sizes, each_row(visit), out_mask);
}

#define LABELSIEVE_INSTANTIATE(T) \
    template void multilabel_select<T>(const uint8_t*, const T*, int64_t, int64_t, const int64_t*, bool, uint8_t*, int);
LABELSIEVE_INSTANTIATE(Half)
LABELSIEVE_INSTANTIATE(float)
LABELSIEVE_INSTANTIATE(double)
#undef LABELSIEVE_INSTANTIATE

}  // namespace labelsieve
