#include "CHalf.h"
#include <string.h>

// Written with clang's _Float16 so that the compiler emits the conversions. Each loop is
// compiled twice on x86-64: plainly, where every conversion is a libcall (about 45 ns per
// value here), and for F16C, where the loops become vcvtps2ph / vcvtph2ps on 8 values at a
// time (about 0.1 ns per value); the CPU is asked once which to use. Every x86-64 CPU since
// 2012 has F16C; ARMv8 converts natively and needs no second copy.

#define HALF_LOOPS(SUFFIX, ATTRIBUTES)                                                           \
    ATTRIBUTES static void floats_to_halves_##SUFFIX(const float *floats, uint16_t *halves,     \
                                                     size_t count) {                            \
        for (size_t i = 0; i < count; i++) {                                                    \
            _Float16 h = (_Float16)floats[i];                                                   \
            memcpy(&halves[i], &h, sizeof h);                                                   \
        }                                                                                       \
    }                                                                                           \
    ATTRIBUTES static void halves_to_floats_##SUFFIX(const uint16_t *halves, float *floats,     \
                                                     size_t count) {                            \
        for (size_t i = 0; i < count; i++) {                                                    \
            _Float16 h;                                                                         \
            memcpy(&h, &halves[i], sizeof h);                                                   \
            floats[i] = (float)h;                                                               \
        }                                                                                       \
    }                                                                                           \
    ATTRIBUTES static void halves_add_##SUFFIX(const uint16_t *addends, uint16_t *sums,         \
                                               size_t count) {                                  \
        for (size_t i = 0; i < count; i++) {                                                    \
            _Float16 a, s;                                                                      \
            memcpy(&a, &addends[i], sizeof a);                                                  \
            memcpy(&s, &sums[i], sizeof s);                                                     \
            s = (_Float16)((float)s + (float)a);                                                \
            memcpy(&sums[i], &s, sizeof s);                                                     \
        }                                                                                       \
    }

HALF_LOOPS(plain, )

#if defined(__x86_64__)
HALF_LOOPS(f16c, __attribute__((target("avx2,f16c"))))
// Reads the CPU model that compiler-rt's constructor filled in: cheap, once per call.
static int has_f16c(void) { return __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx2"); }
#define DISPATCH(NAME, ...) (has_f16c() ? NAME##_f16c(__VA_ARGS__) : NAME##_plain(__VA_ARGS__))
#else
#define DISPATCH(NAME, ...) NAME##_plain(__VA_ARGS__)
#endif

void gantry_floats_to_halves(const float *floats, uint16_t *halves, size_t count) {
    DISPATCH(floats_to_halves, floats, halves, count);
}

void gantry_halves_to_floats(const uint16_t *halves, float *floats, size_t count) {
    DISPATCH(halves_to_floats, halves, floats, count);
}

void gantry_halves_add(const uint16_t *addends, uint16_t *sums, size_t count) {
    DISPATCH(halves_add, addends, sums, count);
}
