#!/usr/bin/env bash
# The main job: dcgan28 on the built-in glyphs dataset, 2 ranks, about 3 minutes on a 2-core
# machine. Installs what is missing, builds, trains, and says where the results are.
# Extra arguments go to gantry train (e.g. --steps 3000). Ctrl-C or SIGTERM stops it with a
# checkpoint (launch/local.sh), and it still says where the results are.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
script=launch/main-job.sh
. "$root/launch/job.sh"
out="$root/runs/main-$(date -u +%Y%m%d-%H%M%S)"
job_run forward_signal "$root/launch/local.sh" -n 2 --model dcgan28 --data glyphs --steps 800 \
    --log-every 50 --sample-every 200 --checkpoint-every 400 --out "$out" "$@"
[ "$job_status" = 0 ] || exit "$job_status"
cat <<EOT

Samples (one grid per 200 steps): $out/samples/
Checkpoints:                      $out/checkpoints/
Metrics (one JSON line per log):  $out/metrics.jsonl
Draw new digits from the final checkpoint:
  ${GANTRY_BIN:-$root/.build/release/gantry} sample --checkpoint $out --out grid.png
EOT
