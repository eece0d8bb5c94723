// Top-m selection (TopM, select_lowest, prune_by_class, prune_by_noise_rate):
// ties to the lower index, NaN last, m from 0 to far beyond N, and the same
// rows for every thread count.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <initializer_list>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include "helpers.hpp"
#include "primitives.hpp"
#include "quickselect.hpp"
#include "radix_select.hpp"
#include "simd.hpp"
#include "row_bits.hpp"
#include "top_m.hpp"

using namespace labelsieve;

namespace {

std::vector<uint8_t> lowest_reference(const std::vector<float>& scores, int64_t count) {
    std::vector<float> keys(scores.size());
    for (size_t i = 0; i < scores.size(); ++i) keys[i] = std::isnan(scores[i]) ? -INFINITY : -scores[i];
    // NaN sorts last: give it a key below every number, ties between NaNs by index.
    const auto order = testdata::rank_desc(keys);
    std::vector<uint8_t> mask(scores.size(), 0);
    std::vector<int64_t> nan_rows, rows;
    for (int64_t i : order) (std::isnan(scores[i]) ? nan_rows : rows).push_back(i);
    rows.insert(rows.end(), nan_rows.begin(), nan_rows.end());
    for (int64_t j = 0; j < count && j < static_cast<int64_t>(rows.size()); ++j) mask[rows[j]] = 1;
    return mask;
}

std::vector<float> tied_scores(int64_t n, uint32_t seed, bool with_nan) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> level(0, 9);
    std::vector<float> scores(static_cast<size_t>(n));
    for (auto& s : scores) s = static_cast<float>(level(rng)) / 10.0f;  // heavy ties
    if (with_nan) {
        for (int64_t i = 3; i < n; i += 17) scores[i] = std::numeric_limits<float>::quiet_NaN();
    }
    return scores;
}

}  // namespace

TEST_CASE("TopM keeps the best m under (key desc, row asc), NaN last") {
    const std::vector<double> keys = {0.5, 0.9, 0.5, NAN, 0.9, 0.1, 0.5};
    for (int64_t m = 0; m <= 8; ++m) {
        TopM<double> top(m);
        top.reserve_buffer();
        for (int64_t row = 0; row < 7; ++row) top.offer(keys[row], row);
        std::set<int64_t> got;
        top.for_each_selected([&](int64_t row) { got.insert(row); });
        const std::vector<int64_t> order = {1, 4, 0, 2, 6, 5, 3};
        const std::set<int64_t> want(order.begin(), order.begin() + std::min<int64_t>(m, 7));
        CAPTURE(m);
        CHECK(got == want);
    }
}

TEST_CASE("TopM merging per-worker sets gives the serial answer") {
    const auto scores = tied_scores(1000, 4, true);
    for (int64_t m : {1, 10, 333, 999, 5000}) {
        TopM<float> serial(m), a(m), b(m);
        for (int64_t row = 0; row < 1000; ++row) {
            serial.offer(-scores[row], row);
            (row % 3 == 0 ? a : b).offer(-scores[row], row);
        }
        a.merge_from(b);
        std::set<int64_t> x, y;
        serial.for_each_selected([&](int64_t r) { x.insert(r); });
        a.for_each_selected([&](int64_t r) { y.insert(r); });
        CAPTURE(m);
        CHECK(x == y);
    }
}

TEST_CASE("TopM with packed entries selects what the wide pairs select (ties, NaN, -0, rows near 2^32)") {
    // Packed entries hold ~row in 32 bits: rows up to 2^32 - 1 must keep their order.
    const auto scores = tied_scores(3000, 9, true);
    for (const int64_t base : {int64_t{0}, int64_t{UINT32_MAX} - 3000}) {
        for (int64_t m : {1, 7, 500, 2999, 4000}) {
            TopM<float, WideEntries<float>> wide(m, -0.45f);
            TopM<float, PackedEntries> packed(m, -0.45f), left(m, -0.45f), right(m, -0.45f);
            for (int64_t i = 0; i < 3000; ++i) {
                const float key = i % 101 == 0 ? -0.0f : -scores[static_cast<size_t>(i)];
                wide.offer(key, base + i);
                packed.offer(key, base + i);
                (i % 2 ? left : right).offer(key, base + i);
            }
            left.merge_from(right);
            std::set<int64_t> want, got, merged;
            wide.for_each_selected([&](int64_t r) { want.insert(r); });
            packed.for_each_selected([&](int64_t r) { got.insert(r); });
            left.for_each_selected([&](int64_t r) { merged.insert(r); });
            CAPTURE(base);
            CAPTURE(m);
            CHECK(got == want);
            CHECK(merged == want);
            CHECK(packed.complete() == wide.complete());
            CHECK(packed.key_at_rank(m / 2) == wide.key_at_rank(m / 2));
        }
    }
}

TEST_CASE("partition_at_rank_descending leaves nth_element's guarantee at every rank") {
    // values[rank] is the rank-th largest, nothing smaller before it, nothing
    // larger after it, and the same multiset of values.
    std::mt19937_64 rng(34);
    auto check_every_rank = [](const std::vector<uint64_t>& values, const char* what) {
        std::vector<uint64_t> sorted(values);
        std::sort(sorted.begin(), sorted.end(), std::greater<>());
        for (size_t rank = 0; rank < values.size(); ++rank) {
            std::vector<uint64_t> v(values);
            partition_at_rank_descending(v.data(), v.size(), rank);
            CAPTURE(what);
            CAPTURE(values.size());
            CAPTURE(rank);
            REQUIRE(v[rank] == sorted[rank]);
            REQUIRE(std::all_of(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank),
                                [&](uint64_t x) { return x >= v[rank]; }));
            REQUIRE(std::all_of(v.begin() + static_cast<std::ptrdiff_t>(rank), v.end(),
                                [&](uint64_t x) { return x <= v[rank]; }));
            std::sort(v.begin(), v.end(), std::greater<>());
            REQUIRE(v == sorted);
        }
    };
    // Sizes around the hand-over to nth_element (8) and the shapes a pivot
    // meets: random, sorted either way, few distinct values, all equal, extremes.
    for (size_t n : {size_t{1}, size_t{2}, size_t{7}, size_t{8}, size_t{9}, size_t{33}, size_t{122}, size_t{700}}) {
        std::vector<uint64_t> spread(n), ascending(n), descending(n), few(n), equal(n, 42), extremes(n);
        for (size_t i = 0; i < n; ++i) {
            spread[i] = rng();
            ascending[i] = i * 1000;
            descending[i] = (n - i) * 1000;
            few[i] = rng() % 3;
            extremes[i] = i % 2 ? UINT64_MAX : 0;
        }
        check_every_rank(spread, "spread");
        check_every_rank(ascending, "ascending");
        check_every_rank(descending, "descending");
        check_every_rank(few, "three values");
        check_every_rank(equal, "all equal");
        check_every_rank(extremes, "0 and max");
    }
}

TEST_CASE("largest_at_rank equals the sorted order's value at every tested rank") {
    std::mt19937_64 rng(21);
    auto check_all_ranks = [](std::vector<uint64_t> values, const char* what) {
        std::vector<uint64_t> sorted(values);
        std::sort(sorted.begin(), sorted.end(), std::greater<>());
        const size_t n = values.size();
        for (size_t rank : {size_t{0}, size_t{1}, n / 3, n / 2, n - 2, n - 1}) {
            CAPTURE(what);
            CAPTURE(rank);
            CHECK(largest_at_rank(values.data(), n, rank) == sorted[rank]);
        }
    };
    std::vector<uint64_t> spread(20000), shared_top(20000), few_levels(20000), equal(5000, 42);
    for (auto& v : spread) v = rng();
    // The same high 40 bits: every round but the last two finds one full bucket.
    for (auto& v : shared_top) v = (uint64_t{0xABCDEF1234} << 24) | (rng() & 0xFFFFFF);
    for (auto& v : few_levels) v = (rng() % 7) << 50 | (rng() % 3);  // heavy duplicates
    check_all_ranks(spread, "spread");
    check_all_ranks(shared_top, "shared top bits");
    check_all_ranks(few_levels, "few levels");
    check_all_ranks(equal, "all equal");
    check_all_ranks({UINT64_MAX, 0, UINT64_MAX - 1, 1}, "tiny");
}

TEST_CASE("TopM cuts thousands of packed candidates (radix selection) to what the wide pairs keep") {
    const int64_t n = 30000;
    const auto scores = tied_scores(n, 5, true);
    for (const int64_t base : {int64_t{0}, int64_t{UINT32_MAX} - n}) {
        for (int64_t m : {4095, 5000, 14999, 29999}) {
            TopM<float, WideEntries<float>> wide(m);
            TopM<float, PackedEntries> packed(m);
            for (int64_t i = 0; i < n; ++i) {
                const float key = i % 101 == 0 ? -0.0f : -scores[static_cast<size_t>(i)];
                wide.offer(key, base + i);
                packed.offer(key, base + i);
            }
            std::set<int64_t> want, got;
            wide.for_each_selected([&](int64_t r) { want.insert(r); });
            packed.for_each_selected([&](int64_t r) { got.insert(r); });
            CAPTURE(base);
            CAPTURE(m);
            CHECK(got.size() == static_cast<size_t>(m));
            CHECK(got == want);
            CHECK(packed.worst_key() == wide.worst_key());
        }
    }
}

TEST_CASE("select_lowest: ties to the lower index, NaN last, tiny to huge counts, any thread count") {
    for (int64_t n : {1, 50, 20000, 100000}) {
        for (bool with_nan : {false, true}) {
            const auto scores = tied_scores(n, static_cast<uint32_t>(n), with_nan);
            const int64_t counts[] = {0, 1, 2, n / 3, n - 1, n, n + 1, int64_t{1} << 40,
                                      std::numeric_limits<int64_t>::max(), -1};
            for (int64_t count : counts) {
                const auto want = lowest_reference(scores, count);
                for (int threads : {1, 2, 7}) {
                    CAPTURE(n);
                    CAPTURE(count);
                    CAPTURE(threads);
                    std::vector<uint8_t> mask(static_cast<size_t>(n), 0);
                    select_lowest<float>(scores.data(), n, count, mask.data(), threads);
                    CHECK(mask == want);
                }
            }
        }
    }
}

// prune_by_noise_rate by its definition: for every ok given class and every
// other (true) class, the counts[true * k + given] rows labelled `given` with
// the largest p[true] - p[given] (ties to the lower row).
static std::vector<uint8_t> noise_rate_by_definition(const testdata::Problem& d, const std::vector<int64_t>& counts,
                                                     const std::vector<uint8_t>& ok) {
    const int64_t n = d.n, k = d.k;
    std::vector<uint8_t> want(static_cast<size_t>(n), 0);
    for (int64_t given = 0; given < k; ++given) {
        if (!ok[given]) continue;
        for (int64_t truth = 0; truth < k; ++truth) {
            if (truth == given) continue;
            std::vector<float> keys;
            std::vector<int64_t> rows;
            for (int64_t i = 0; i < n; ++i) {
                if (d.labels[i] == given) {
                    keys.push_back(d.p[i * k + truth] - d.p[i * k + given]);
                    rows.push_back(i);
                }
            }
            const auto order = testdata::rank_desc(keys);
            const int64_t m = std::min<int64_t>(counts[truth * k + given], static_cast<int64_t>(order.size()));
            for (int64_t j = 0; j < m; ++j) want[rows[order[j]]] = 1;
        }
    }
    return want;
}

// prune_by_noise_rate gives `want` at each thread count.
static void check_noise_rate(const testdata::Problem& d, const std::vector<int64_t>& counts,
                             const std::vector<uint8_t>& ok, const std::vector<uint8_t>& want,
                             std::initializer_list<int> thread_counts) {
    for (int threads : thread_counts) {
        CAPTURE(threads);
        std::vector<uint8_t> rate(static_cast<size_t>(d.n), 0);
        prune_by_noise_rate<float, int64_t>(d.labels.data(), d.p.data(), d.n, d.k, counts.data(), ok.data(),
                                            rate.data(), threads);
        CHECK(rate == want);
    }
}

TEST_CASE("prune_by_class and prune_by_noise_rate: reference selection per group, any thread count") {
    const int64_t n = 40000, k = 3;
    const auto d = testdata::random_problem(n, k, 21, /*coarse=*/true);
    const std::vector<int64_t> num = {0, 5, std::numeric_limits<int64_t>::max()};
    std::vector<uint8_t> want(n, 0);
    for (int64_t c = 0; c < k; ++c) {
        std::vector<float> keys;
        std::vector<int64_t> rows;
        for (int64_t i = 0; i < n; ++i) {
            if (d.labels[i] == c) {
                keys.push_back(-d.p[i * k + c]);
                rows.push_back(i);
            }
        }
        const auto order = testdata::rank_desc(keys);
        for (int64_t j = 0; j < std::min<int64_t>(num[c], static_cast<int64_t>(order.size())); ++j) want[rows[order[j]]] = 1;
    }
    // prune_counts[true * k + given]; class 2 is not ok (never pruned).
    const std::vector<int64_t> counts = {0, 7, 3, 100000, 0, 4, 2, 1, 0};
    const std::vector<uint8_t> ok = {1, 1, 0};
    const std::vector<uint8_t> want_rate = noise_rate_by_definition(d, counts, ok);
    for (int threads : {1, 2, 6}) {
        CAPTURE(threads);
        std::vector<uint8_t> mask(n, 0);
        prune_by_class<float, int64_t>(d.labels.data(), d.p.data(), n, k, num.data(), mask.data(), threads);
        CHECK(mask == want);
        std::vector<uint8_t> rate(n, 0);
        prune_by_noise_rate<float, int64_t>(d.labels.data(), d.p.data(), n, k, counts.data(), ok.data(), rate.data(),
                                            threads);
        CHECK(rate == want_rate);
    }
}

TEST_CASE("prune_by_noise_rate with many classes (rows grouped by label): reference selection, any thread count") {
    const int64_t n = 60000, k = 40;  // k >= 32: one task per label; 1500 rows per label: sampled floors
    const auto d = testdata::random_problem(n, k, 5, /*coarse=*/true);
    std::vector<int64_t> counts(static_cast<size_t>(k * k));
    std::vector<uint8_t> ok(static_cast<size_t>(k), 1);
    ok[3] = 0;
    for (int64_t cell = 0; cell < k * k; ++cell) {
        // Mostly small counts, some zero, negative or larger than the class.
        const int64_t pick = (cell * 7919) % 23;
        counts[static_cast<size_t>(cell)] = pick == 0 ? -1 : pick == 1 ? std::numeric_limits<int64_t>::max() : pick * 3;
    }
    check_noise_rate(d, counts, ok, noise_rate_by_definition(d, counts, ok), {1, 2, 5});
}

TEST_CASE("grouped prune_by_noise_rate: a group whose best rows are all sampled rows is rescanned, same answer") {
    // Row i has label i % k and is the (i / k)-th row of its group; the group
    // samples every 16th of its rows.  For cell (y, y + 1) only the sampled
    // rows score high, so the floor from the sample sits above the best m:
    // fewer than m rows reach it and that cell must be rescanned.
    const int64_t k = 32, per_group = 2048, n = k * per_group, m = 100;
    testdata::Problem d{n, k, std::vector<int64_t>(static_cast<size_t>(n)),
                        std::vector<float>(static_cast<size_t>(n * k), 0.01f)};
    std::vector<int64_t> counts(static_cast<size_t>(k * k), 0);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t y = i % k, j = (y + 1) % k, v = i / k;
        d.labels[static_cast<size_t>(i)] = y;
        d.p[static_cast<size_t>(i * k + j)] = v % 16 == 0 ? 0.5f + static_cast<float>(v) * 1e-5f
                                                          : 0.02f + static_cast<float>(v % 16) * 1e-4f;
        counts[static_cast<size_t>(j * k + y)] = m;  // prune_counts[true class, given class]
    }
    const std::vector<uint8_t> ok(static_cast<size_t>(k), 1);
    const std::vector<uint8_t> want = noise_rate_by_definition(d, counts, ok);
    int64_t selected = 0;
    for (uint8_t flag : want) selected += flag;
    REQUIRE(selected == k * m);
    check_noise_rate(d, counts, ok, want, {1, 2});
}

TEST_CASE("prune_by_noise_rate with large counts (rows above the sure bound counted, not stored): reference, any thread count") {
    // Counts of a third to all of a class give the sample a sure bound: most
    // selected rows are only counted and marked.  K = 4 and 16 take the
    // SIMD scan's lane-per-row blocks, K = 20 its row-at-a-time loop.
    for (const int64_t k : {4, 16, 20}) {
        for (const bool coarse : {false, true}) {
            const int64_t n = 120000;
            const auto d = testdata::random_problem(n, k, static_cast<uint32_t>(k * 2 + coarse), coarse);
            std::vector<int64_t> counts(static_cast<size_t>(k * k));
            const int64_t per_class = n / k;
            for (int64_t cell = 0; cell < k * k; ++cell) {
                counts[static_cast<size_t>(cell)] = per_class / (1 + cell % 3) + cell % 5;
            }
            const std::vector<uint8_t> ok(static_cast<size_t>(k), 1);
            CAPTURE(k);
            CAPTURE(coarse);
            check_noise_rate(d, counts, ok, noise_rate_by_definition(d, counts, ok), {1, 2, 3});
        }
    }
}

TEST_CASE("selection whose sample puts the sure bound too low: run again without bounds, same answer") {
    // 20000 rows are sampled every 16th (rows 0, 16, ...).  The sampled rows
    // score worst, so the sample's sure bound lies below nearly every other
    // row: far more than m rows are counted sure, and the selection must be
    // redone without bounds.
    const int64_t n = 20000;
    std::vector<float> scores(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        scores[static_cast<size_t>(i)] = i % 16 == 0 ? 0.9f + static_cast<float>(i % 7) * 0.01f
                                                     : 0.1f + static_cast<float>(i % 11) * 0.01f;
    }
    for (const int64_t count : {int64_t{4000}, int64_t{8000}, n / 2}) {
        const auto want = lowest_reference(scores, count);
        for (int threads : {1, 2}) {
            CAPTURE(count);
            CAPTURE(threads);
            std::vector<uint8_t> mask(static_cast<size_t>(n), 0);
            select_lowest<float>(scores.data(), n, count, mask.data(), threads);
            CHECK(mask == want);
        }
    }
    // The same through the pruning scan: K = 2, every row labelled 0, key p[1] - p[0].
    const int64_t k = 2;
    testdata::Problem d{n, k, std::vector<int64_t>(static_cast<size_t>(n), 0), std::vector<float>(static_cast<size_t>(n * k))};
    for (int64_t i = 0; i < n; ++i) {
        d.p[static_cast<size_t>(i * k + 1)] = 1.0f - scores[static_cast<size_t>(i)];
        d.p[static_cast<size_t>(i * k)] = scores[static_cast<size_t>(i)];
    }
    const std::vector<int64_t> counts = {0, 0, 6000, 0};  // prune_counts[true 1, given 0]
    const std::vector<uint8_t> ok = {1, 1};
    check_noise_rate(d, counts, ok, noise_rate_by_definition(d, counts, ok), {1, 2});
}

#if LABELSIEVE_SIMD_BUILT
TEST_CASE("pruning scan: a row with more SIMD chunks than the scan's record buffer holds (K = 40000)") {
    // 40000 classes are 2500 AVX-512 (5000 AVX2) chunks per row, more than one
    // flush of the scan's records; every chunk reaches its -inf floor.
    const SimdLevel level = simd_level();
    if (level == SimdLevel::portable) return;
    const int64_t k = 40000, n = 3, target = k - 7;
    const std::vector<int64_t> labels(static_cast<size_t>(n), 0);  // only class 0's floor row is read
    std::vector<float> p(static_cast<size_t>(n * k), 0.0f);
    const float target_values[n] = {0.3f, 0.5f, 0.4f};
    for (int64_t i = 0; i < n; ++i) {
        p[static_cast<size_t>(i * k)] = 0.1f;
        p[static_cast<size_t>(i * k + target)] = target_values[i];
    }
    std::vector<float> floors(static_cast<size_t>(k), -INFINITY);
    std::vector<int32_t> slot_of(static_cast<size_t>(k), -1);
    slot_of[static_cast<size_t>(target)] = 0;  // one cell selects: (class 0, column target)
    const std::vector<float> no_sure_bounds(floors.size(), INFINITY);
    RowBits marks(n, 1);
    TopM<float, PackedEntries> top(2);
    CellSink<float, PackedEntries> sink(floors.data(), no_sure_bounds.data(), slot_of.data(), &top, marks, 0);
    CHECK(noise_rate_rows_simd<float, int64_t>(level, labels.data(), p.data(), k, nullptr, -1, 0, n, 1, sink));
    std::set<int64_t> selected;
    top.for_each_selected([&](int64_t row) { selected.insert(row); });
    CHECK(selected == std::set<int64_t>{1, 2});
}

TEST_CASE("pruning scan: rows from a label group take the group's label, not the labels array") {
    const SimdLevel level = simd_level();
    if (level == SimdLevel::portable) return;
    const int64_t k = 40, n = 6, group_label = 2, target = 33;
    // The labels array says 0 (whose floors are all +inf): a scan that read it would offer nothing.
    const std::vector<int64_t> labels(static_cast<size_t>(n), 0);
    std::vector<float> p(static_cast<size_t>(n * k), 0.0f);
    const float target_values[n] = {0.9f, 0.5f, 0.9f, 0.2f, 0.9f, 0.4f};  // rows 0, 2, 4 are not listed
    for (int64_t i = 0; i < n; ++i) {
        p[static_cast<size_t>(i * k + group_label)] = 0.1f;
        p[static_cast<size_t>(i * k + target)] = target_values[i];
    }
    std::vector<float> floors(static_cast<size_t>(k * k), INFINITY);
    floors[static_cast<size_t>(group_label * k + target)] = -INFINITY;
    std::vector<int32_t> slot_of(static_cast<size_t>(k * k), -1);
    slot_of[static_cast<size_t>(group_label * k + target)] = 0;
    const std::vector<float> no_sure_bounds(floors.size(), INFINITY);
    RowBits marks(n, 1);
    TopM<float, PackedEntries> top(2);
    CellSink<float, PackedEntries> sink(floors.data(), no_sure_bounds.data(), slot_of.data(), &top, marks, 0);
    const std::vector<uint32_t> group_rows = {1, 3, 5};
    CHECK(noise_rate_rows_simd<float, int64_t>(level, labels.data(), p.data(), k, group_rows.data(), group_label, 0, 3,
                                               1, sink));
    std::set<int64_t> selected;
    top.for_each_selected([&](int64_t row) { selected.insert(row); });
    CHECK(selected == std::set<int64_t>{1, 5});
}
#endif

TEST_CASE("RowBits sets every marked row once, whatever the worker, and keeps the mask's other bytes") {
    for (const int64_t n : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{64}, int64_t{65}, int64_t{1000}, int64_t{4099}}) {
        for (const int workers : {1, 2, 3}) {
            std::mt19937 rng(static_cast<uint32_t>(n * 10 + workers));
            std::vector<uint8_t> mask(static_cast<size_t>(n) + 3, 0), want(static_cast<size_t>(n) + 3, 0);
            for (int64_t i = 0; i < n; i += 5) mask[static_cast<size_t>(i)] = want[static_cast<size_t>(i)] = 1;
            mask[static_cast<size_t>(n)] = want[static_cast<size_t>(n)] = 7;  // past the end: untouched
            RowBits marks(n, workers);
            for (int64_t draw = 0; draw < n; ++draw) {
                const int64_t row = static_cast<int64_t>(rng() % static_cast<uint32_t>(n));
                marks.set(static_cast<int>(rng() % static_cast<uint32_t>(workers)), row);  // repeats across workers too
                want[static_cast<size_t>(row)] = 1;
            }
            if (n > 0) marks.set(workers - 1, n - 1);  // the last row of a partial word
            if (n > 0) want[static_cast<size_t>(n - 1)] = 1;
            for (const int threads : {1, 2}) {
                std::vector<uint8_t> out(mask);
                marks.or_into(out.data(), threads);
                CHECK(out == want);
            }
        }
    }
}
