#ifndef GANTRY_CPUINFO_H
#define GANTRY_CPUINFO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// What this CPU can execute, asked of the CPU itself (cpuid, xgetbv): feature bits, never model
// numbers, so that a CPU newer than any table is still known by what it can do. All false on
// a CPU that is not x86-64.

struct gantry_cpu_features {
    bool avx, fma, avx2;                            // CPUID.1:ECX, CPUID.(7,0):EBX
    bool avx512f, avx512bw, avx512dq, avx512vl;     // CPUID.(7,0):EBX
    bool avx512bf16;                                // CPUID.(7,1):EAX
    // Whether the OS saves the registers (XCR0, read with xgetbv when OSXSAVE is set): a CPU
    // feature is usable only when its register state is. AVX needs the XMM and YMM state;
    // AVX-512 also needs the opmask, ZMM_Hi256 and Hi16_ZMM state.
    bool os_avx_state, os_avx512_state;
};

void gantry_cpu_features(struct gantry_cpu_features *features);

/// The CPU's brand string (CPUID 0x80000002–4), without padding; "" when it has none.
/// `capacity` of 49 holds any brand string.
void gantry_cpu_brand(char *brand, size_t capacity);

/// The vector instruction sets the multiply-add loop comes in, narrowest first.
enum gantry_vector_isa {
    GANTRY_ISA_BASELINE = 0,  // 128-bit vectors, multiply then add (SSE2 on x86-64)
    GANTRY_ISA_AVX = 1,       // 256-bit, multiply then add
    GANTRY_ISA_AVX2_FMA = 2,  // 256-bit fused multiply-add
    GANTRY_ISA_AVX512 = 3,    // 512-bit fused multiply-add
};

/// Runs `iterations` rounds of independent multiply-adds in registers at `isa` (which the
/// caller has checked the CPU supports) and returns the floating-point operations done:
/// 2 per lane per multiply-add. The yardstick of a core's peak (docs/performance.md).
double gantry_multiply_add_loop(enum gantry_vector_isa isa, int64_t iterations);

#endif
