// NumPy's sum of a sequence that arrives one value at a time.
// pairwise_sum() (pairwise_sum.hpp) needs the values in one buffer; the
// multi-label class pass instead streams 2K interleaved sequences (each
// class's positives and negatives) out of one read of the N x K rows, so it
// walks the same split tree incrementally: the tree depends only on the
// sequence length, which a counting pass gives in advance.  Every addition
// is the one pairwise_sum() performs, in the same order, so the result is
// bit-identical to numpy_sum() (or numpy_sum_through_buffer() when the
// segment length is kCastBufferSize).
#pragma once
#include <algorithm>
#include <cstdint>

#include "pairwise_sum.hpp"

namespace labelsieve {

template <class A>
class PairwiseStream {
public:
    // Expect `n` values; `segment` > 0 is the buffer length (n: one segment,
    // i.e. numpy_sum; kCastBufferSize: numpy_sum_through_buffer).
    void start(int64_t n, int64_t segment) {
        remaining_ = n;
        segment_ = std::max<int64_t>(segment, 1);
        total_ = A(0);
        todo_n_ = parents_n_ = values_n_ = 0;
        if (remaining_ > 0) begin_segment();
    }

    void push(A x) {
        if (leaf_len_ < 8) {
            acc_ = offset_ == 0 ? x : acc_ + x;  // -0.0 + x == x, bit for bit
        } else if (offset_ < 8) {
            part_[offset_] = x;
        } else if (offset_ < main_) {
            part_[offset_ & 7] += x;
        } else {
            if (offset_ == main_) acc_ = combine();
            acc_ += x;
        }
        if (++offset_ == leaf_len_) finish_leaf();
    }

    // The sum once all n values are in (0 for n == 0, like np.sum).
    A result() const { return total_; }

private:
    enum Side : uint8_t { kRoot, kLeft, kRight };
    static constexpr int kMaxDepth = 64;  // the tree halves each level

    void begin_segment() {
        const int64_t len = std::min(segment_, remaining_);
        remaining_ -= len;
        descend(len, kRoot);
    }

    void descend(int64_t n, Side side) {
        while (n > 128) {
            int64_t half = n / 2;
            half -= half % 8;
            parents_[parents_n_++] = side;
            todo_[todo_n_++] = n - half;
            n = half;
            side = kLeft;
        }
        leaf_len_ = n;
        leaf_side_ = side;
        offset_ = 0;
        main_ = n - n % 8;
    }

    A combine() const {
        return ((part_[0] + part_[1]) + (part_[2] + part_[3])) + ((part_[4] + part_[5]) + (part_[6] + part_[7]));
    }

    void finish_leaf() {
        A value = (leaf_len_ >= 8 && main_ == leaf_len_) ? combine() : acc_;
        Side side = leaf_side_;
        while (side == kRight) {  // a right half is done: add it to its left sibling
            value = values_[--values_n_] + value;
            side = static_cast<Side>(parents_[--parents_n_]);
        }
        if (side == kRoot) {
            total_ = total_ + value;
            if (remaining_ > 0) begin_segment();
        } else {
            values_[values_n_++] = value;
            descend(todo_[--todo_n_], kRight);
        }
    }

    int64_t remaining_ = 0, segment_ = 1;
    A total_ = A(0);
    int64_t todo_[kMaxDepth];
    uint8_t parents_[kMaxDepth];
    A values_[kMaxDepth];
    int todo_n_ = 0, parents_n_ = 0, values_n_ = 0;
    int64_t leaf_len_ = 0, offset_ = 0, main_ = 0;
    Side leaf_side_ = kRoot;
    A part_[8];
    A acc_ = A(0);
};

}  // namespace labelsieve
