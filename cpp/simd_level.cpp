// Which SIMD row loops this CPU runs (see simd.hpp).
#include <cstdlib>
#include <cstring>

#include "simd.hpp"

namespace labelsieve {

SimdLevel simd_level() {
#if LABELSIEVE_SIMD_BUILT
    static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c") &&
                             __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
                             __builtin_cpu_supports("popcnt");
    static const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    // Read on every call, so that tests can switch it between calls.
    const char* setting = std::getenv("LABELSIEVE_SIMD");
    const bool off = setting != nullptr && std::strcmp(setting, "off") == 0;
    const bool at_most_avx2 = setting != nullptr && std::strcmp(setting, "avx2") == 0;
    if (off || !avx2) return SimdLevel::portable;
    return avx512 && !at_most_avx2 ? SimdLevel::avx512 : SimdLevel::avx2;
#else
    return SimdLevel::portable;
#endif
}

}  // namespace labelsieve
