#!/usr/bin/env python3
"""Scaling report for bench/bench-scaling.sh (standard library only).

    python3 bench/scaling_report.py DIR

Reads DIR/raw/NAME-rR.json (one `gantry bench step --json` report of rank 0 per run),
DIR/raw/allreduce-*.json (`gantry bench allreduce --json`) and DIR/raw/meta.json, and writes
DIR/scaling.json, DIR/scaling.csv, DIR/scaling.md and DIR/scaling.svg.

Definitions (all times are rank 0's medians over the timed iterations, milliseconds):
  D-phase compute  = g_forward + d_forward_backward
  G-phase compute  = d_forward_input_gradient + g_backward
  D communication  = d_allreduce          G communication = g_allreduce
  exposed communication = the time the iteration is blocked in gradient allreduce, i.e.
      d_allreduce + g_allreduce as the trainer times them. With the fused allreduce (one
      blocking MPI_Allreduce per network after its backward) none of it overlaps compute,
      so all of it is exposed. It includes waiting for the slowest rank to arrive.
  other = ms_per_iteration - (sum of the parts); the parts are separate medians.
  speedup = global images/s / global images/s of 1 rank in the same scaling mode
  efficiency = speedup / ranks; per-core efficiency = speedup / min(ranks, cores)
"""

import csv
import glob
import json
import math
import os
import re
import sys

# Gradient sizes of the models whose parameter counts are known (floats).
PARAMETERS = {"dcgan28": {"G": 837_504, "D": 431_872}}

PHASES = [  # key, label, colour
    ("data", "data", "#bbbbbb"),
    ("d_compute", "D-phase compute", "#4e79a7"),
    ("d_comm", "D allreduce", "#e15759"),
    ("g_compute", "G-phase compute", "#59a14f"),
    ("g_comm", "G allreduce", "#f28e2b"),
    ("optimizer", "optimizer", "#b07aa1"),
    ("other", "other", "#eeeeee"),
]


def load(path):
    with open(path) as f:
        return json.load(f)


def describe(name, cores):
    scaling, placement, ranks = name.split("-")
    ranks = int(ranks)
    return {
        "name": name,
        "scaling": scaling,
        "placement": placement,
        "ranks": ranks,
        "nodes": ranks if placement == "tcp" else 1,
        "oversubscribed": ranks > cores,
        "cores_used": min(ranks, cores),
    }


def breakdown(report):
    parts = report["ms_per_part"]
    get = lambda key: float(parts.get(key, 0.0))
    b = {
        "data": get("data"),
        "d_compute": get("g_forward") + get("d_forward_backward"),
        "d_comm": get("d_allreduce"),
        "g_compute": get("d_forward_input_gradient") + get("g_backward"),
        "g_comm": get("g_allreduce"),
        "optimizer": get("optimizer"),
    }
    b["exposed_comm"] = b["d_comm"] + b["g_comm"]
    b["other"] = report["ms_per_iteration"] - sum(b[k] for k in ("data", "d_compute", "d_comm", "g_compute", "g_comm", "optimizer"))
    return b


def median_run(runs):
    ordered = sorted(runs, key=lambda r: r["global_images_per_s"])
    return ordered[(len(ordered) - 1) // 2]


def interpolate_time(rows, nbytes, key):
    """Allreduce time (µs) at nbytes, log-log interpolated between measured sizes."""
    rows = sorted(rows, key=lambda r: r["bytes"])
    for lo, hi in zip(rows, rows[1:]):
        if lo["bytes"] <= nbytes <= hi["bytes"]:
            t = (math.log(nbytes) - math.log(lo["bytes"])) / (math.log(hi["bytes"]) - math.log(lo["bytes"]))
            return math.exp(math.log(lo[key]) + t * (math.log(hi[key]) - math.log(lo[key])))
    return None


def fmt(x, digits=1):
    return "–" if x is None else f"{x:,.{digits}f}"


def main(directory):
    raw = os.path.join(directory, "raw")
    meta = load(os.path.join(raw, "meta.json")) if os.path.exists(os.path.join(raw, "meta.json")) else {}
    runs = {}
    for path in sorted(glob.glob(os.path.join(raw, "*-r*.json"))):
        match = re.fullmatch(r"((?:weak|strong)-(?:local|tcp)-\d+)-r(\d+)\.json", os.path.basename(path))
        if not match:
            continue
        try:
            report = load(path)
            load_file = path[:-len(".json")] + ".load"
            if os.path.exists(load_file):  # 1, 5, 15-minute load averages when the run started
                report["load_average_before"] = [float(x) for x in open(load_file).read().split()[:3]]
            runs.setdefault(match.group(1), []).append(report)
        except (ValueError, OSError) as error:
            print(f"scaling_report: skipping {path}: {error}", file=sys.stderr)
    if not runs:
        sys.exit(f"scaling_report: no bench-step reports in {raw}")
    any_report = next(iter(runs.values()))[0]
    model = meta.get("model", any_report.get("model", "?"))
    cores = int(meta.get("cores", os.cpu_count() or 1))

    order = {"weak": 0, "strong": 1, "local": 0, "tcp": 1}
    names = sorted(runs, key=lambda n: (order[n.split("-")[0]], order[n.split("-")[1]], int(n.split("-")[2])))
    configs = []
    for name in names:
        c = describe(name, cores)
        chosen = median_run(runs[name])
        values = [r["global_images_per_s"] for r in runs[name]]
        c.update({
            "batch_per_rank": chosen["batch"],
            "global_batch": chosen["batch"] * chosen["world_size"],
            "world_size": chosen["world_size"],
            "repeats": len(values),
            "global_images_per_s": chosen["global_images_per_s"],
            "global_images_per_s_min": min(values),
            "global_images_per_s_max": max(values),
            "images_per_s_rank0": chosen["images_per_s"],
            "ms_per_iteration": chosen["ms_per_iteration"],
            "ms_per_iteration_min": chosen.get("ms_per_iteration_min"),
            "share_of_peak": chosen.get("share_of_peak"),
            "load_1min_before_max": max((r.get("load_average_before", [None])[0] or 0.0) for r in runs[name]),
            "ms": breakdown(chosen),
            "runs": runs[name],
        })
        c["exposed_comm_share"] = c["ms"]["exposed_comm"] / c["ms_per_iteration"]
        configs.append(c)

    base = {c["scaling"]: c for c in configs if c["ranks"] == 1 and c["placement"] == "local"}
    for c in configs:
        b = base.get(c["scaling"])
        if b:
            c["speedup"] = c["global_images_per_s"] / b["global_images_per_s"]
            c["speedup_range"] = [c["global_images_per_s_min"] / b["global_images_per_s"],
                                  c["global_images_per_s_max"] / b["global_images_per_s"]]
            c["efficiency"] = c["speedup"] / c["ranks"]
            c["efficiency_per_core"] = c["speedup"] / c["cores_used"]
        else:
            c["speedup"] = c["efficiency"] = c["efficiency_per_core"] = c["speedup_range"] = None

    # MPI_Allreduce next to Gantry's synchronisation, at the gradient sizes.
    allreduce = {}
    for path in sorted(glob.glob(os.path.join(raw, "allreduce-*.json"))):
        try:
            allreduce[os.path.basename(path)[len("allreduce-"):-len(".json")]] = load(path)
        except (ValueError, OSError):
            pass
    gradients = {}
    if model in PARAMETERS:
        for network, count in PARAMETERS[model].items():
            gradients[network] = {"parameters": count, "bytes": 4 * count}
    sync = {}
    for where, report in allreduce.items():
        rows = report.get("rows", [])
        p = report.get("ranks", 2)
        entry = {"ranks": p, "rows": rows, "at_gradient_sizes": {}}
        for network, g in gradients.items():
            raw_us = interpolate_time(rows, g["bytes"], "raw_us")
            gantry_us = interpolate_time(rows, g["bytes"], "gantry_us")
            if raw_us is None or gantry_us is None:
                continue
            factor = 2 * (p - 1) / p
            entry["at_gradient_sizes"][network] = {
                "bytes": g["bytes"], "raw_us": raw_us, "gantry_us": gantry_us,
                "raw_bus_gbps": g["bytes"] / raw_us / 1e3 * factor,
                "gantry_bus_gbps": g["bytes"] / gantry_us / 1e3 * factor,
                "gantry_over_raw": gantry_us / raw_us,
            }
        sync[where] = entry
    # The allreduce inside training (bench step, 2 ranks) against the same bytes' raw time.
    for c in configs:
        where = c["placement"] + "-" + str(c["ranks"])
        c["training_allreduce"] = {}
        for network, key in (("D", "d_comm"), ("G", "g_comm")):
            g = gradients.get(network)
            raw_time = sync.get(where, {}).get("at_gradient_sizes", {}).get(network)
            if g and c["ranks"] > 1 and c["ms"][key] > 0:
                c["training_allreduce"][network] = {
                    "ms": c["ms"][key],
                    "raw_mpi_ms": raw_time["raw_us"] / 1e3 if raw_time else None,
                    "over_raw": (c["ms"][key] * 1e3 / raw_time["raw_us"]) if raw_time else None,
                }

    weak2 = next((c for c in configs if c["name"] == "weak-local-2"), None)
    targets = {}
    if weak2 and weak2.get("speedup") is not None:
        targets["weak_2_ranks_speedup_ge_1.9"] = {"value": weak2["speedup"], "met": weak2["speedup"] >= 1.9}
    if weak2:
        targets["exposed_comm_le_5pct"] = {"value": weak2["exposed_comm_share"], "met": weak2["exposed_comm_share"] <= 0.05}
    local_sync = sync.get("local-2", {}).get("at_gradient_sizes", {})
    if local_sync:
        worst = max(v["gantry_over_raw"] for v in local_sync.values())
        targets["sync_within_10pct_of_raw"] = {"value": worst, "met": worst <= 1.10}

    result = {"model": model, "meta": meta, "definitions": __doc__.split("Definitions")[1].strip(),
              "configurations": configs, "allreduce": sync, "gradients": gradients, "targets": targets}
    with open(os.path.join(directory, "scaling.json"), "w") as f:
        json.dump(result, f, indent=1)
    write_csv(directory, configs)
    write_markdown(directory, result)
    write_svg(directory, result)
    print(open(os.path.join(directory, "scaling.md")).read())


def write_csv(directory, configs):
    fields = ["name", "scaling", "placement", "ranks", "nodes", "oversubscribed", "batch_per_rank", "global_batch",
              "repeats", "global_images_per_s", "global_images_per_s_min", "global_images_per_s_max",
              "images_per_s_rank0", "speedup", "efficiency", "efficiency_per_core", "ms_per_iteration",
              "ms_data", "ms_d_compute", "ms_d_comm", "ms_g_compute", "ms_g_comm", "ms_optimizer", "ms_other",
              "ms_exposed_comm", "exposed_comm_share"]
    with open(os.path.join(directory, "scaling.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(fields)
        for c in configs:
            row = []
            for field in fields:
                value = c["ms"][field[3:]] if field.startswith("ms_") and field != "ms_per_iteration" else c.get(field)
                row.append(f"{value:.4f}" if isinstance(value, float) else value)
            writer.writerow(row)


def label(c):
    where = f"{c['nodes']} nodes (TCP)" if c["placement"] == "tcp" else "1 node"
    note = " **oversubscribed**" if c["oversubscribed"] else ""
    return f"{c['scaling']} | {c['ranks']} | {where}{note}"


def write_markdown(directory, result):
    configs, meta = result["configurations"], result["meta"]
    lines = []
    lines.append(f"# Scaling of {result['model']} on this machine ({meta.get('cores', '?')} cores)")
    lines.append("")
    if meta:
        loads = [c["load_1min_before_max"] for c in configs]
        lines.append(f"`{meta.get('command', '')}`: {meta.get('steps')} timed iterations after "
                     f"{meta.get('warmup_steps')} warm-up per run, {meta.get('repeats')} interleaved runs per row; "
                     f"the row is the run with the median global images/s, the range covers all runs. "
                     f"Weak scaling: batch {meta.get('batch_per_rank_weak')} per rank; strong scaling: global batch "
                     f"{meta.get('global_batch_strong')} split over the ranks. One BLAS thread per rank. "
                     f"1-minute load average before the runs: up to {max(loads):.2f}; afterwards "
                     f"{' '.join(meta.get('load_average_after', []))}; "
                     f"{meta.get('seconds')} s in all.")
        lines.append("")
    lines.append("| scaling | ranks | placement | batch/rank | global images/s (range) | speedup (range) | efficiency | per-core eff. | ms/iter | exposed comm |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in configs:
        speed = "–" if c["speedup"] is None else f"{c['speedup']:.2f}× ({c['speedup_range'][0]:.2f}–{c['speedup_range'][1]:.2f})"
        eff = "–" if c["efficiency"] is None else f"{100 * c['efficiency']:.0f} %"
        eff_core = "–" if c["efficiency_per_core"] is None else f"{100 * c['efficiency_per_core']:.0f} %"
        lines.append(f"| {label(c)} | {c['batch_per_rank']} | {fmt(c['global_images_per_s'])} "
                     f"({fmt(c['global_images_per_s_min'])}–{fmt(c['global_images_per_s_max'])}) | {speed} | {eff} | "
                     f"{eff_core} | {fmt(c['ms_per_iteration'])} | {fmt(c['ms']['exposed_comm'], 2)} ms "
                     f"({100 * c['exposed_comm_share']:.1f} %) |")
    lines.append("")
    lines.append("Per phase, rank 0, milliseconds per iteration (medians of the chosen run):")
    lines.append("")
    lines.append("| scaling | ranks | placement | data | D-phase compute | D allreduce | G-phase compute | G allreduce | optimizer | other | exposed comm |")
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for c in configs:
        m = c["ms"]
        lines.append(f"| {label(c)} | {m['data']:.2f} | {m['d_compute']:.1f} | {m['d_comm']:.2f} | {m['g_compute']:.1f} | "
                     f"{m['g_comm']:.2f} | {m['optimizer']:.2f} | {m['other']:.2f} | {m['exposed_comm']:.2f} |")
    lines.append("")
    if result["allreduce"]:
        lines.append("MPI_Allreduce (raw) and Gantry's gradient synchronisation on the same bytes, 2 ranks "
                     "(`gantry bench allreduce`, log-log interpolated between the measured power-of-two sizes):")
        lines.append("")
        lines.append("| path | gradient | bytes | raw µs | Gantry µs | raw bus GB/s | Gantry bus GB/s | Gantry / raw |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for where, entry in result["allreduce"].items():
            for network, v in entry["at_gradient_sizes"].items():
                lines.append(f"| {where} | {network} | {v['bytes']:,} | {v['raw_us']:.0f} | {v['gantry_us']:.0f} | "
                             f"{v['raw_bus_gbps']:.2f} | {v['gantry_bus_gbps']:.2f} | {v['gantry_over_raw']:.3f} |")
        lines.append("")
        lines.append("Measured sizes around the gradients (no interpolation):")
        lines.append("")
        lines.append("| path | bytes | raw µs | Gantry µs | raw bus GB/s | Gantry bus GB/s | Gantry / raw |")
        lines.append("| --- | --- | --- | --- | --- | --- | --- |")
        for where, entry in result["allreduce"].items():
            for row in entry["rows"]:
                if 1 << 19 <= row["bytes"] <= 1 << 23:
                    lines.append(f"| {where} | {row['bytes']:,} | {row['raw_us']:.0f} | {row['gantry_us']:.0f} | "
                                 f"{row['raw_bus_gbps']:.2f} | {row['gantry_bus_gbps']:.2f} | "
                                 f"{row['gantry_us'] / row['raw_us']:.3f} |")
        lines.append("")
        training = [(c, n, v) for c in configs for n, v in c["training_allreduce"].items() if v.get("raw_mpi_ms")]
        if training:
            lines.append("The allreduce inside the training iteration (bench step, which includes waiting for "
                         "the other rank) against raw MPI_Allreduce of the same bytes:")
            lines.append("")
            lines.append("| configuration | gradient | in training (ms) | raw MPI (ms) | ratio |")
            lines.append("| --- | --- | --- | --- | --- |")
            for c, network, v in training:
                lines.append(f"| {c['name']} | {network} | {v['ms']:.2f} | {v['raw_mpi_ms']:.2f} | {v['over_raw']:.2f} |")
            lines.append("")
    if result["targets"]:
        lines.append("Targets:")
        lines.append("")
        t = result["targets"]
        if "weak_2_ranks_speedup_ge_1.9" in t:
            v = t["weak_2_ranks_speedup_ge_1.9"]
            lines.append(f"- 2 ranks ≥ 1.9× the images/s of 1 rank (weak, one node): {v['value']:.3f}× — "
                         f"{'met' if v['met'] else 'NOT met'}")
        if "exposed_comm_le_5pct" in t:
            v = t["exposed_comm_le_5pct"]
            lines.append(f"- exposed communication ≤ 5 % of an iteration (weak, 2 ranks, one node): "
                         f"{100 * v['value']:.2f} % — {'met' if v['met'] else 'NOT met'}")
        if "sync_within_10pct_of_raw" in t:
            v = t["sync_within_10pct_of_raw"]
            lines.append(f"- Gantry's synchronisation within 10 % of raw MPI_Allreduce at the gradient sizes "
                         f"(worst of D and G, shared memory): {v['value']:.3f}× — {'met' if v['met'] else 'NOT met'}")
        lines.append("")
    lines.append("Definitions:")
    lines.append("")
    lines.append("```")
    lines.append(result["definitions"])
    lines.append("```")
    with open(os.path.join(directory, "scaling.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def esc(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_svg(directory, result):
    configs = result["configurations"]
    width, height = 1100, 460
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">'
           f'{esc(result["model"])}: scaling on {result["meta"].get("cores", "?")} cores (gantry bench step, rank 0)</text>']

    # Left panel: global images/s against ranks.
    x0, y0, w, h = 70, 50, 420, 330
    local = [c for c in configs if c["placement"] == "local"]
    ranks = sorted({c["ranks"] for c in configs}) or [1]
    top = max([c["global_images_per_s_max"] for c in configs]
              + [b["global_images_per_s"] * max(ranks) for b in configs if b["ranks"] == 1 and b["placement"] == "local"])
    step = 10 ** math.floor(math.log10(top / 4)) if top > 0 else 1
    for nice in (1, 2, 5, 10):
        if top / (step * nice) <= 6:
            step *= nice
            break
    ymax = step * math.ceil(top / step)
    xmax = max(ranks)
    px = lambda r: x0 + (r - 0.5) / (xmax + 0.5 - 0.5) * w if xmax > 0 else x0
    py = lambda v: y0 + h - v / ymax * h
    out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#888"/>')
    v = 0
    while v <= ymax + 1e-9:
        out.append(f'<line x1="{x0}" y1="{py(v):.1f}" x2="{x0 + w}" y2="{py(v):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
        v += step
    for r in ranks:
        out.append(f'<text x="{px(r):.1f}" y="{y0 + h + 16}" text-anchor="middle">{r}</text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" text-anchor="middle">ranks</text>')
    out.append(f'<text x="18" y="{y0 + h / 2}" text-anchor="middle" transform="rotate(-90 18 {y0 + h / 2})">global images/s</text>')
    cores = result["meta"].get("cores")
    if cores and cores < xmax:
        xc = (px(cores) + px(cores * 2 if cores * 2 in ranks else xmax)) / 2
        out.append(f'<line x1="{xc:.1f}" y1="{y0}" x2="{xc:.1f}" y2="{y0 + h}" stroke="#999" stroke-dasharray="2,3"/>')
        out.append(f'<text x="{xc + 4:.1f}" y="{y0 + 14}" fill="#666">oversubscribed →</text>')
    styles = {"weak": "#4e79a7", "strong": "#e15759"}
    for scaling, colour in styles.items():
        series = sorted((c for c in local if c["scaling"] == scaling), key=lambda c: c["ranks"])
        if not series:
            continue
        base = next((c for c in series if c["ranks"] == 1), None)
        if base:
            ideal = " ".join(f"{px(r):.1f},{py(base['global_images_per_s'] * r):.1f}" for r in ranks)
            out.append(f'<polyline points="{ideal}" fill="none" stroke="{colour}" stroke-opacity="0.45" stroke-dasharray="6,4"/>')
        points = " ".join(f"{px(c['ranks']):.1f},{py(c['global_images_per_s']):.1f}" for c in series)
        out.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for c in series:
            out.append(f'<line x1="{px(c["ranks"]):.1f}" y1="{py(c["global_images_per_s_min"]):.1f}" '
                       f'x2="{px(c["ranks"]):.1f}" y2="{py(c["global_images_per_s_max"]):.1f}" stroke="{colour}"/>')
            out.append(f'<circle cx="{px(c["ranks"]):.1f}" cy="{py(c["global_images_per_s"]):.1f}" r="4" fill="{colour}"/>')
        for c in configs:
            if c["placement"] == "tcp" and c["scaling"] == scaling:
                cx, cy = px(c["ranks"]) + (8 if scaling == "weak" else -8), py(c["global_images_per_s"])
                out.append(f'<rect x="{cx - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="white" stroke="{colour}" stroke-width="2"/>')
    legend = [("#4e79a7", "weak (batch/rank fixed)", ""), ("#e15759", "strong (global batch fixed)", ""),
              ("#777", "ideal (linear in ranks)", "6,4")]
    for i, (colour, text, dash) in enumerate(legend):
        ly = y0 + 14 + 16 * i + 20
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{x0 + 10}" y1="{ly - 4}" x2="{x0 + 34}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        out.append(f'<text x="{x0 + 40}" y="{ly}">{esc(text)}</text>')
    ly = y0 + 14 + 16 * 3 + 20
    out.append(f'<rect x="{x0 + 18}" y="{ly - 8}" width="8" height="8" fill="white" stroke="#777" stroke-width="2"/>')
    out.append(f'<text x="{x0 + 40}" y="{ly}">2 nodes over TCP (loopback)</text>')

    # Right panel: stacked per-phase bars, ms per iteration.
    x1, bw = 600, 440
    n = len(configs)
    bar_h = min(26, (h - 10) / max(n, 1) - 8)
    longest = max(c["ms_per_iteration"] for c in configs)
    scale = bw / (longest * 1.05)
    out.append(f'<text x="{x1 + bw / 2}" y="{y0 - 8}" text-anchor="middle">ms per iteration by phase (rank 0)</text>')
    for i, c in enumerate(configs):
        y = y0 + 6 + i * (bar_h + 8)
        tag = f"{c['scaling']} {c['ranks']}" + (" tcp" if c["placement"] == "tcp" else "") + (" ovs" if c["oversubscribed"] else "")
        out.append(f'<text x="{x1 - 6}" y="{y + bar_h / 2 + 4:.1f}" text-anchor="end">{esc(tag)}</text>')
        x = x1
        for key, name, colour in PHASES:
            value = max(c["ms"][key], 0.0)
            if value <= 0:
                continue
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{value * scale:.1f}" height="{bar_h:.1f}" fill="{colour}" '
                       f'stroke="white" stroke-width="0.5"><title>{esc(name)}: {value:.2f} ms</title></rect>')
            x += value * scale
        out.append(f'<text x="{x + 4:.1f}" y="{y + bar_h / 2 + 4:.1f}" font-size="10">{c["ms_per_iteration"]:.0f}</text>')
    ly = y0 + h + 16
    lx = x1 - 90
    for key, name, colour in PHASES:
        if lx + 14 + 7 * len(name) > width - 10:
            lx, ly = x1 - 90, ly + 16
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}" stroke="#999" stroke-width="0.5"/>')
        out.append(f'<text x="{lx + 14}" y="{ly}" font-size="11">{esc(name)}</text>')
        lx += 14 + 7 * len(name) + 14
    out.append(f'<text x="20" y="{height - 6}" font-size="10" fill="#666">"ovs": more ranks than cores '
               f'(--oversubscribe --bind-to none). Error bars: range over the repeats. Exposed communication = D allreduce + G allreduce.</text>')
    out.append("</svg>")
    with open(os.path.join(directory, "scaling.svg"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    main(sys.argv[1])
