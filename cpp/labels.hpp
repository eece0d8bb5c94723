// Label range checking folded into the kernels' own reads of the labels.
#pragma once
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace labelsieve {

class LabelGuard {
public:
    explicit LabelGuard(int64_t k) : k_(static_cast<uint64_t>(k)) {}
    // True when the label can be used as an index; otherwise remembers the failure.
    template <class L>
    bool ok(L label) {
        if (static_cast<uint64_t>(static_cast<int64_t>(label)) < k_) return true;
        bad_.store(true, std::memory_order_relaxed);
        return false;
    }
    // For kernels that check labels themselves (the SIMD loops).
    void mark_bad() { bad_.store(true, std::memory_order_relaxed); }
    void throw_if_bad() const {
        if (bad_.load()) {
            throw std::invalid_argument("labels must be integers in [0, " + std::to_string(k_) +
                                        ") (the number of columns of pred_probs)");
        }
    }

private:
    uint64_t k_;
    std::atomic<bool> bad_{false};
};

// Labels [begin, end) copied to out[begin, end) as one byte each (k <= 256);
// false when one lies outside [0, k).  Branch-free, so that it vectorises:
// the SIMD files compile it under their targets (AVX-512 narrows eight int64
// labels per instruction), the portable build as it is.
template <class L>
inline bool narrow_label_block(const L* labels, int64_t begin, int64_t end, int64_t k, uint8_t* out) {
    using U = std::make_unsigned_t<L>;
    U largest = 0;  // as unsigned, a negative label exceeds every class
    for (int64_t i = begin; i < end; ++i) {
        const U label = static_cast<U>(labels[i]);
        largest = label > largest ? label : largest;
        out[i] = static_cast<uint8_t>(label);
    }
    return largest < static_cast<U>(k);
}

}  // namespace labelsieve
