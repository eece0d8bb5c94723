// Top-m selection when every cell competes among one group of rows only
// (prune_by_noise_rate: cell (y, j) ranks the rows labelled y).  Each group
// is one task: its rows are visited from a list, its sets stay in cache
// while they fill (with many classes, sets touched in row order miss the
// cache on nearly every offer), and no merging is needed: every group's
// result is computed by one worker, so it does not depend on the thread count.
// Within a group the floors come from every 16th row of the group, exactly as
// select_rows estimates them, and cells whose floor was too high are rescanned.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cancel.hpp"
#include "labels.hpp"
#include "large_array.hpp"
#include "row_bits.hpp"
#include "thread_pool.hpp"
#include "top_m.hpp"

namespace labelsieve {

// Rows grouped by a key in [0, n_groups), ascending within a group (a stable
// counting sort; n < 2^32).  A row whose key `guard` rejects is in no group
// (the guard remembers it, for the caller to throw).
struct RowGroups {
    LargeArray<uint32_t> rows;
    std::vector<int64_t> start;  // group g is rows[start[g], start[g + 1])
    int64_t n_rows;              // rows in all, grouped or not

    template <class L>
    RowGroups(const L* keys, int64_t n, int64_t n_groups, LabelGuard& guard)
        : start(static_cast<size_t>(n_groups) + 1, 0), n_rows(n) {
        for (int64_t i = 0; i < n; ++i) {
            if (guard.ok(keys[i])) ++start[static_cast<size_t>(keys[i]) + 1];
        }
        for (int64_t g = 0; g < n_groups; ++g) start[static_cast<size_t>(g) + 1] += start[static_cast<size_t>(g)];
        rows = LargeArray<uint32_t>(static_cast<size_t>(start.back()));
        std::vector<int64_t> next(start.begin(), start.end() - 1);
        for (int64_t i = 0; i < n; ++i) {
            const int64_t key = static_cast<int64_t>(keys[i]);
            if (static_cast<uint64_t>(key) < static_cast<uint64_t>(n_groups)) {
                rows[static_cast<size_t>(next[static_cast<size_t>(key)]++)] = static_cast<uint32_t>(i);
            }
        }
    }
};

// How many of a group sample's best keys to keep (see sample_keep): a floor
// set too high here costs a rescan of one group's rows only, not of every
// row, so the margin is smaller (3 standard deviations plus 3), and never more
// than m + 1 (no more than m sampled rows can lie among the best m).
inline int64_t group_sample_keep(int64_t m, int64_t stride) {
    if (m <= 0) return 0;
    const double expected = static_cast<double>(m) / static_cast<double>(stride);
    return std::min(m + 1, static_cast<int64_t>(expected + 3.0 * std::sqrt(expected) + 3.0));
}

// Cells g * cells_per_group + j belong to group g.  visit_list(g, rows, count,
// stride, sink) offers group g's rows[0], rows[stride], ... (< count) to their cells.
template <class Key, class VisitList>
void select_rows_by_group(const RowGroups& groups, int64_t cells_per_group, int n_threads,
                          const std::vector<int64_t>& requested_sizes, VisitList visit_list, uint8_t* out_mask) {
    constexpr Key kNoFloor = -std::numeric_limits<Key>::infinity();
    constexpr Key kClosed = std::numeric_limits<Key>::infinity();
    constexpr int64_t kStride = 16, kMinRows = 1024;  // sample every 16th row of groups this large
    const int64_t n_groups = static_cast<int64_t>(groups.start.size()) - 1;
    const size_t n_cells = requested_sizes.size();
    std::vector<int32_t> slot_of(n_cells, -1);  // a cell's index within its group, if active
    std::vector<Key> floors(n_cells, kClosed);   // each task writes its own group's cells only
    const std::vector<Key> no_sure_bounds(n_cells, kClosed);  // every kept row is stored
    RowBits marks(groups.n_rows, part_count(n_groups, n_threads));
    parallel_tasks(n_groups, n_threads, [&](int64_t g, int worker) {
        const uint32_t* rows = groups.rows.data() + groups.start[static_cast<size_t>(g)];
        const int64_t count = groups.start[static_cast<size_t>(g) + 1] - groups.start[static_cast<size_t>(g)];
        const size_t first_cell = static_cast<size_t>(g * cells_per_group);
        std::vector<int64_t> sizes(static_cast<size_t>(cells_per_group));
        bool any = false;
        for (int64_t j = 0; j < cells_per_group; ++j) {
            sizes[static_cast<size_t>(j)] = std::min(requested_sizes[first_cell + static_cast<size_t>(j)], count);
            if (sizes[static_cast<size_t>(j)] > 0) {
                slot_of[first_cell + static_cast<size_t>(j)] = static_cast<int32_t>(j);
                any = true;
            }
        }
        if (!any || count == 0) return;
        Key* group_floors = floors.data() + first_cell;
        // One scan: sets of the given sizes, floors for the active cells (the others closed).
        auto scan = [&](const std::vector<int64_t>& set_sizes, const std::vector<Key>& set_floors, int64_t stride) {
            std::vector<TopM<Key, CompactEntries<Key>>> tops;  // rows < 2^32 (RowGroups)
            tops.reserve(set_sizes.size());
            for (size_t j = 0; j < set_sizes.size(); ++j) {
                tops.emplace_back(set_sizes[j], set_floors[j]);
                group_floors[j] = set_sizes[j] > 0 ? set_floors[j] : kClosed;
            }
            CellSink<Key, CompactEntries<Key>> sink(floors.data(), no_sure_bounds.data(), slot_of.data(), tops.data(),
                                                    marks, worker);
            visit_list(g, rows, count, stride, sink);
            return tops;
        };
        std::vector<Key> start_floors(sizes.size(), kNoFloor);
        if (count >= kMinRows) {
            std::vector<int64_t> sample_sizes(sizes.size(), 0);
            for (size_t j = 0; j < sizes.size(); ++j) sample_sizes[j] = group_sample_keep(sizes[j], kStride);
            auto sample = scan(sample_sizes, start_floors, kStride);
            for (size_t j = 0; j < sizes.size(); ++j) {
                if (sizes[j] > 0) start_floors[j] = sample[j].key_at_rank(sample_sizes[j] - 1);
            }
        }
        auto tops = scan(sizes, start_floors, 1);
        std::vector<int64_t> retry_sizes(sizes.size(), 0);
        bool retry = false;
        for (size_t j = 0; j < sizes.size(); ++j) {
            if (sizes[j] > 0 && !tops[j].complete()) {
                retry_sizes[j] = sizes[j];
                retry = true;
            }
        }
        if (retry) {  // a floor was set too high: those cells again, with no floor
            auto redo = scan(retry_sizes, std::vector<Key>(sizes.size(), kNoFloor), 1);
            for (size_t j = 0; j < sizes.size(); ++j) {
                if (retry_sizes[j] > 0) tops[j] = std::move(redo[j]);
            }
        }
        for (auto& top : tops) top.for_each_selected([&](int64_t row) { marks.set(worker, row); });
    });
    marks.or_into(out_mask, n_threads);
}

}  // namespace labelsieve
