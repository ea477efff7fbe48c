#include "CPUInfo.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

// ------------------------------------------------------------------------------------------
// Features: cpuid leaf 1 and leaf 7 (subleaves 0 and 1), and XCR0.

__attribute__((target("xsave"))) static uint64_t enabled_register_state(void) { return _xgetbv(0); }

void gantry_cpu_features(struct gantry_cpu_features *features) {
    memset(features, 0, sizeof *features);
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return;
    bool osxsave = c & bit_OSXSAVE;
    features->avx = c & bit_AVX;
    features->fma = c & bit_FMA;
    if (osxsave) {
        uint64_t xcr0 = enabled_register_state();
        features->os_avx_state = (xcr0 & 0x6) == 0x6;       // XMM (bit 1), YMM (bit 2)
        features->os_avx512_state = (xcr0 & 0xe6) == 0xe6;  // and opmask, ZMM_Hi256, Hi16_ZMM (bits 5-7)
    }
    unsigned max_leaf = __get_cpuid_max(0, NULL);
    if (max_leaf < 7) return;
    __cpuid_count(7, 0, a, b, c, d);
    unsigned max_subleaf = a;
    features->avx2 = b & bit_AVX2;
    features->avx512f = b & bit_AVX512F;
    features->avx512dq = b & bit_AVX512DQ;
    features->avx512bw = b & bit_AVX512BW;
    features->avx512vl = b & bit_AVX512VL;
    if (max_subleaf >= 1) {
        __cpuid_count(7, 1, a, b, c, d);
        features->avx512bf16 = a & (1u << 5);
    }
}

void gantry_cpu_brand(char *brand, size_t capacity) {
    char text[49] = {0};
    if (__get_cpuid_max(0x80000000, NULL) >= 0x80000004) {
        for (unsigned leaf = 0; leaf < 3; leaf++) {
            unsigned registers[4];
            __get_cpuid(0x80000002 + leaf, &registers[0], &registers[1], &registers[2], &registers[3]);
            memcpy(text + 16 * leaf, registers, 16);
        }
    }
    // Vendors pad the string with spaces at either end.
    char *start = text;
    while (*start == ' ') start++;
    size_t length = strlen(start);
    while (length > 0 && start[length - 1] == ' ') length--;
    if (capacity == 0) return;
    if (length >= capacity) length = capacity - 1;
    memcpy(brand, start, length);
    brand[length] = 0;
}

#else

void gantry_cpu_features(struct gantry_cpu_features *features) { memset(features, 0, sizeof *features); }

void gantry_cpu_brand(char *brand, size_t capacity) {
    if (capacity > 0) brand[0] = 0;
}

#endif

// ------------------------------------------------------------------------------------------
// The multiply-add loop. ACCUMULATORS independent chains acc = acc · m + c, so that a new
// multiply-add can start every cycle on every port although each takes several cycles: the
// chains must outnumber latency × ports (4 × 2 on Skylake-X and Zen 4, 5 × 2 on Haswell).
// 16 zmm accumulators leave 16 of the 32 registers free; 12 ymm/xmm ones leave 4 of 16.
// With m just below 1 every chain converges to c / (1 − m) = 1: no overflow, no denormals
// (none starts at 1, which the compiler would fold as a fixed point). The sums go to a
// volatile so that the compiler keeps the work.

static volatile float multiply_add_sink;

#define MULTIPLY_ADD_LOOP(NAME, ATTRIBUTES, VECTOR, BROADCAST, STEP, ACCUMULATORS)                 \
    ATTRIBUTES static double NAME(int64_t iterations) {                                            \
        const VECTOR m = BROADCAST(0.999999f), c = BROADCAST(0.000001f);                           \
        VECTOR acc[ACCUMULATORS];                                                                  \
        for (int j = 0; j < ACCUMULATORS; j++) acc[j] = BROADCAST(2.0f + (float)j);                \
        for (int64_t i = 0; i < iterations; i++) {                                                 \
            for (int j = 0; j < ACCUMULATORS; j++) acc[j] = STEP(acc[j], m, c);                    \
        }                                                                                          \
        float lanes[sizeof(VECTOR) / sizeof(float)], sum = 0;                                      \
        for (int j = 0; j < ACCUMULATORS; j++) {                                                   \
            memcpy(lanes, &acc[j], sizeof lanes);                                                  \
            sum += lanes[0];                                                                       \
        }                                                                                          \
        multiply_add_sink = sum;                                                                   \
        return 2.0 * (double)(sizeof(VECTOR) / sizeof(float)) * ACCUMULATORS * (double)iterations; \
    }

#if defined(__x86_64__)
#define FMA512(a, m, c) _mm512_fmadd_ps(a, m, c)
#define FMA256(a, m, c) _mm256_fmadd_ps(a, m, c)
#define MUL_ADD256(a, m, c) _mm256_add_ps(_mm256_mul_ps(a, m), c)
#define MUL_ADD128(a, m, c) _mm_add_ps(_mm_mul_ps(a, m), c)
MULTIPLY_ADD_LOOP(loop_avx512, __attribute__((target("avx512f"))), __m512, _mm512_set1_ps, FMA512, 16)
MULTIPLY_ADD_LOOP(loop_avx2_fma, __attribute__((target("avx2,fma"))), __m256, _mm256_set1_ps, FMA256, 12)
MULTIPLY_ADD_LOOP(loop_avx, __attribute__((target("avx"))), __m256, _mm256_set1_ps, MUL_ADD256, 12)
MULTIPLY_ADD_LOOP(loop_baseline, , __m128, _mm_set1_ps, MUL_ADD128, 12)

double gantry_multiply_add_loop(enum gantry_vector_isa isa, int64_t iterations) {
    switch (isa) {
    case GANTRY_ISA_AVX512: return loop_avx512(iterations);
    case GANTRY_ISA_AVX2_FMA: return loop_avx2_fma(iterations);
    case GANTRY_ISA_AVX: return loop_avx(iterations);
    default: return loop_baseline(iterations);
    }
}

#else
// Elsewhere, the compiler's own 128-bit vectors (NEON on ARMv8, where it fuses them).
typedef float vector128 __attribute__((vector_size(16)));
#define BROADCAST128(x) ((vector128){x, x, x, x})
#define MUL_ADD(a, m, c) ((a) * (m) + (c))
MULTIPLY_ADD_LOOP(loop_baseline, , vector128, BROADCAST128, MUL_ADD, 12)

double gantry_multiply_add_loop(enum gantry_vector_isa isa, int64_t iterations) {
    (void)isa;
    return loop_baseline(iterations);
}
#endif
