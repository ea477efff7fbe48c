#include "CHalf.h"
#include <string.h>

// Written with clang's _Float16 so the compiler emits the conversions. On x86-64 each
// function is also compiled for Haswell (AVX2 and F16C), where the loops become
// vcvtps2ph / vcvtph2ps on 8 values at a time instead of a libcall per value; the loader
// picks that clone when the CPU has those instructions and the plain one otherwise.
#if defined(__x86_64__)
#define HALF_TARGET __attribute__((target_clones("arch=haswell", "default")))
#else
#define HALF_TARGET
#endif

HALF_TARGET void gantry_floats_to_halves(const float *floats, uint16_t *halves, size_t count) {
    for (size_t i = 0; i < count; i++) {
        _Float16 h = (_Float16)floats[i];
        memcpy(&halves[i], &h, sizeof h);
    }
}

HALF_TARGET void gantry_halves_to_floats(const uint16_t *halves, float *floats, size_t count) {
    for (size_t i = 0; i < count; i++) {
        _Float16 h;
        memcpy(&h, &halves[i], sizeof h);
        floats[i] = (float)h;
    }
}

HALF_TARGET void gantry_halves_add(const uint16_t *addends, uint16_t *sums, size_t count) {
    for (size_t i = 0; i < count; i++) {
        _Float16 a, s;
        memcpy(&a, &addends[i], sizeof a);
        memcpy(&s, &sums[i], sizeof s);
        s = (_Float16)((float)s + (float)a);
        memcpy(&sums[i], &s, sizeof s);
    }
}
