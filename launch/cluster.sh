#!/usr/bin/env bash
# Train across several machines with mpirun and a hostfile:
#
#   launch/cluster.sh -H HOSTFILE [options] [--] [gantry train flags...]
#
# Starts one rank per slot of HOSTFILE (cluster/hostfile.example), mapped by slot (the first
# node's slots fill first), one BLAS thread per rank, ranks talking over TCP (shared memory
# within a node), with the root-run environment of launch/env.sh passed to every rank.
#
# The gantry binary must be at the same absolute path on every node: build it on a
# filesystem that all nodes share (launch/build.sh, or --build here), or set GANTRY_BIN to
# a path that exists everywhere. Relative --out paths are resolved on every node from this
# directory, so keep the run directory on the shared filesystem too. See docs/cluster.md.
#
# Options (before the gantry flags; `--` ends them explicitly):
#   -H, --hostfile FILE   OpenMPI hostfile: "HOST slots=N" per line (required)
#   -n, --np RANKS        number of ranks (default: every slot of the hostfile)
#   --iface IFACE         network for MPI traffic and for mpirun's own out-of-band channel:
#                         an interface name (eth0, ib0, lo) or a subnet (10.1.0.0/16);
#                         sets btl_tcp_if_include and oob_tcp_if_include. Comma-separated
#                         for several.
#   --agent SCRIPT        how mpirun reaches a node (plm_rsh_agent; default: ssh)
#   --btl LIST            byte transfer layers (default tcp,vader,self: TCP between nodes,
#                         shared memory within one)
#   --bind-to POLICY      rank binding: core (default), socket, none
#   --show-map            print where every rank landed and what it is bound to
#                         (mpirun --display-map --report-bindings) before training
#   --mca KEY VALUE       any other OpenMPI parameter (repeatable), e.g. --mca pml ucx
#   -x NAME[=VALUE]       pass an environment variable to every rank (repeatable)
#   --build               build the release binary first (launch/build.sh)
#   --dry-run             print the mpirun command instead of running it
#
# Environment: GANTRY_BIN (binary path, default .build/release/gantry of this checkout),
# MPIRUN (default mpirun), OPENBLAS_NUM_THREADS (default 1), GANTRY_COMMAND (the gantry
# subcommand every rank runs, default `train`; e.g. `bench step`, as bench/bench-scaling.sh
# does).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "launch/cluster.sh: $*" >&2; exit 2; }

hostfile='' ranks='' iface='' agent='' btl=tcp,vader,self bind=core show_map=0 build=0 dry_run=0
mca=() exports=()
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -H|--hostfile) need "$@"; hostfile=$2; shift 2 ;;
        -n|--np) need "$@"; ranks=$2; shift 2 ;;
        --iface) need "$@"; iface=$2; shift 2 ;;
        --agent) need "$@"; agent=$2; shift 2 ;;
        --btl) need "$@"; btl=$2; shift 2 ;;
        --bind-to) need "$@"; bind=$2; shift 2 ;;
        --show-map) show_map=1; shift ;;
        --mca) [ $# -ge 3 ] || die "--mca needs a KEY and a VALUE"; mca+=(--mca "$2" "$3"); shift 3 ;;
        -x) need "$@"; exports+=(-x "$2"); shift 2 ;;
        --build) build=1; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        *) break ;;
    esac
done

[ -n "$hostfile" ] || die "no hostfile: launch/cluster.sh -H HOSTFILE [options] [gantry train flags...] (--help)"
[ -f "$hostfile" ] || die "hostfile $hostfile does not exist"
hostfile=$(cd "$(dirname "$hostfile")" && pwd)/$(basename "$hostfile")
if [ -n "$ranks" ] && ! [[ "$ranks" =~ ^[1-9][0-9]*$ ]]; then die "-n takes a positive number, not '$ranks'"; fi
if [ -n "$agent" ]; then
    [ -x "$agent" ] || die "agent $agent is not an executable file"
    agent=$(cd "$(dirname "$agent")" && pwd)/$(basename "$agent")
fi

if [ "$build" = 1 ]; then "$root/launch/build.sh"; fi
binary=${GANTRY_BIN:-$root/.build/release/gantry}
case "$binary" in /*) ;; *) binary=$(pwd)/$binary ;; esac
[ -x "$binary" ] || die "no gantry binary at $binary: run launch/build.sh (or pass --build, or set GANTRY_BIN)"

. "$root/launch/env.sh"

command=("${MPIRUN:-mpirun}" --hostfile "$hostfile")
if [ -n "$ranks" ]; then command+=(-np "$ranks"); fi
command+=(--map-by slot --bind-to "$bind" --mca btl "$btl")
if [ -n "$iface" ]; then
    command+=(--mca btl_tcp_if_include "$iface" --mca oob_tcp_if_include "$iface")
fi
if [ -n "$agent" ]; then command+=(--mca plm_rsh_agent "$agent"); fi
if [ "$show_map" = 1 ]; then command+=(--display-map --report-bindings); fi
# The ranks' environment: remote daemons do not inherit this shell's variables.
command+=(-x OPENBLAS_NUM_THREADS)
if [ -n "${OMPI_ALLOW_RUN_AS_ROOT:-}" ]; then
    command+=(-x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM)
fi
read -r -a subcommand <<<"${GANTRY_COMMAND:-train}"
[ ${#subcommand[@]} -gt 0 ] || die "GANTRY_COMMAND is empty"
command+=(${exports[@]+"${exports[@]}"} ${mca[@]+"${mca[@]}"} "$binary" "${subcommand[@]}" "$@")

if [ "$dry_run" = 1 ]; then
    for word in "${command[@]}"; do
        if [[ "$word" =~ ^[A-Za-z0-9_./,:=+@%-]+$ ]]; then printf '%s ' "$word"; else printf '%q ' "$word"; fi
    done
    echo
    exit 0
fi
exec "${command[@]}"
