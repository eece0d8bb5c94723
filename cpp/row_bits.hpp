// Selected rows as bits, one bitmap per worker, before they reach a byte mask.
// The selections mark rows in no particular order: a store per row into an
// N-byte mask missed the cache on nearly every row (a tenth of the 10M x 10
// pruning), where a bitmap is eight times smaller (1.25 MB at 10M rows: it
// stays in L2).  Workers own their bitmaps (a row can be selected in several
// cells, and atomic ORs cost more than the misses); or_into merges them in
// row order.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "large_array.hpp"
#include "thread_pool.hpp"

namespace labelsieve {

// Byte j of bytes[v] is bit j of v.
struct SpreadBitsTable {
    uint8_t bytes[256][8];
    constexpr SpreadBitsTable() : bytes() {
        for (int value = 0; value < 256; ++value) {
            for (int bit = 0; bit < 8; ++bit) bytes[value][bit] = static_cast<uint8_t>((value >> bit) & 1);
        }
    }
};
inline constexpr SpreadBitsTable kSpreadBits{};

class RowBits {
public:
    RowBits(int64_t n, int workers)
        : n_(n), words_((n + 63) / 64), workers_(workers), bits_(static_cast<size_t>(words_ * workers)) {
        clear();
    }

    void clear() {
        if (bits_.size() > 0) std::memset(bits_.data(), 0, bits_.size() * sizeof(uint64_t));
    }

    void set(int worker, int64_t row) {
        bits_[static_cast<size_t>(worker * words_ + row / 64)] |= uint64_t{1} << (row % 64);
    }

    // out_mask[row] = 1 for every row set by any worker (other bytes unchanged).
    void or_into(uint8_t* out_mask, int n_threads) const {
        parallel_ranges(words_, n_threads, [&](int64_t begin, int64_t end, int) {
            for (int64_t w = begin; w < end; ++w) {
                uint64_t word = 0;
                for (int worker = 0; worker < workers_; ++worker) word |= bits_[static_cast<size_t>(worker * words_ + w)];
                if (word == 0) continue;
                const int64_t first = w * 64;
                const int64_t count = std::min<int64_t>(64, n_ - first);
                for (int64_t b = 0; b < count; b += 8) {
                    // Eight bits to eight bytes (bit j -> byte j) through the table.
                    const uint8_t* spread = kSpreadBits.bytes[(word >> b) & 0xFF];
                    uint8_t* out = out_mask + first + b;
                    if (count - b >= 8) {
                        // One 8-byte OR: a byte loop stays eight loads and stores
                        // (out may alias the table, so the compiler cannot merge them).
                        uint64_t bytes, spread_bytes;
                        std::memcpy(&bytes, out, 8);
                        std::memcpy(&spread_bytes, spread, 8);
                        bytes |= spread_bytes;
                        std::memcpy(out, &bytes, 8);
                    } else {
                        for (int64_t j = 0; j < count - b; ++j) out[j] |= spread[j];
                    }
                }
            }
        });
    }

private:
    int64_t n_;
    int64_t words_;
    int workers_;
    LargeArray<uint64_t> bits_;
};

}  // namespace labelsieve
