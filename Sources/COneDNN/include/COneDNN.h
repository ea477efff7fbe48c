#ifndef GANTRY_CONEDNN_H
#define GANTRY_CONEDNN_H
#include <stddef.h>

// A convolution (Conv2d) or transposed convolution (ConvTranspose2d) of a fixed shape run by
// oneDNN, for the layers of GantryNN that choose it (ConvolutionBackend). The caller's
// tensors stay in Gantry's layouts: activations (C, N, H, W), of which a plan takes a run of
// `samples` of a `batch` (so the channel stride is batch·H·W), Conv2d weights
// (Cout, Cin, k, k), ConvTranspose2d weights (Cin, Cout, k, k). Every call reorders its
// operands into the blocked layouts oneDNN picked for the shape, runs the primitive, and
// reorders the result back, all inside `arena`, memory the caller owns
// (`gantry_onednn_arena_floats` of it), so that a call allocates nothing. A plan runs
// single-threaded on the calling thread: GantryNN splits the batch over its own workers, one
// plan per worker.

typedef struct gantry_onednn_convolution gantry_onednn_convolution;

/// A convolution's shape: the layer's, and the run of `samples` of a `batch` a plan takes.
typedef struct {
    int transposed;  // 1 for ConvTranspose2d (oneDNN's deconvolution)
    int samples, batch;
    int in_channels, in_height, in_width, out_channels, out_height, out_width;
    int kernel, stride, padding;
} gantry_onednn_shape;

/// The plan for `shape`, or NULL with the reason in `why` when oneDNN has no optimised
/// implementation (only its reference one) for some pass, or fails.
gantry_onednn_convolution *gantry_onednn_create(gantry_onednn_shape shape, char *why, size_t why_capacity);
/// Whether `gantry_onednn_create` would succeed, without building the primitives (which
/// generates their code): 1, or 0 with the reason in `why`.
int gantry_onednn_supported(gantry_onednn_shape shape, char *why, size_t why_capacity);
void gantry_onednn_destroy(gantry_onednn_convolution *plan);

/// oneDNN's version, e.g. "2.6.3", into `text`.
void gantry_onednn_version(char *text, size_t capacity);

/// Floats of arena a call needs (the largest of the three passes).
size_t gantry_onednn_arena_floats(const gantry_onednn_convolution *plan);

/// y = conv(x, w). Returns 0, or oneDNN's status code.
int gantry_onednn_forward(gantry_onednn_convolution *plan, const float *x, const float *w, float *y, float *arena);
/// dx = the input gradient for dy (overwritten).
int gantry_onednn_backward_data(gantry_onednn_convolution *plan, const float *dy, const float *w, float *dx,
                                float *arena);
/// dw += the weight gradient for x and dy.
int gantry_onednn_backward_weights(gantry_onednn_convolution *plan, const float *x, const float *dy, float *dw,
                                   float *arena);

#endif
