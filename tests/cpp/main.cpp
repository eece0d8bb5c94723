// doctest's main(): the C++ unit tests of the core primitives (tests/cpp/*.cpp).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
