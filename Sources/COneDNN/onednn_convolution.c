// oneDNN's convolutions for GantryNN (see COneDNN.h): three primitives per plan (forward,
// input gradient, weight gradient), each with its operands' conversions between Gantry's
// plain layouts and the blocked ones oneDNN chose, all placed in the caller's arena.

#include "COneDNN.h"

#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// libgomp's, which Debian's libdnnl runs its threads on. A plan is single-threaded: GantryNN's
// workers already split the batch, one plan each.
void omp_set_num_threads(int count);

// ------------------------------------------------------------------------------------------
// One operand of a pass: the caller's tensor in Gantry's layout (`plain`, its pointer set per
// call) and the primitive's (`blocked`, in the arena at `offset` floats), converted by
// `reorder` before the primitive for inputs and after it for the output. When oneDNN chose
// the plain layout itself, `blocked` is `plain` and there is no reorder.

typedef struct {
    int argument;  // DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, ...
    dnnl_memory_t plain, blocked;
    dnnl_primitive_t reorder;
    size_t offset;
} operand;

typedef struct {
    dnnl_primitive_t primitive;
    operand inputs[2], output;
    dnnl_memory_t scratchpad;  // NULL when the primitive needs none
    size_t scratchpad_offset;
    size_t arena_floats;
} pass;

struct gantry_onednn_convolution {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    pass forward, backward_data, backward_weights;
};

typedef struct {
    char *why;
    size_t capacity;
} failure;

#define CHECK(call)                                                                                    \
    do {                                                                                               \
        dnnl_status_t status_ = (call);                                                                \
        if (status_ != dnnl_success) {                                                                 \
            snprintf(fail->why, fail->capacity, "oneDNN: %s failed (status %d)", #call, (int)status_); \
            return 0;                                                                                  \
        }                                                                                              \
    } while (0)

// Floats of `md`, rounded up to 16 so that every tensor in the arena starts 64-byte aligned.
static size_t aligned_floats(const dnnl_memory_desc_t *md) {
    size_t floats = (dnnl_memory_desc_get_size(md) + sizeof(float) - 1) / sizeof(float);
    return (floats + 15) / 16 * 16;
}

// Sets up `op` for a tensor of layout `plain_md` that the primitive takes as `blocked_md`.
// An output with `accumulate` is added into the caller's tensor (a reorder with a sum
// post-op), so it always has a reorder.
static int operand_init(operand *op, int argument, const dnnl_memory_desc_t *plain_md,
                        const dnnl_memory_desc_t *blocked_md, int is_output, int accumulate, dnnl_engine_t engine,
                        size_t *arena_floats, failure *fail) {
    op->argument = argument;
    CHECK(dnnl_memory_create(&op->plain, plain_md, engine, DNNL_MEMORY_NONE));
    if (dnnl_memory_desc_equal(plain_md, blocked_md) && !accumulate) {
        op->blocked = op->plain;
        return 1;
    }
    op->offset = *arena_floats;
    *arena_floats += aligned_floats(blocked_md);
    CHECK(dnnl_memory_create(&op->blocked, blocked_md, engine, DNNL_MEMORY_NONE));
    dnnl_primitive_attr_t attr = NULL;
    if (accumulate) {
        dnnl_post_ops_t sum;
        CHECK(dnnl_primitive_attr_create(&attr));
        CHECK(dnnl_post_ops_create(&sum));
        CHECK(dnnl_post_ops_append_sum(sum, 1.0f));
        CHECK(dnnl_primitive_attr_set_post_ops(attr, sum));
        dnnl_post_ops_destroy(sum);
    }
    dnnl_primitive_desc_t reorder_pd;
    dnnl_status_t status = is_output
        ? dnnl_reorder_primitive_desc_create(&reorder_pd, blocked_md, engine, plain_md, engine, attr)
        : dnnl_reorder_primitive_desc_create(&reorder_pd, plain_md, engine, blocked_md, engine, attr);
    if (attr) dnnl_primitive_attr_destroy(attr);
    CHECK(status);
    status = dnnl_primitive_create(&op->reorder, reorder_pd);
    dnnl_primitive_desc_destroy(reorder_pd);
    CHECK(status);
    return 1;
}

// Sets up `p` from its primitive descriptor: the primitive, its scratchpad, and its
// operands (inputs `in[i]` given in plain layout `in_md[i]`, queried from `pd` as
// `in_query[i]`; likewise the output). With `probe`, only checks that the implementation
// oneDNN chose is an optimised one.
static int pass_init(pass *p, dnnl_primitive_desc_t pd, const int in_argument[2], const dnnl_query_t in_query[2],
                     const dnnl_memory_desc_t *in_md[2], int out_argument, dnnl_query_t out_query,
                     const dnnl_memory_desc_t *out_md, int accumulate, dnnl_engine_t engine, int probe,
                     failure *fail) {
    const char *impl = NULL;
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
    if (strncmp(impl, "ref", 3) == 0) {
        snprintf(fail->why, fail->capacity, "oneDNN has only its reference implementation (%s) for this shape", impl);
        return 0;
    }
    if (probe) return 1;
    CHECK(dnnl_primitive_create(&p->primitive, pd));
    size_t floats = 0;
    for (int i = 0; i < 2; i++) {
        const dnnl_memory_desc_t *blocked = dnnl_primitive_desc_query_md(pd, in_query[i], 0);
        if (!operand_init(&p->inputs[i], in_argument[i], in_md[i], blocked, 0, 0, engine, &floats, fail)) return 0;
    }
    const dnnl_memory_desc_t *blocked = dnnl_primitive_desc_query_md(pd, out_query, 0);
    if (!operand_init(&p->output, out_argument, out_md, blocked, 1, accumulate, engine, &floats, fail)) return 0;
    const dnnl_memory_desc_t *scratchpad = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (scratchpad && dnnl_memory_desc_get_size(scratchpad) > 0) {
        p->scratchpad_offset = floats;
        floats += aligned_floats(scratchpad);
        CHECK(dnnl_memory_create(&p->scratchpad, scratchpad, engine, DNNL_MEMORY_NONE));
    }
    p->arena_floats = floats;
    return 1;
}

static dnnl_engine_t shared_engine;
static dnnl_status_t shared_engine_status;
static void create_shared_engine(void) { shared_engine_status = dnnl_engine_create(&shared_engine, dnnl_cpu, 0); }

// Builds `plan` for `shape` (with `probe`, only its primitive descriptors, to learn whether
// oneDNN has optimised implementations).
static int create(gantry_onednn_convolution *plan, gantry_onednn_shape shape, int probe, failure *fail) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, create_shared_engine);
    CHECK(shared_engine_status);
    plan->engine = shared_engine;
    if (!probe) CHECK(dnnl_stream_create(&plan->stream, plan->engine, dnnl_stream_default_flags));
    omp_set_num_threads(1);  // the primitives are laid out for the one thread that will run them

    // Gantry's layouts, and "any" for oneDNN to choose its own. Activations are (C, N, H, W):
    // in oneDNN's (N, C, H, W) order of dimensions, strides (H·W, batch·H·W, W, 1).
    const gantry_onednn_shape s = shape;
    const int transposed = s.transposed;
    dnnl_dims_t src_dims = {s.samples, s.in_channels, s.in_height, s.in_width};
    dnnl_dims_t dst_dims = {s.samples, s.out_channels, s.out_height, s.out_width};
    dnnl_dims_t src_strides = {s.in_height * s.in_width, (dnnl_dim_t)s.batch * s.in_height * s.in_width, s.in_width, 1};
    dnnl_dims_t dst_strides = {s.out_height * s.out_width, (dnnl_dim_t)s.batch * s.out_height * s.out_width,
                               s.out_width, 1};
    dnnl_dims_t weight_dims = {s.out_channels, s.in_channels, s.kernel, s.kernel};  // oneDNN's (O, I, k, k) for both
    dnnl_dims_t strides = {s.stride, s.stride}, pads = {s.padding, s.padding};
    dnnl_memory_desc_t src, dst, weights, src_any, dst_any, weights_any;
    CHECK(dnnl_memory_desc_init_by_strides(&src, 4, src_dims, dnnl_f32, src_strides));
    CHECK(dnnl_memory_desc_init_by_strides(&dst, 4, dst_dims, dnnl_f32, dst_strides));
    CHECK(dnnl_memory_desc_init_by_tag(&weights, 4, weight_dims, dnnl_f32, transposed ? dnnl_iohw : dnnl_oihw));
    CHECK(dnnl_memory_desc_init_by_tag(&src_any, 4, src_dims, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_any, 4, dst_dims, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&weights_any, 4, weight_dims, dnnl_f32, dnnl_format_tag_any));

    dnnl_convolution_desc_t forward_desc, data_desc, weights_desc;  // deconvolution descs are the same type
    if (transposed) {
        CHECK(dnnl_deconvolution_forward_desc_init(&forward_desc, dnnl_forward_training, dnnl_deconvolution_direct,
                                                   &src_any, &weights_any, NULL, &dst_any, strides, pads, pads));
        CHECK(dnnl_deconvolution_backward_data_desc_init(&data_desc, dnnl_deconvolution_direct, &src_any,
                                                         &weights_any, &dst_any, strides, pads, pads));
        CHECK(dnnl_deconvolution_backward_weights_desc_init(&weights_desc, dnnl_deconvolution_direct, &src_any,
                                                            &weights_any, NULL, &dst_any, strides, pads, pads));
    } else {
        CHECK(dnnl_convolution_forward_desc_init(&forward_desc, dnnl_forward_training, dnnl_convolution_direct,
                                                 &src_any, &weights_any, NULL, &dst_any, strides, pads, pads));
        CHECK(dnnl_convolution_backward_data_desc_init(&data_desc, dnnl_convolution_direct, &src_any, &weights_any,
                                                       &dst_any, strides, pads, pads));
        CHECK(dnnl_convolution_backward_weights_desc_init(&weights_desc, dnnl_convolution_direct, &src_any,
                                                          &weights_any, NULL, &dst_any, strides, pads, pads));
    }
    // The scratchpad goes in the arena too, so that nothing is allocated per call.
    dnnl_primitive_attr_t attr;
    CHECK(dnnl_primitive_attr_create(&attr));
    CHECK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    dnnl_primitive_desc_t forward_pd = NULL, data_pd = NULL, weights_pd = NULL;
    dnnl_status_t status = dnnl_primitive_desc_create(&forward_pd, &forward_desc, attr, plan->engine, NULL);
    if (status == dnnl_success) status = dnnl_primitive_desc_create(&data_pd, &data_desc, attr, plan->engine, forward_pd);
    if (status == dnnl_success) status = dnnl_primitive_desc_create(&weights_pd, &weights_desc, attr, plan->engine, forward_pd);
    dnnl_primitive_attr_destroy(attr);
    int ok = status == dnnl_success;
    if (!ok) snprintf(fail->why, fail->capacity, "oneDNN: no primitive for this convolution (status %d)", (int)status);

    // y = conv(x, w); dx = conv_data(dy, w); dw += conv_weights(x, dy).
    const dnnl_memory_desc_t *forward_in[2] = {&src, &weights}, *data_in[2] = {&dst, &weights},
                             *weights_in[2] = {&src, &dst};
    const int forward_args[2] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS}, data_args[2] = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS},
              weights_args[2] = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST};
    const dnnl_query_t forward_queries[2] = {dnnl_query_src_md, dnnl_query_weights_md},
                       data_queries[2] = {dnnl_query_diff_dst_md, dnnl_query_weights_md},
                       weights_queries[2] = {dnnl_query_src_md, dnnl_query_diff_dst_md};
    ok = ok && pass_init(&plan->forward, forward_pd, forward_args, forward_queries, forward_in, DNNL_ARG_DST,
                         dnnl_query_dst_md, &dst, 0, plan->engine, probe, fail);
    ok = ok && pass_init(&plan->backward_data, data_pd, data_args, data_queries, data_in, DNNL_ARG_DIFF_SRC,
                         dnnl_query_diff_src_md, &src, 0, plan->engine, probe, fail);
    ok = ok && pass_init(&plan->backward_weights, weights_pd, weights_args, weights_queries, weights_in,
                         DNNL_ARG_DIFF_WEIGHTS, dnnl_query_diff_weights_md, &weights, 1, plan->engine, probe, fail);
    if (forward_pd) dnnl_primitive_desc_destroy(forward_pd);
    if (data_pd) dnnl_primitive_desc_destroy(data_pd);
    if (weights_pd) dnnl_primitive_desc_destroy(weights_pd);
    return ok;
}

static void operand_destroy(operand *op) {
    if (op->reorder) dnnl_primitive_destroy(op->reorder);
    if (op->blocked && op->blocked != op->plain) dnnl_memory_destroy(op->blocked);
    if (op->plain) dnnl_memory_destroy(op->plain);
}

static void pass_destroy(pass *p) {
    if (p->primitive) dnnl_primitive_destroy(p->primitive);
    for (int i = 0; i < 2; i++) operand_destroy(&p->inputs[i]);
    operand_destroy(&p->output);
    if (p->scratchpad) dnnl_memory_destroy(p->scratchpad);
}

void gantry_onednn_destroy(gantry_onednn_convolution *plan) {
    if (!plan) return;
    pass_destroy(&plan->forward);
    pass_destroy(&plan->backward_data);
    pass_destroy(&plan->backward_weights);
    if (plan->stream) dnnl_stream_destroy(plan->stream);
    free(plan);
}

gantry_onednn_convolution *gantry_onednn_create(gantry_onednn_shape shape, char *why, size_t why_capacity) {
    gantry_onednn_convolution *plan = calloc(1, sizeof *plan);
    failure fail = {why, why_capacity};
    if (!plan) {
        snprintf(why, why_capacity, "out of memory");
        return NULL;
    }
    if (!create(plan, shape, 0, &fail)) {
        gantry_onednn_destroy(plan);
        return NULL;
    }
    return plan;
}

int gantry_onednn_supported(gantry_onednn_shape shape, char *why, size_t why_capacity) {
    gantry_onednn_convolution plan;
    memset(&plan, 0, sizeof plan);
    failure fail = {why, why_capacity};
    return create(&plan, shape, 1, &fail);
}

size_t gantry_onednn_arena_floats(const gantry_onednn_convolution *plan) {
    size_t floats = plan->forward.arena_floats;
    if (plan->backward_data.arena_floats > floats) floats = plan->backward_data.arena_floats;
    if (plan->backward_weights.arena_floats > floats) floats = plan->backward_weights.arena_floats;
    return floats;
}

void gantry_onednn_version(char *text, size_t capacity) {
    const dnnl_version_t *version = dnnl_version();
    snprintf(text, capacity, "%d.%d.%d", version->major, version->minor, version->patch);
}

// ------------------------------------------------------------------------------------------
// One call: the caller's pointers into the plain memories, the arena into the blocked ones,
// inputs converted, the primitive run, the output converted back (or added, for dw).

static dnnl_status_t reorder(gantry_onednn_convolution *plan, const operand *op, int to_blocked) {
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, to_blocked ? op->plain : op->blocked},
                               {DNNL_ARG_TO, to_blocked ? op->blocked : op->plain}};
    return dnnl_primitive_execute(op->reorder, plan->stream, 2, args);
}

static dnnl_status_t bind(operand *op, const float *tensor, float *arena) {
    dnnl_status_t status = dnnl_memory_set_data_handle(op->plain, (void *)tensor);
    if (status == dnnl_success && op->blocked != op->plain)
        status = dnnl_memory_set_data_handle(op->blocked, arena + op->offset);
    return status;
}

static int run(gantry_onednn_convolution *plan, pass *p, const float *in0, const float *in1, float *out, float *arena) {
    omp_set_num_threads(1);
    const float *inputs[2] = {in0, in1};
    dnnl_status_t status = dnnl_success;
    for (int i = 0; i < 2 && status == dnnl_success; i++) {
        status = bind(&p->inputs[i], inputs[i], arena);
        if (status == dnnl_success && p->inputs[i].reorder) status = reorder(plan, &p->inputs[i], 1);
    }
    if (status == dnnl_success) status = bind(&p->output, out, arena);
    if (status == dnnl_success && p->scratchpad)
        status = dnnl_memory_set_data_handle(p->scratchpad, arena + p->scratchpad_offset);
    if (status == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{p->inputs[0].argument, p->inputs[0].blocked},
                                   {p->inputs[1].argument, p->inputs[1].blocked},
                                   {p->output.argument, p->output.blocked},
                                   {DNNL_ARG_SCRATCHPAD, p->scratchpad}};
        status = dnnl_primitive_execute(p->primitive, plan->stream, p->scratchpad ? 4 : 3, args);
    }
    if (status == dnnl_success && p->output.reorder) status = reorder(plan, &p->output, 0);
    if (status == dnnl_success) status = dnnl_stream_wait(plan->stream);
    return (int)status;
}

int gantry_onednn_forward(gantry_onednn_convolution *plan, const float *x, const float *w, float *y, float *arena) {
    return run(plan, &plan->forward, x, w, y, arena);
}

int gantry_onednn_backward_data(gantry_onednn_convolution *plan, const float *dy, const float *w, float *dx,
                                float *arena) {
    return run(plan, &plan->backward_data, dy, w, dx, arena);
}

int gantry_onednn_backward_weights(gantry_onednn_convolution *plan, const float *x, const float *dy, float *dw,
                                   float *arena) {
    return run(plan, &plan->backward_weights, x, dy, dw, arena);
}
