#ifndef GANTRY_CHALF_H
#define GANTRY_CHALF_H
#include <stddef.h>
#include <stdint.h>

// IEEE 754 half precision (binary16) for gradient compression: gradients travel as 16-bit
// halves and are added in float. Conversions round to nearest even; values beyond the half
// range become infinities (and are then caught by the trainer's finiteness check).

/// halves[i] = half(floats[i]) for i < count.
void gantry_floats_to_halves(const float *floats, uint16_t *halves, size_t count);

/// floats[i] = float(halves[i]) for i < count (exact).
void gantry_halves_to_floats(const uint16_t *halves, float *floats, size_t count);

/// sums[i] = half(float(sums[i]) + float(addends[i])): the element-wise reduction of a
/// half-precision allreduce, accumulated in float and rounded once per addition.
void gantry_halves_add(const uint16_t *addends, uint16_t *sums, size_t count);

#endif
