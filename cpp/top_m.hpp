// Top-m selection under one total order, shared by every selection primitive.
//
// Order: larger key first; equal keys by ascending row index; NaN keys last.
// Because the order is total, "the best m rows" is one well-defined set, so
// per-thread candidate sets can be merged in any order with the same result.
//
// TopM keeps a buffer of at most 2m candidates: when it fills, nth_element
// cuts it back to the best m and remembers the worst kept one, which then
// rejects most later offers with one comparison (amortised O(1) per offer).
// An optional floor (a key estimated from a sample to be just below the m-th
// best) rejects most offers up front; select_rows checks afterwards that at
// least m rows reached the floor and rescans the cell without it otherwise,
// so the floor only ever changes speed, never the answer.
//
// Most rows that reach a floor are selected, and storing each one as a
// candidate (an 8-byte write to one of K^2 buffers, then a cut) cost more
// than the scan that found it.  So a second bound from the same sample, the
// sure bound, sits just above the m-th best key: a row whose key lies above it
// is counted and marked at once, not stored (see CellSink::offer), and the set
// keeps m - sure rows of the ones between the floor and the bound.  This is
// exact as long as at most m rows lie above the bound, which select_rows
// checks; when a sample misleads it, the selection runs again without bounds.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include "cancel.hpp"
#include "quickselect.hpp"
#include "radix_select.hpp"
#include "row_bits.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

// Keys are stored as unsigned integers in the same order (larger key ->
// larger code; -0 and +0 share a code, as they compare equal; NaN -> 0, the
// lowest), so candidate comparisons are integer compares: nth_element over
// the candidates is several times faster than with NaN-aware float compares.
template <class Key>
struct KeyOrder {
    using Code = std::conditional_t<sizeof(Key) == 4, uint32_t, uint64_t>;
    static constexpr Code kSign = Code{1} << (8 * sizeof(Key) - 1);
    static Code encode(Key key) {
        if (std::isnan(key)) return 0;
        Code bits;
        const Key normalised = key + Key(0);  // -0 -> +0
        std::memcpy(&bits, &normalised, sizeof bits);
        return (bits & kSign) ? ~bits : (bits | kSign);
    }
    // The key a code stands for; NaN decodes to -inf, the floor that lets every number in.
    static Key decode(Code code) {
        if (code == 0) return -std::numeric_limits<Key>::infinity();
        const Code bits = (code & kSign) ? (code & ~kSign) : ~code;
        Key key;
        std::memcpy(&key, &bits, sizeof key);
        return key;
    }
};

// How TopM stores a candidate (code, row).  Wide: a 16-byte pair, any row.
template <class Key>
struct WideEntries {
    using Code = typename KeyOrder<Key>::Code;
    struct Entry {
        Code code;
        int64_t row;
    };
    static Code code_of(const Entry& e) { return e.code; }
    static int64_t row_of(const Entry& e) { return e.row; }
    static bool ranks_before(const Entry& a, const Entry& b) { return a.code != b.code ? a.code > b.code : a.row < b.row; }
    static void store(Entry& into, Code code, int64_t row) {
        // Field by field: GCC builds a braced Entry with two narrow stores
        // and copies it with one 16-byte load, which stalls on store forwarding.
        into.code = code;
        into.row = row;
    }
};

// Packed: 32-bit codes (float keys) and rows < 2^32 in one uint64, the code
// in the high half and ~row in the low half, so that one integer compare
// gives the order (code descending, then row ascending): half the memory of
// a pair and a cheaper nth_element.
struct PackedEntries {
    using Code = uint32_t;
    using Entry = uint64_t;
    static Code code_of(Entry e) { return static_cast<Code>(e >> 32); }
    static int64_t row_of(Entry e) { return static_cast<int64_t>(~static_cast<uint32_t>(e)); }
    static bool ranks_before(Entry a, Entry b) { return a > b; }
    static void store(Entry& into, Code code, int64_t row) {
        into = (static_cast<uint64_t>(code) << 32) | ~static_cast<uint32_t>(row);
    }
};

// Packed entries for float keys (for rows < 2^32), wide ones otherwise.
template <class Key>
using CompactEntries = std::conditional_t<sizeof(Key) == 4, PackedEntries, WideEntries<Key>>;

template <class Key, class Entries = WideEntries<Key>>
class TopM {
    using Entry = typename Entries::Entry;
    using Code = typename KeyOrder<Key>::Code;
    static_assert(std::is_same_v<Code, typename Entries::Code>);

public:
    explicit TopM(int64_t m = 0, Key floor = -std::numeric_limits<Key>::infinity()) : m_(m), floor_(floor) {}

    // Room for the whole buffer up front: one allocation, no copies while it
    // grows (untouched capacity of big buffers is only address space).
    void reserve_buffer() {
        if (m_ > 0) items_.reserve(static_cast<size_t>(capacity()));
    }

    void offer(Key key, int64_t row) {
        if (m_ <= 0 || key < floor_) return;
        ++reached_floor_;
        if (full_ && key < worst_key_) return;  // the common case, decided by one compare
        add(KeyOrder<Key>::encode(key), row);
    }

    // A row ranked above every row the set will be offered (its key lies
    // above the sure bound): counted as reached and selected, not stored.
    void count_sure() {
        ++reached_floor_;
        ++sure_;
    }
    // Rows counted sure; more than size() means the sure bound was set too low.
    int64_t sure() const { return sure_; }
    int64_t size() const { return m_; }

    void merge_from(const TopM& other) {
        reached_floor_ += other.reached_floor_;
        sure_ += other.sure_;
        if (m_ <= 0) return;
        if (!full_ && static_cast<int64_t>(items_.size() + other.items_.size()) < capacity()) {
            // What add() would do for each: append them all (no cut is due).
            items_.insert(items_.end(), other.items_.begin(), other.items_.end());
            return;
        }
        for (const auto& e : other.items_) add(Entries::code_of(e), Entries::row_of(e));
    }

    // Holding m candidates: nothing ranked below worst_key() can enter any more.
    bool full() const { return full_; }
    Key worst_key() const { return worst_key_; }

    // False when fewer than m rows reached the floor: the floor was too high.
    bool complete() const { return reached_floor_ >= m_ || floor_ == -std::numeric_limits<Key>::infinity(); }

    // Keep only the best m candidates (for_each_selected does it too).
    void cut_to_size() { shrink(); }

    // The selected rows held (in no particular order): the best m - sure()
    // candidates (the sure rows are the caller's to mark).
    template <class F>
    void for_each_selected(F&& f) {
        cut_to(std::max<int64_t>(0, m_ - sure_));
        for (const auto& e : items_) f(Entries::row_of(e));
    }

    // The key ranked `rank` (0-based) among the candidates held, or -inf.
    Key key_at_rank(int64_t rank) {
        if (rank >= static_cast<int64_t>(items_.size())) return -std::numeric_limits<Key>::infinity();
        partition_at(rank);
        return KeyOrder<Key>::decode(Entries::code_of(items_[static_cast<size_t>(rank)]));
    }

private:
    void add(Code code, int64_t row) {
        Entry added;
        Entries::store(added, code, row);
        if (full_ && !Entries::ranks_before(added, worst_)) return;
        if constexpr (std::is_same_v<Entries, PackedEntries>) {
            items_.push_back(added);  // one store (emplace_back() would zero the slot first)
        } else {
            Entries::store(items_.emplace_back(), code, row);
        }
        if (static_cast<int64_t>(items_.size()) >= capacity()) shrink();
    }

    // Candidates held before cutting back to m: 2m keeps the nth_element work
    // per offer constant; no fixed slack, so a cell with m = 1 fills (and its
    // floor rises) after 4 offers.
    int64_t capacity() const { return 2 * m_ + 2; }

    void shrink() {
        if (!cut_to(m_)) return;
        worst_ = items_[static_cast<size_t>(m_ - 1)];
        worst_key_ = KeyOrder<Key>::decode(Entries::code_of(worst_));
        full_ = true;
    }

    // Keep the best `keep` candidates; false if there was nothing to cut or none are kept.
    bool cut_to(int64_t keep) {
        if (keep <= 0) {
            items_.clear();
            return false;
        }
        if (static_cast<int64_t>(items_.size()) <= keep) return false;
        if constexpr (std::is_same_v<Entries, PackedEntries>) {
            if (items_.size() >= kRadixFromItems) {
                keep_from(largest_at_rank(items_.data(), items_.size(), static_cast<size_t>(keep - 1)), keep);
            } else {
                partition_at(keep - 1);
            }
        } else {
            partition_at(keep - 1);
        }
        items_.resize(static_cast<size_t>(keep));
        return true;
    }

    // Packed entries only: move the `keep` entries ranked at or before `worst`
    // (the keep-th best) to the front, `worst` last; the order of the others is
    // not kept.  Equal packed entries are equal integers, so copies of
    // `worst` fill whatever the strictly better ones leave.
    void keep_from(Entry worst, int64_t keep) {
        size_t better = 0;
        for (const Entry e : items_) {
            items_[better] = e;
            better += e > worst;  // branch-free: about half the candidates are kept
        }
        std::fill(items_.begin() + static_cast<std::ptrdiff_t>(better), items_.begin() + keep, worst);
    }
    // Reorder so that items_[0..rank] are the best rank + 1 candidates and
    // items_[rank] is exactly the one ranked `rank`.
    void partition_at(int64_t rank) {
        if constexpr (std::is_same_v<Entries, PackedEntries>) {
            // Packed entries rank as integers (larger first).
            partition_at_rank_descending(items_.data(), items_.size(), static_cast<size_t>(rank));
            return;
        }
        // A lambda, not the function's address, so that nth_element inlines the compare.
        std::nth_element(items_.begin(), items_.begin() + rank, items_.end(),
                         [](const Entry& a, const Entry& b) { return Entries::ranks_before(a, b); });
    }

    // Cuts of at least this many packed candidates use radix selection (the
    // final cut of ~45K candidates per cell made the 10M x 10 pruning 15%
    // faster; on a few hundred, nth_element's one pass wins).
    static constexpr size_t kRadixFromItems = 4096;
    int64_t m_;
    Key floor_;
    int64_t reached_floor_ = 0;  // offers at or above the floor (kept or not), sure rows included
    int64_t sure_ = 0;           // rows counted by count_sure
    bool full_ = false;
    Entry worst_{};
    Key worst_key_ = -std::numeric_limits<Key>::infinity();
    std::vector<Entry> items_;
};

// What a row visitor talks to during one scan.  Cells are dense ids
// [0, n_cells); a cell with nothing to select has floor +inf.  Visitors may
// test `key >= floors()[cell]` themselves first (a cheap, vectorisable
// prefilter for non-NaN keys); offer() checks again.  The floors belong to
// one worker and rise to a cell's worst kept key once its set is full, so
// most rows are rejected by that one compare.  (They are only a prefilter:
// TopM alone decides, so the result does not depend on them.)  A row whose
// key lies above its cell's sure bound (sure_bounds(), +inf for none) is
// counted in the cell's set and marked in the worker's bitmap, not stored;
// visitors that test the bound themselves call take_sure().
template <class Key, class Entries = WideEntries<Key>>
class CellSink {
public:
    CellSink(Key* floors, const Key* sure_bounds, const int32_t* slot_of, TopM<Key, Entries>* tops, RowBits& marks,
             int worker)
        : floors_(floors), sure_bounds_(sure_bounds), slot_of_(slot_of), tops_(tops), marks_(marks), worker_(worker) {}
    const Key* floors() const { return floors_; }
    const Key* sure_bounds() const { return sure_bounds_; }
    void offer(size_t cell, Key key, int64_t row) {
        if (key < floors_[cell]) return;
        const int32_t slot = slot_of_[cell];
        if (slot < 0) return;
        TopM<Key, Entries>& top = tops_[slot];
        if (key > sure_bounds_[cell]) {
            top.count_sure();
            marks_.set(worker_, row);
            return;
        }
        top.offer(key, row);
        if (top.full()) floors_[cell] = top.worst_key();
    }
    // A row the caller found above the cell's sure bound (and so at or above its floor).
    void take_sure(size_t cell, int64_t row) {
        const int32_t slot = slot_of_[cell];
        if (slot < 0) return;
        tops_[slot].count_sure();
        marks_.set(worker_, row);
    }

private:
    Key* floors_;
    const Key* sure_bounds_;
    const int32_t* slot_of_;
    TopM<Key, Entries>* tops_;
    RowBits& marks_;
    int worker_;
};

namespace detail {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The merged sets of one scan: tops[s] belongs to cell cells[s] (ascending);
// cells with nothing to select have no set.
template <class Key, class Entries>
struct CellTops {
    std::vector<size_t> cells;
    std::vector<TopM<Key, Entries>> tops;
};

// One scan over rows [0, n), or every stride-th row (a sample).  Each worker
// has private TopM sets for the active cells (size > 0), merged afterwards;
// worker w marks its sure rows (keys above sure_bounds) in marks' bitmap w.
template <class Key, class Entries, class VisitRows>
CellTops<Key, Entries> scan_cells(int64_t n, int64_t stride, int n_threads, const std::vector<int64_t>& cell_sizes,
                                  const std::vector<Key>& floors, const std::vector<Key>& sure_bounds, RowBits& marks,
                                  VisitRows& visit_rows) {
    const size_t n_cells = cell_sizes.size();
    std::vector<int32_t> slot_of(n_cells, -1);
    CellTops<Key, Entries> result;
    std::vector<Key> dense_floors(n_cells, static_cast<Key>(kInf));
    for (size_t c = 0; c < n_cells; ++c) {
        if (cell_sizes[c] <= 0) continue;
        slot_of[c] = static_cast<int32_t>(result.cells.size());
        result.cells.push_back(c);
        dense_floors[c] = floors[c];
    }
    if (result.cells.empty()) return result;
    const int64_t n_visits = (n + stride - 1) / stride;
    const int parts = part_count(n_visits, n_threads);
    std::vector<std::vector<TopM<Key, Entries>>> per_worker(static_cast<size_t>(parts));
    parallel_ranges(n_visits, parts, [&](int64_t begin, int64_t end, int part) {
        auto& tops = per_worker[static_cast<size_t>(part)];
        tops.reserve(result.cells.size());
        for (size_t c : result.cells) {
            tops.emplace_back(cell_sizes[c], floors[c]);
            tops.back().reserve_buffer();
        }
        std::vector<Key> worker_floors(dense_floors);
        CellSink<Key, Entries> sink(worker_floors.data(), sure_bounds.data(), slot_of.data(), tops.data(), marks, part);
        constexpr int64_t kVisitsPerCheck = 4096;  // a stop check between blocks of rows
        for (int64_t visit = begin; visit < end; visit += kVisitsPerCheck) {
            check_stop();
            const int64_t stop = std::min(end, visit + kVisitsPerCheck);
            visit_rows(visit * stride, (stop - 1) * stride + 1, stride, sink);
        }
    });
    parallel_tasks(static_cast<int64_t>(result.cells.size()), n_threads, [&](int64_t slot, int) {
        auto& into = per_worker[0][static_cast<size_t>(slot)];
        for (int part = 1; part < parts; ++part) {
            into.merge_from(per_worker[static_cast<size_t>(part)][static_cast<size_t>(slot)]);
        }
    });
    result.tops = std::move(per_worker[0]);
    return result;
}

}  // namespace detail

// How many of a sample's best keys to keep so that the worst of them is a
// floor the best m of all rows reach, when the sample is every stride-th row:
// the expected share plus 4 standard deviations plus 6 (a floor that came out
// too high costs a rescan).
inline int64_t sample_keep(int64_t m, int64_t stride) {
    if (m <= 0) return 0;
    const double expected = static_cast<double>(m) / static_cast<double>(stride);
    return static_cast<int64_t>(expected + 4.0 * std::sqrt(expected) + 6.0);
}

// The rank (0-based) of the sample key that is the cell's sure bound: as far
// below the expected share as sample_keep is above it, so that more than m
// rows lie above the bound only as rarely as the floor turns out too high;
// -1 (no bound) when the share is too small for that.
inline int64_t sample_sure_rank(int64_t m, int64_t stride) {
    if (m <= 0) return -1;
    const double expected = static_cast<double>(m) / static_cast<double>(stride);
    const double rank = expected - 4.0 * std::sqrt(expected) - 6.0;
    return rank >= 0.0 ? static_cast<int64_t>(rank) : -1;
}

// Adapts a per-row visitor visit_row(row, sink) to the block form
// visit_rows(first, last, stride, sink) that select_rows calls.
template <class VisitRow>
auto each_row(VisitRow visit_row) {
    return [visit_row](int64_t first, int64_t last, int64_t stride, auto& sink) {
        for (int64_t row = first; row < last; row += stride) visit_row(row, sink);
    };
}

namespace detail {

template <class Key, class Entries, class VisitRows>
void select_rows_with(int64_t n, int64_t mask_size, int n_threads, const std::vector<int64_t>& requested_sizes,
                      VisitRows& visit_rows, uint8_t* out_mask) {
    const size_t n_cells = requested_sizes.size();
    if (n_cells == 0 || n == 0) return;
    // No cell can hold more than n rows: a larger m (up to INT64_MAX, from a
    // caller's huge prune count) means "all", and must not size a buffer.
    std::vector<int64_t> cell_sizes(requested_sizes);
    for (auto& size : cell_sizes) size = std::min(size, n);
    constexpr Key kNoFloor = -std::numeric_limits<Key>::infinity();
    constexpr Key kNoBound = std::numeric_limits<Key>::infinity();
    std::vector<Key> floors(n_cells, kNoFloor);
    std::vector<Key> sure_bounds(n_cells, kNoBound);
    const std::vector<Key> no_bounds(n_cells, kNoBound);
    // Bitmaps for the scans' workers and the final marking's (both at most n_threads).
    RowBits marks(mask_size, part_count(std::max<int64_t>(n, static_cast<int64_t>(n_cells)), n_threads));

    // Estimate each cell's floor from a sample, every stride-th row: keep the
    // sample's best sample_keep(m, stride) keys; the worst of them is the
    // floor, and the one ranked sample_sure_rank(m, stride) the sure bound (from
    // the finest sample).  The sample (at most 1/16 of the rows, at
    // most 2^18 of them) gets its own floors the same way from a 16 times
    // smaller sample of at least 4K rows, when there are enough rows:
    // without floors, every sampled row is offered to every cell it competes in.
    constexpr int64_t kMinRows = 16 * 1024;      // to sample at all
    constexpr int64_t kMinCoarseRows = 4 * 1024;  // sampled rows for a coarser level
    std::vector<int64_t> strides;
    if (n >= kMinRows) {
        for (int64_t stride = std::max<int64_t>(16, n / 262144); strides.empty() || n / stride >= kMinCoarseRows;
             stride *= 16) {
            strides.push_back(stride);
        }
    }
    for (auto level = strides.rbegin(); level != strides.rend(); ++level) {
        const int64_t stride = *level;
        std::vector<int64_t> sample_sizes(n_cells);
        for (size_t c = 0; c < n_cells; ++c) sample_sizes[c] = sample_keep(cell_sizes[c], stride);
        auto sample = scan_cells<Key, Entries>(n, stride, n_threads, sample_sizes, floors, no_bounds, marks, visit_rows);
        for (size_t slot = 0; slot < sample.cells.size(); ++slot) {
            const size_t c = sample.cells[slot];
            auto& top = sample.tops[slot];
            // -inf when fewer keys than wanted reached the coarser floor: no floor.
            floors[c] = top.key_at_rank(sample_sizes[c] - 1);
            // Only a key the sample holds can be a bound (key_at_rank gives -inf past the end).
            const int64_t sure_rank = sample_sure_rank(cell_sizes[c], stride);
            sure_bounds[c] = sure_rank >= 0 && floors[c] != kNoFloor ? top.key_at_rank(sure_rank) : kNoBound;
        }
    }

    // The scan, and a rescan of the cells whose floor was set too high; the
    // sure rows are marked as they are met, the stored ones in the final cut.
    auto select = [&](const std::vector<Key>& bounds) {
        auto result = scan_cells<Key, Entries>(n, 1, n_threads, cell_sizes, floors, bounds, marks, visit_rows);
        std::vector<int64_t> retry_sizes(n_cells, 0);
        bool retry = false;
        for (size_t slot = 0; slot < result.cells.size(); ++slot) {
            if (!result.tops[slot].complete()) {
                retry_sizes[result.cells[slot]] = cell_sizes[result.cells[slot]];
                retry = true;
            }
        }
        if (retry) {
            // A floor was set too high: rescan those cells with no floor.  (Their
            // sure rows are selected all the same: fewer than m rows reached the floor.)
            auto redo = scan_cells<Key, Entries>(n, 1, n_threads, retry_sizes, std::vector<Key>(n_cells, kNoFloor),
                                                no_bounds, marks, visit_rows);
            for (size_t r = 0; r < redo.cells.size(); ++r) {
                const auto at = std::lower_bound(result.cells.begin(), result.cells.end(), redo.cells[r]);
                result.tops[static_cast<size_t>(at - result.cells.begin())] = std::move(redo.tops[r]);
            }
        }
        return result;
    };
    auto result = select(sure_bounds);
    const bool bound_too_low = std::any_of(result.tops.begin(), result.tops.end(),
                                           [&](const auto& top) { return top.sure() > top.size(); });
    if (bound_too_low) {  // more than m rows above a sure bound: marked rows include unselected ones
        marks.clear();
        result = select(no_bounds);
    }
    if (result.tops.empty()) return;
    // Cut every set to its m - sure best and mark its rows on the workers (a
    // row may be selected in several cells: each worker has its own bits).
    parallel_tasks(static_cast<int64_t>(result.tops.size()), n_threads, [&](int64_t slot, int worker) {
        result.tops[static_cast<size_t>(slot)].for_each_selected([&](int64_t row) { marks.set(worker, row); });
    });
    marks.or_into(out_mask, n_threads);
}

}  // namespace detail

// Run a selection over rows [0, n): visit_rows(first, last, stride, sink)
// visits rows first, first + stride, ... < last and calls
// sink.offer(cell, key, row) for each cell a row competes in (the sink is a
// CellSink<Key, Entries> for one of two Entries types: visitors take it as
// `auto&`); every cell c keeps its best cell_sizes[c] rows (none if <= 0);
// out_mask[row] = 1 for every selected row.  The result is independent of
// n_threads.  The offered "rows" are ids in [0, mask_size), the size of
// out_mask: n, or more when a row competes under several ids (multilabel:
// row * k + class); they decide whether an id fits a packed entry.
template <class Key, class VisitRows>
void select_rows(int64_t n, int64_t mask_size, int n_threads, const std::vector<int64_t>& requested_sizes,
                 VisitRows visit_rows, uint8_t* out_mask) {
    if (mask_size <= static_cast<int64_t>(UINT32_MAX)) {
        detail::select_rows_with<Key, CompactEntries<Key>>(n, mask_size, n_threads, requested_sizes, visit_rows,
                                                           out_mask);
    } else {
        detail::select_rows_with<Key, WideEntries<Key>>(n, mask_size, n_threads, requested_sizes, visit_rows,
                                                        out_mask);
    }
}

}  // namespace labelsieve
