// dcgan28's eight convolutions through oneDNN, timed pass by pass, to decide whether oneDNN
// would pay as a convolution backend for Gantry (issue #11). Same layers, batch and passes
// as `gantry bench layers --model dcgan28`; docs/performance.md, "oneDNN as a backend",
// compares the two tables. Built and run by bench/bench-onednn.sh, never by the test suite.
//
// Two layouts per layer: `any` lets oneDNN pick its own blocked layout for activations and
// weights (what a native backend would keep between layers, so no reorders are timed), and
// `nchw` forces Gantry's plain layout (what a drop-in replacement of one layer would see).

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

struct Layer {
    const char *name;
    bool transposed;  // ConvTranspose2d (oneDNN's deconvolution) rather than Conv2d
    int in, out, kernel, stride, padding, inSide;
    int outSide() const {
        return transposed ? (inSide - 1) * stride - 2 * padding + kernel
                          : (inSide + 2 * padding - kernel) / stride + 1;
    }
    // Multiply-adds of one pass, times two: every pass (forward, input gradient, weight
    // gradient) does the same number.
    double flops(int batch) const {
        double positions = transposed ? double(inSide) * inSide : double(outSide()) * outSide();
        return 2.0 * batch * in * out * kernel * kernel * positions;
    }
};

// dcgan28 as Architecture.swift builds it: D 28 → 14 → 7 → 4 → 1, G 1 → 4 → 7 → 14 → 28.
static const Layer layers[] = {
    {"D conv1", false, 1, 64, 4, 2, 1, 28},   {"D conv2", false, 64, 128, 4, 2, 1, 14},
    {"D conv3", false, 128, 256, 3, 2, 1, 7}, {"D conv4", false, 256, 1, 4, 1, 0, 4},
    {"G convT1", true, 100, 256, 4, 1, 0, 1}, {"G convT2", true, 256, 128, 3, 2, 1, 4},
    {"G convT3", true, 128, 64, 4, 2, 1, 7},  {"G convT4", true, 64, 1, 4, 2, 1, 14},
};

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Milliseconds of one execution, median of `reps` after 3 untimed ones; NAN without timing
// when oneDNN has only its reference implementation (`impl` "ref:…"), which is slow enough
// (seconds per call) to hold the benchmark up for many minutes.
static double timeIt(stream &s, primitive p, const std::unordered_map<int, memory> &args, int reps,
                     const char *impl) {
    if (std::string(impl).rfind("ref", 0) == 0) return NAN;
    for (int i = 0; i < 3; i++) p.execute(s, args);
    s.wait();
    std::vector<double> ms;
    for (int i = 0; i < reps; i++) {
        auto t0 = std::chrono::steady_clock::now();
        p.execute(s, args);
        s.wait();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return median(ms);
}

static memory filled(const memory::desc &md, engine &eng) {
    memory m(md, eng);
    float *p = static_cast<float *>(m.get_data_handle());
    size_t n = md.get_size() / sizeof(float);
    for (size_t i = 0; i < n; i++) p[i] = float((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return m;
}

struct Passes { double forward, inputGradient, weightGradient; std::string impl; };

// The three passes of one layer through oneDNN's primitives of one kind: Forward,
// BackwardData and BackwardWeights are convolution_* or deconvolution_*, `direct` their
// algorithm.
template <typename Forward, typename BackwardData, typename BackwardWeights>
static Passes timePasses(algorithm direct, const memory::desc &srcMD, const memory::desc &weiMD,
                         const memory::desc &dstMD, const memory::dims &strides, const memory::dims &pad, engine &eng,
                         stream &s, int reps) {
    typename Forward::primitive_desc fwd({prop_kind::forward_training, direct, srcMD, weiMD, dstMD, strides, pad, pad},
                                         eng);
    typename BackwardData::primitive_desc bwdData({direct, srcMD, weiMD, dstMD, strides, pad, pad}, eng, fwd);
    typename BackwardWeights::primitive_desc bwdWeights({direct, srcMD, weiMD, dstMD, strides, pad, pad}, eng, fwd);
    memory x = filled(fwd.src_desc(), eng), W = filled(fwd.weights_desc(), eng), y = filled(fwd.dst_desc(), eng);
    memory dx = filled(bwdData.diff_src_desc(), eng), dW = filled(bwdWeights.diff_weights_desc(), eng);
    memory dy = filled(bwdData.diff_dst_desc(), eng);
    Passes r;
    r.forward = timeIt(s, Forward(fwd), {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, W}, {DNNL_ARG_DST, y}}, reps,
                       fwd.impl_info_str());
    r.inputGradient = timeIt(s, BackwardData(bwdData),
                             {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, W}, {DNNL_ARG_DIFF_SRC, dx}}, reps,
                             bwdData.impl_info_str());
    r.weightGradient = timeIt(s, BackwardWeights(bwdWeights),
                              {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dW}}, reps,
                              bwdWeights.impl_info_str());
    r.impl = std::string(fwd.impl_info_str()) + " / " + bwdData.impl_info_str() + " / " + bwdWeights.impl_info_str();
    return r;
}

static Passes run(const Layer &l, int batch, bool plain, engine &eng, stream &s, int reps) {
    memory::dims src = {batch, l.in, l.inSide, l.inSide}, dst = {batch, l.out, l.outSide(), l.outSide()};
    // oneDNN's weights are (out, in, k, k) for both kinds (PyTorch's ConvTranspose2d stores
    // (in, out, k, k); the layout does not change the work).
    memory::dims wei = {l.out, l.in, l.kernel, l.kernel};
    memory::dims strides = {l.stride, l.stride}, pad = {l.padding, l.padding};
    tag act = plain ? tag::nchw : tag::any, w = plain ? tag::oihw : tag::any;
    memory::desc srcMD(src, dt::f32, act), dstMD(dst, dt::f32, act), weiMD(wei, dt::f32, w);
    if (l.transposed)
        return timePasses<deconvolution_forward, deconvolution_backward_data, deconvolution_backward_weights>(
            algorithm::deconvolution_direct, srcMD, weiMD, dstMD, strides, pad, eng, s, reps);
    return timePasses<convolution_forward, convolution_backward_data, convolution_backward_weights>(
        algorithm::convolution_direct, srcMD, weiMD, dstMD, strides, pad, eng, s, reps);
}

int main(int argc, char **argv) {
    int batch = argc > 1 ? std::atoi(argv[1]) : 64, reps = argc > 2 ? std::atoi(argv[2]) : 20;
    engine eng(engine::kind::cpu, 0);
    stream s(eng);
    const dnnl_version_t *v = dnnl_version();
    std::printf("oneDNN %d.%d.%d, batch %d, median of %d runs per pass, milliseconds (GFLOP/s)\n",
                v->major, v->minor, v->patch, batch, reps);
    for (bool plain : {false, true}) {
        std::printf("\nlayout: %s\n", plain ? "nchw (Gantry's, forced)" : "any (oneDNN's choice, no reorders timed)");
        std::printf("%-9s %6s %18s %18s %18s  implementation (forward / input gradient / weight gradient)\n",
                    "layer", "MFLOP", "forward", "input gradient", "weight gradient");
        double total[3] = {0, 0, 0};
        for (const Layer &l : layers) {
            Passes p = run(l, batch, plain, eng, s, reps);
            double mflop = l.flops(batch) / 1e6;
            double ms[3] = {p.forward, p.inputGradient, p.weightGradient};
            std::printf("%-9s %6.1f", l.name, mflop);
            for (int i = 0; i < 3; i++) {
                if (std::isnan(ms[i])) {
                    std::printf(" %17s", "reference only");
                } else {
                    std::printf(" %8.3f (%6.1f)", ms[i], mflop / ms[i]);
                    total[i] += ms[i];
                }
            }
            std::printf("  %s\n", p.impl.c_str());
        }
        std::printf("%-9s %6s %8.3f %17s %8.3f %17s %8.3f  (timed passes only)\n", "sum", "", total[0], "", total[1], "",
                    total[2]);
    }
    return 0;
}
