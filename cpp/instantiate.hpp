// Explicit instantiation lists: every kernel exists for each probability type
// and each label type, from one template (no hand-written variants).
#pragma once

#define LABELSIEVE_FOR_EACH_FLOAT(X) X(::labelsieve::Half) X(float) X(double)

// Label types: the user's int32/int64, and uint8 (K <= 256), to which the
// Python layer narrows checked labels for calls that read them in several
// passes: each read then costs 1 byte a label instead of 8 (10M int64 labels
// are a fifth of the bytes of 10M x 10 float32 probabilities).
#define LABELSIEVE_FOR_EACH_LABEL(X) X(int32_t) X(int64_t) X(uint8_t)

#define LABELSIEVE_FOR_EACH_FLOAT_AND_LABEL(X) \
    X(::labelsieve::Half, int32_t)             \
    X(::labelsieve::Half, int64_t)             \
    X(::labelsieve::Half, uint8_t)             \
    X(float, int32_t)                          \
    X(float, int64_t)                          \
    X(float, uint8_t)                          \
    X(double, int32_t)                         \
    X(double, int64_t)                         \
    X(double, uint8_t)
