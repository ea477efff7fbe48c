"""The table of launch/bench-vs-pytorch.sh: medians over its rounds, Gantry against PyTorch,
and each target of docs/performance.md ("Against PyTorch") met or missed, by how much.

Input: lines "<configuration> <framework> <json>", configuration 1x1, 1x2 or 2x1 (processes ×
threads), framework gantry (a `gantry bench step --json` object) or pytorch
(bench/pytorch_dcgan28.py's object).
"""
import json
import statistics
import sys

CONFIGURATIONS = [("1x1", "1 process × 1 thread"), ("1x2", "1 process × 2 threads"), ("2x1", "2 processes × 1 thread")]
SPEEDUP_TARGET = 1.25      # Gantry images/s over PyTorch's, in every configuration
PEAK_SHARE_TARGET = 0.70   # Gantry 1×1: share of the sgemm peak
THREADS_TARGET = 1.7       # Gantry --threads 2 over --threads 1
RESIDENT_TARGET = 100.0    # MB per rank


def median(runs, key):
    values = [run[key] for run in runs if run.get(key) is not None]
    return statistics.median(values) if values else None


def fma_share(runs):
    """The iteration's share of the FMA peak, from `bench step --json`'s `kernels` object."""
    return median([run.get("kernels", {}) for run in runs], "share_of_fma_peak")


def verdict(value, target, higher_is_better=True, unit="×"):
    if value is None:
        return "n/a"
    met = value >= target if higher_is_better else value <= target
    if unit == "%":
        gap = f"{100 * (value - target):+.1f} points"
    elif unit == "MB":
        gap = f"{value - target:+.1f} MB"
    else:
        gap = f"{100 * (value / target - 1):+.1f} %"
    return f"{'met' if met else 'MISSED'} ({gap} against the target)"


def main(path):
    runs = {}
    for line in open(path):
        configuration, framework, text = line.split(" ", 2)
        runs.setdefault((configuration, framework), []).append(json.loads(text))

    def fmt(value, digits=1, suffix=""):
        return "n/a" if value is None else f"{value:.{digits}f}{suffix}"

    rounds = max((len(v) for v in runs.values()), default=0)
    print(f"dcgan28, batch 64 per process; medians of {rounds} interleaved rounds")
    print()
    print("| configuration | Gantry images/s | PyTorch images/s | Gantry / PyTorch | target ≥ 1.25× "
          "| Gantry peak RSS per rank | PyTorch peak RSS (largest process) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    gantry_images = {}
    for key, name in CONFIGURATIONS:
        gantry, torch = runs.get((key, "gantry"), []), runs.get((key, "pytorch"), [])
        ours, theirs = median(gantry, "global_images_per_s"), median(torch, "global_images_per_s")
        gantry_images[key] = ours
        ratio = ours / theirs if ours and theirs else None
        print(f"| {name} | {fmt(ours)} | {fmt(theirs)} | {fmt(ratio, 2, '×')} | {verdict(ratio, SPEEDUP_TARGET)} "
              f"| {fmt(median(gantry, 'peak_resident_mb'), 1, ' MB')} | {fmt(median(torch, 'peak_resident_mb'), 1, ' MB')} |")
    print()
    one = runs.get(("1x1", "gantry"), [])
    share, fma = median(one, "share_of_peak"), fma_share(one)
    print(f"Gantry 1×1 share of the sgemm peak: {fmt(share and 100 * share, 1, ' %')} "
          f"(sgemm peak {fmt(median(one, 'sgemm_gflops'), 1, ' GFLOP/s')}): {verdict(share, PEAK_SHARE_TARGET, unit='%')}; "
          f"share of the FMA peak: {fmt(fma and 100 * fma, 1, ' %')}")
    scaling = gantry_images["1x2"] / gantry_images["1x1"] if gantry_images.get("1x2") and gantry_images.get("1x1") else None
    print(f"Gantry --threads 2 over --threads 1: {fmt(scaling, 2, '×')}: {verdict(scaling, THREADS_TARGET)}")
    resident = max((median(runs.get((key, "gantry"), []), "peak_resident_mb") or 0 for key, _ in CONFIGURATIONS), default=None)
    print(f"Gantry peak RSS per rank (largest configuration): {fmt(resident, 1, ' MB')}: "
          f"{verdict(resident, RESIDENT_TARGET, higher_is_better=False, unit='MB')}")


if __name__ == "__main__":
    main(sys.argv[1])
