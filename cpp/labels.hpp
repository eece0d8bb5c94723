// Label range checking folded into the kernels' own reads of the labels.
#pragma once
#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

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

}  // namespace labelsieve
