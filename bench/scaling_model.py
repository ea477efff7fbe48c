#!/usr/bin/env python3
"""Beyond one machine, on paper: an alpha-beta model of Gantry's weak scaling (standard library).

    python3 bench/scaling_model.py [--bench FILE]

FILE is a `gantry bench step --json` report of one rank (dcgan28, batch 64) or a
scaling.json from bench/bench-scaling.sh (its 1-rank weak run is used). Without it the
script uses the 1-rank figures measured for docs/scaling.md (see MEASURED below).

The model (a model, not a measurement):
  ring allreduce of n bytes over p ranks:   T(p, n) = 2(p-1)·alpha + 2(p-1)/p · n/beta
  one rank per node (or a hierarchical allreduce with one leader per node; the
  intra-node reduction is not modelled), compute per iteration C = the measured 1-rank
  iteration, which weak scaling keeps constant. Per iteration (K = 1): one D allreduce of
  n_D = 4·431,872 B = 1.73 MB and one G allreduce of n_G = 4·837,504 B = 3.35 MB.
  efficiency(p) = C / (C + exposed_D + exposed_G)

  fused: one allreduce per network after its backward; exposed = T(p, n).

  bucketed overlap: buckets are runs of consecutive layers in backward order (a layer's
    gradient is final once its backward is done). The G allreduce overlaps G's backward
    (g_backward); the D allreduce overlaps the second D backward of the D phase (the fake
    batch; D's gradients are final only after it), taken as the backward share of
    d_forward_backward by FLOPs (one of two passes; a pass's backward is 2/3 of its FLOPs
    here). Within a backward, each layer's time is proportional to its backward FLOPs.
    The buckets go out one after another as they become ready; exposed = the time after
    the backward ends until the last bucket is reduced. Every split of the layers into
    buckets is tried and the best one kept (each bucket pays the latency term again).
  overlap bound: as if all of the gradient could be sent during the whole backward window:
    exposed = max(T(p, n) - window, 0): what no bucketing can beat.

  bucketed + deferred G: D bucketed as above; G's allreduce started after G's backward and
    waited for only after the next iteration's real-batch D forward and backward (which
    needs neither G nor G's update: half of d_forward_backward); G's Adam step moves there.
    Not implemented in Gantry; same arithmetic, so the same results.
  fused, log p: fused, with recursive halving/doubling instead of the ring:
    T = 2·log2(p)·alpha + 2(p-1)/p · n/beta (what MPI libraries use when the ring's latency
    term dominates).
  fp16: every n halved (conversion cost ignored).
"""

import argparse
import json
import math
import sys

# 1-rank gantry bench step, dcgan28, batch 64, one thread: medians of 20 iterations, the
# median of 3 runs of bench/bench-scaling.sh on 2026-11-25 (docs/scaling.md, 320.996 images/s).
MEASURED = {
    "ms_per_iteration": 199.4,
    "ms_per_part": {"g_forward": 19.67, "d_forward_backward": 105.96, "d_forward_input_gradient": 35.68,
                    "g_backward": 34.72, "data": 0.24, "optimizer": 2.61},
}

# dcgan28's layers with parameters, in forward order: (name, parameters incl. BatchNorm's
# scale and shift, forward multiply-adds per image). Backward multiply-adds: parameter
# gradient = forward; input gradient = forward except for the first layer of each network
# (the G phase's D backward is not the D allreduce's concern).
G_LAYERS = [("convT1 100-256", 409_600 + 512, 409_600),
            ("convT2 256-128", 294_912 + 256, 4_718_592),
            ("convT3 128-64", 131_072 + 128, 6_422_528),
            ("convT4 64-1", 1_024, 200_704)]
D_LAYERS = [("conv1 1-64", 1_024, 200_704),
            ("conv2 64-128", 131_072 + 256, 6_422_528),
            ("conv3 128-256", 294_912 + 512, 4_718_592),
            ("conv4 256-1", 4_096, 4_096)]
assert sum(p for _, p, _ in G_LAYERS) == 837_504 and sum(p for _, p, _ in D_LAYERS) == 431_872

NETWORKS = [  # name, alpha range (s), beta (bytes/s)
    ("10 GbE (TCP)", (20e-6, 50e-6), 1.25e9),
    ("100 GbE", (5e-6, 10e-6), 12.5e9),
    ("InfiniBand HDR", (1e-6, 2e-6), 25e9),
]
NODES = [8, 16, 32, 64, 128, 256, 512]


def ring(p, n, alpha, beta):
    return 0.0 if p <= 1 else 2 * (p - 1) * alpha + 2 * (p - 1) / p * n / beta


def halving_doubling(p, n, alpha, beta):
    """Recursive halving/doubling (Rabenseifner): the log-p latency an MPI library switches to."""
    return 0.0 if p <= 1 else 2 * math.log2(p) * alpha + 2 * (p - 1) / p * n / beta


def backward_schedule(layers, window):
    """(bytes, ready time) per layer in backward order: last layer first."""
    work = []
    for index, (_, params, macs) in enumerate(layers):
        work.append(macs * (2 if index > 0 else 1))
    total = sum(work)
    ready, t = [], 0.0
    for index in reversed(range(len(layers))):
        t += work[index] / total * window
        ready.append((4 * layers[index][1], t))
    return ready


def exposed_bucketed(layers, window, p, alpha, beta, scale=1.0):
    """Best exposed time over every split of the backward-ordered layers into buckets."""
    schedule = [(b * scale, t) for b, t in backward_schedule(layers, window)]
    best, best_split = math.inf, None
    k = len(schedule)
    for mask in sorted(range(1 << (k - 1)), key=lambda m: bin(m).count("1")):  # fewer buckets first
        buckets, size = [], 0.0
        for i, (b, t) in enumerate(schedule):
            size += b
            if i == k - 1 or mask >> i & 1:
                buckets.append((size, t))
                size = 0.0
        finish = 0.0
        for size, t in buckets:
            finish = max(finish, t) + ring(p, size, alpha, beta)
        exposed = max(finish - window, 0.0)
        if exposed < best - 1e-9:
            best, best_split = exposed, [round(s / 1e6, 3) for s, _ in buckets]
    return best, best_split


def phase_windows(parts):
    """Backward windows (s) in which the G and D allreduces can run."""
    d_pass_macs = [sum(m for _, _, m in D_LAYERS), sum(m * (2 if i else 1) for i, (_, _, m) in enumerate(D_LAYERS))]
    second_backward_share = d_pass_macs[1] / (2 * sum(d_pass_macs))
    return parts["g_backward"] / 1e3, parts["d_forward_backward"] * second_backward_share / 1e3, second_backward_share


def load_bench(path):
    with open(path) as f:
        data = json.load(f)
    if "configurations" in data:
        base = next(c for c in data["configurations"] if c["name"] == "weak-local-1")
        chosen = sorted(base["runs"], key=lambda r: r["global_images_per_s"])[(len(base["runs"]) - 1) // 2]
        return {"ms_per_iteration": chosen["ms_per_iteration"], "ms_per_part": chosen["ms_per_part"]}
    return {"ms_per_iteration": data["ms_per_iteration"], "ms_per_part": data["ms_per_part"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", help="gantry bench step --json report, or scaling.json")
    args = parser.parse_args()
    measured = load_bench(args.bench) if args.bench else MEASURED
    parts = measured["ms_per_part"]
    compute = measured["ms_per_iteration"] / 1e3
    g_window, d_window, share = phase_windows(parts)
    real_window = parts["d_forward_backward"] / 2 / 1e3
    # Gradient bytes: 4 per parameter of the layers (837,504 in G, 431,872 in D).
    n_g, n_d = (4 * sum(count for _, count, _ in layers) for layers in (G_LAYERS, D_LAYERS))

    out = []
    out.append(f"Input (1 rank, measured): C = {compute * 1e3:.1f} ms per iteration; G backward window "
               f"{g_window * 1e3:.1f} ms (g_backward); D window {d_window * 1e3:.1f} ms "
               f"({share:.3f} of d_forward_backward {parts['d_forward_backward']:.1f} ms: the fake batch's backward).")
    out.append(f"Gradients per iteration: D {n_d / 1e6:.2f} MB, G {n_g / 1e6:.2f} MB (fp32; fp16 halves them).")
    g_ready = backward_schedule(G_LAYERS, g_window)
    d_ready = backward_schedule(D_LAYERS, d_window)
    out.append("Layer gradients ready during backward (MB at ms): G " +
               ", ".join(f"{b / 1e6:.2f}@{t * 1e3:.1f}" for b, t in g_ready) + "; D " +
               ", ".join(f"{b / 1e6:.2f}@{t * 1e3:.1f}" for b, t in d_ready))
    out.append("")

    for name, (alpha_lo, alpha_hi), beta in NETWORKS:
        out.append(f"### {name}: beta = {beta / 1e9:g} GB/s, alpha = {alpha_lo * 1e6:g}–{alpha_hi * 1e6:g} µs")
        out.append("")
        out.append("Weak-scaling efficiency, alpha low / alpha high:")
        out.append("")
        out.append("| nodes p | ring T_D + T_G (ms) | fused | fused fp16 | bucketed overlap | bucketed fp16 | overlap bound | bucketed + deferred G | fused, log p | best buckets (MB, G; D) |")
        out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for p in NODES:
            cells, comm, splits = [], [], None
            for label in ("fused", "fused16", "bucket", "bucket16", "bound", "defer", "logp"):
                values = []
                for alpha in (alpha_lo, alpha_hi):
                    scale = 0.5 if label.endswith("16") else 1.0
                    if label.startswith("fused"):
                        exposed = ring(p, n_d * scale, alpha, beta) + ring(p, n_g * scale, alpha, beta)
                    elif label.startswith("bucket"):
                        e_g, s_g = exposed_bucketed(G_LAYERS, g_window, p, alpha, beta, scale)
                        e_d, s_d = exposed_bucketed(D_LAYERS, d_window, p, alpha, beta, scale)
                        exposed = e_g + e_d
                        if label == "bucket" and alpha == alpha_hi:
                            splits = f"{s_g}; {s_d}"
                    elif label == "defer":
                        e_d, _ = exposed_bucketed(D_LAYERS, d_window, p, alpha, beta)
                        exposed = e_d + max(ring(p, n_g, alpha, beta) - real_window, 0.0)
                    elif label == "logp":
                        exposed = halving_doubling(p, n_d, alpha, beta) + halving_doubling(p, n_g, alpha, beta)
                    else:
                        exposed = (max(ring(p, n_g, alpha, beta) - g_window, 0.0)
                                   + max(ring(p, n_d, alpha, beta) - d_window, 0.0))
                    values.append(compute / (compute + exposed))
                cells.append(f"{100 * values[0]:.1f} / {100 * values[1]:.1f} %")
            comm = [1e3 * (ring(p, n_d, a, beta) + ring(p, n_g, a, beta)) for a in (alpha_lo, alpha_hi)]
            out.append(f"| {p} | {comm[0]:.1f} / {comm[1]:.1f} | " + " | ".join(cells) + f" | {splits} |")
        out.append("")

    out.append("### Bucket size that amortises alpha")
    out.append("")
    out.append("Per bucket, ring: latency 2(p-1)·alpha against bandwidth 2(p-1)/p·n/beta, so the latency is "
               "under 10 % when n ≥ 10·alpha·beta·p. A recursive-halving/doubling (Rabenseifner) or tree "
               "allreduce pays 2·log2(p)·alpha instead: n ≥ 10·alpha·beta·log2(p)·p/(p-1). Whole gradient "
               f"per iteration: {(n_d + n_g) / 1e6:.2f} MB (fp16: {(n_d + n_g) / 2e6:.2f} MB).")
    out.append("")
    out.append("| network | alpha·beta | p = 8 ring | p = 8 log | p = 64 ring | p = 64 log | p = 512 ring | p = 512 log |")
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, (alpha_lo, alpha_hi), beta in NETWORKS:
        cells = []
        for p in (8, 64, 512):
            cells.append(f"{10 * alpha_hi * beta * p / 1e6:.2f} MB")
            cells.append(f"{10 * alpha_hi * beta * math.log2(p) * p / (p - 1) / 1e6:.2f} MB")
        out.append(f"| {name} (alpha {alpha_hi * 1e6:g} µs) | {alpha_hi * beta / 1e3:.1f} KB | " + " | ".join(cells) + " |")
    out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
