// An uninitialised array of N trivially copyable values for the O(N) scratch
// buffers (the grouped selection's row lists, the selections' row bitmaps).
// A fresh std::vector of tens of megabytes is zero-filled, then faulted in
// one 4 KiB page at a time by the kernel (it cost a fifth of the class pass at
// 10M rows when that pass gathered every row's value).  On Linux the memory
// is 2 MiB-aligned and marked for transparent huge pages (as NumPy does for
// its large arrays); elsewhere it is malloc'd.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace labelsieve {

template <class T>
class LargeArray {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

public:
    LargeArray() = default;
    explicit LargeArray(size_t count) : size_(count) {
        if (count == 0) return;
        if (count > kMaxBytes / sizeof(T)) throw std::bad_alloc();
#if defined(__linux__)
        const size_t bytes = count * sizeof(T);
        if (bytes >= kHugePage) {
            const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
            void* memory = std::aligned_alloc(kHugePage, rounded);
            if (memory == nullptr) throw std::bad_alloc();
            madvise(memory, rounded, MADV_HUGEPAGE);  // advice only: failure just means small pages
            data_.reset(static_cast<T*>(memory));
            return;
        }
#endif
        data_.reset(static_cast<T*>(std::malloc(count * sizeof(T))));
        if (!data_) throw std::bad_alloc();
    }

    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    T& operator[](size_t i) { return data_.get()[i]; }
    const T& operator[](size_t i) const { return data_.get()[i]; }
    size_t size() const { return size_; }

private:
    struct Free {
        void operator()(T* memory) const { std::free(memory); }
    };
    static constexpr size_t kHugePage = size_t{1} << 21;
    static constexpr size_t kMaxBytes = size_t{1} << 62;
    std::unique_ptr<T, Free> data_;
    size_t size_ = 0;
};

}  // namespace labelsieve
