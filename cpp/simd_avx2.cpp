// The SIMD row loops for AVX2 (eight lanes); called only when simd_level()
// is SimdLevel::avx2.
#include "simd.hpp"

#if LABELSIEVE_SIMD_BUILT
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "cancel.hpp"
#include "instantiate.hpp"
#include "labels.hpp"
#include "prefetch.hpp"
#include "simd_lanes_avx2.hpp"
#include "top_m.hpp"

namespace labelsieve::avx2 {
#include "simd_kernels.inc"
}  // namespace labelsieve::avx2
#endif
