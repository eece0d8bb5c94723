// NumPy's pairwise sums (pairwise_sum.hpp) of value sequences that arrive in
// order but split into contiguous ranges, one range per thread, without ever
// holding a whole sequence: the class pass sums each class's values this way
// instead of gathering all N of them into a buffer first.
//
// NumPy's pairwise tree over n values is fixed by n alone, and its leaves
// (nodes of at most 128 values) are summed directly; a node above them adds
// its two children.  So a range streams its values through one 128-value
// buffer per sequence, sums each leaf it holds whole, and keeps the values of
// the (at most two) leaves it shares with neighbouring ranges as fragments;
// join_fragments() completes those leaves from their fragments in range
// order, and PairwiseLeaves::total() adds the leaf sums up the tree.  The
// result is NumPy's, bit for bit, however the sequences are split.  Memory:
// a leaf buffer per sequence and range (K x 128 values a thread in the class
// pass, 0.5 MB at K = 1000 for float) and one start and sum per leaf (about
// 0.1 bytes a value).
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "pairwise_sum.hpp"

namespace labelsieve {

constexpr int64_t kPairwiseLeafSize = 128;  // pairwise_sum's direct-sum block

// The independent trees a sequence of n values is summed in: one (np.sum),
// or one per kCastBufferSize values when NumPy casts through its buffer.
struct PairwiseShape {
    int64_t size;
    bool buffered;
    int64_t tree_size(int64_t tree_start) const {
        return buffered ? std::min(kCastBufferSize, size - tree_start) : size - tree_start;
    }
};

namespace detail {

inline void append_leaf_starts(int64_t start, int64_t n, std::vector<int64_t>& starts) {
    if (n <= kPairwiseLeafSize) {
        starts.push_back(start);
        return;
    }
    int64_t half = n / 2;
    half -= half % 8;
    append_leaf_starts(start, half, starts);
    append_leaf_starts(start + half, n - half, starts);
}

// The sum of the tree node [start, start + n) from the leaf sums, in the tree's order.
template <class A>
A node_sum(int64_t n, const A* leaf_sums, size_t& next_leaf) {
    if (n <= kPairwiseLeafSize) return leaf_sums[next_leaf++];
    int64_t half = n / 2;
    half -= half % 8;
    const A left = node_sum(half, leaf_sums, next_leaf);
    return left + node_sum(n - half, leaf_sums, next_leaf);
}

}  // namespace detail

// One sequence's leaves (leaf i is positions [starts[i], starts[i + 1]))
// and their sums, filled by the ranges and by join_fragments().
template <class A>
class PairwiseLeaves {
public:
    explicit PairwiseLeaves(PairwiseShape shape) : shape_(shape) {
        for (int64_t start = 0; start < shape.size; start += shape.tree_size(start)) {
            detail::append_leaf_starts(start, shape.tree_size(start), starts_);
        }
        starts_.push_back(shape.size);
        sums_.resize(starts_.size() - 1);
    }
    int64_t size() const { return shape_.size; }
    size_t count() const { return sums_.size(); }
    // The leaf holding `position` (< size).
    size_t leaf_at(int64_t position) const {
        return static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), position) - starts_.begin() - 1);
    }
    int64_t leaf_start(size_t leaf) const { return starts_[leaf]; }
    int64_t leaf_end(size_t leaf) const { return starts_[leaf + 1]; }
    void set_sum(size_t leaf, A sum) { sums_[leaf] = sum; }

    // What np.sum (np.sum through the cast buffer when buffered) returns, once every leaf has its sum.
    A total() const {
        size_t next_leaf = 0;
        if (shape_.size == 0) return A(0);  // np.sum of nothing
        if (!shape_.buffered) return A(0) + detail::node_sum(shape_.size, sums_.data(), next_leaf);
        A result = A(0);
        for (int64_t start = 0; start < shape_.size; start += shape_.tree_size(start)) {
            result = result + detail::node_sum(shape_.tree_size(start), sums_.data(), next_leaf);
        }
        return result;
    }

private:
    PairwiseShape shape_;
    std::vector<int64_t> starts_;
    std::vector<A> sums_;
};

// The values of one leaf that one range holds, when the leaf is not wholly its own.
template <class A>
struct LeafFragment {
    size_t sequence;
    size_t leaf;
    std::vector<A> values;
};

// One range's values of several sequences: positions [first[s], ...) of
// sequence s, pushed in order.  Leaves wholly inside the range get their sum;
// the others leave fragments for join_fragments().
template <class A>
class PairwiseRange {
public:
    PairwiseRange(std::vector<PairwiseLeaves<A>>& sequences, const int64_t* first)
        : sequences_(sequences), state_(sequences.size()) {
        for (size_t s = 0; s < sequences.size(); ++s) start(s, first[s]);
    }

    // Inlined into the caller's row loop; the leaf's end (about one push in
    // a hundred) is out of line.
    [[gnu::always_inline]] inline void push(size_t sequence, A value) {
        State& s = state_[sequence];
        s.buffer[s.fill++] = value;
        if (s.fill == s.leaf_left) finish_leaf(sequence);
    }

    // After the range's last value: its unfinished leaves become fragments.
    std::vector<LeafFragment<A>> take_fragments() {
        for (size_t s = 0; s < state_.size(); ++s) {
            if (state_[s].fill > 0) keep_fragment(s);
        }
        return std::move(fragments_);
    }

private:
    struct State {
        size_t leaf = 0;
        int64_t leaf_left = 0;  // values that complete the current leaf
        int64_t fill = 0;
        bool whole = true;  // the current leaf started in this range
        A buffer[kPairwiseLeafSize];
    };

    void start(size_t sequence, int64_t position) {
        const PairwiseLeaves<A>& leaves = sequences_[sequence];
        if (position >= leaves.size()) return;  // the range holds none of this sequence
        State& s = state_[sequence];
        s.leaf = leaves.leaf_at(position);
        s.whole = leaves.leaf_start(s.leaf) == position;
        s.leaf_left = leaves.leaf_end(s.leaf) - position;
    }

    [[gnu::noinline]] void finish_leaf(size_t sequence) {
        State& s = state_[sequence];
        PairwiseLeaves<A>& leaves = sequences_[sequence];
        if (s.whole) {
            leaves.set_sum(s.leaf, pairwise_sum(s.buffer, s.fill));
        } else {
            keep_fragment(sequence);
        }
        s.fill = 0;
        s.whole = true;
        ++s.leaf;
        s.leaf_left = s.leaf < leaves.count() ? leaves.leaf_end(s.leaf) - leaves.leaf_start(s.leaf) : 0;
    }

    void keep_fragment(size_t sequence) {
        State& s = state_[sequence];
        fragments_.push_back(LeafFragment<A>{sequence, s.leaf, std::vector<A>(s.buffer, s.buffer + s.fill)});
    }

    std::vector<PairwiseLeaves<A>>& sequences_;
    std::vector<State> state_;
    std::vector<LeafFragment<A>> fragments_;
};

// Completes the leaves the ranges shared, from their fragments (given range
// by range, ranges in sequence order: a leaf's fragments are then in order).
template <class A>
void join_fragments(std::vector<PairwiseLeaves<A>>& sequences, const std::vector<std::vector<LeafFragment<A>>>& by_range) {
    std::map<std::pair<size_t, size_t>, std::vector<A>> leaf_values;  // (sequence, leaf) -> its values
    for (const auto& fragments : by_range) {
        for (const auto& fragment : fragments) {
            auto& values = leaf_values[{fragment.sequence, fragment.leaf}];
            values.insert(values.end(), fragment.values.begin(), fragment.values.end());
        }
    }
    for (const auto& [at, values] : leaf_values) {
        sequences[at.first].set_sum(at.second, pairwise_sum(values.data(), static_cast<int64_t>(values.size())));
    }
}

}  // namespace labelsieve
