// Explicit instantiation lists: every kernel exists for each probability type
// and each label type, from one template (no hand-written variants).
#pragma once

#define LABELSIEVE_FOR_EACH_FLOAT(X) X(::labelsieve::Half) X(float) X(double)

#define LABELSIEVE_FOR_EACH_FLOAT_AND_LABEL(X) \
    X(::labelsieve::Half, int32_t)             \
    X(::labelsieve::Half, int64_t)             \
    X(float, int32_t)                          \
    X(float, int64_t)                          \
    X(double, int32_t)                         \
    X(double, int64_t)
