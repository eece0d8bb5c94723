// Top-m selection under one total order, shared by every selection primitive.
//
// Order: larger key first; equal keys by ascending row index; NaN keys last.
// Because the order is total, "the best m rows" is one well-defined set, so
// per-thread candidate sets can be merged in any order with the same result.
//
// TopM keeps a buffer of at most 2m candidates: when it fills, nth_element
// cuts it back to the best m and remembers the worst kept one, which then
// rejects most later offers with one comparison (amortised O(1) per offer).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "thread_pool.hpp"

namespace labelsieve {

template <class Key>
struct Candidate {
    Key key;
    int64_t row;
};

template <class Key>
inline bool ranks_before(const Candidate<Key>& a, const Candidate<Key>& b) {
    const bool a_nan = std::isnan(a.key), b_nan = std::isnan(b.key);
    if (a_nan != b_nan) return b_nan;
    if (!a_nan && a.key != b.key) return a.key > b.key;
    return a.row < b.row;
}

template <class Key>
class TopM {
public:
    explicit TopM(int64_t m = 0) : m_(m) {}

    void offer(Key key, int64_t row) {
        if (m_ <= 0) return;
        if (full_ && key < worst_.key) return;  // the common case, decided by one compare
        const Candidate<Key> candidate{key, row};
        if (full_ && !ranks_before(candidate, worst_)) return;
        items_.push_back(candidate);
        if (static_cast<int64_t>(items_.size()) >= 2 * m_ + 16) shrink();
    }

    void merge_from(const TopM& other) {
        for (const auto& c : other.items_) offer(c.key, c.row);
    }

    // The selected rows (in no particular order).
    template <class F>
    void for_each_selected(F&& f) {
        shrink();
        for (const auto& c : items_) f(c.row);
    }

private:
    void shrink() {
        if (m_ <= 0) {
            items_.clear();
            return;
        }
        if (static_cast<int64_t>(items_.size()) <= m_) return;
        std::nth_element(items_.begin(), items_.begin() + (m_ - 1), items_.end(), ranks_before<Key>);
        items_.resize(static_cast<size_t>(m_));
        worst_ = items_[static_cast<size_t>(m_ - 1)];
        full_ = true;
    }

    int64_t m_;
    bool full_ = false;
    Candidate<Key> worst_{};
    std::vector<Candidate<Key>> items_;
};

// Run a selection over rows [0, n): visit_row(row, offer) calls
// offer(cell, key) for each cell the row competes in; every cell c keeps its
// best cell_sizes[c] rows; out_mask[row] = 1 for every selected row.
// Workers scan contiguous row ranges with private TopM sets that are merged
// afterwards, so the result is independent of n_threads.
template <class Key, class VisitRow>
void select_rows(int64_t n, int n_threads, const std::vector<int64_t>& cell_sizes, VisitRow visit_row,
                 uint8_t* out_mask) {
    const size_t n_cells = cell_sizes.size();
    if (n_cells == 0 || n == 0) return;
    const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(n_threads, n)));
    std::vector<std::vector<TopM<Key>>> per_worker(static_cast<size_t>(parts));
    parallel_ranges(n, parts, [&](int64_t begin, int64_t end, int part) {
        auto& tops = per_worker[static_cast<size_t>(part)];
        tops.reserve(n_cells);
        for (int64_t m : cell_sizes) tops.emplace_back(m);
        auto offer = [&](size_t cell, Key key, int64_t row) { tops[cell].offer(key, row); };
        for (int64_t row = begin; row < end; ++row) visit_row(row, offer);
    });
    parallel_tasks(static_cast<int64_t>(n_cells), n_threads, [&](int64_t cell, int) {
        auto& into = per_worker[0][static_cast<size_t>(cell)];
        for (int part = 1; part < parts; ++part) into.merge_from(per_worker[static_cast<size_t>(part)][static_cast<size_t>(cell)]);
    });
    for (auto& top : per_worker[0]) top.for_each_selected([&](int64_t row) { out_mask[row] = 1; });
}

}  // namespace labelsieve
