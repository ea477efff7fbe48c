#!/usr/bin/env bash
# Train across several machines with mpirun and a hostfile or a list of hosts:
#
#   launch/cluster.sh --hostfile HOSTFILE [options] [--] [gantry train flags...]
#   launch/cluster.sh -H node01:32,node02:32 [options] [--] [gantry train flags...]
#
# Starts one rank per slot of HOSTFILE (cluster/hostfile.example), mapped by slot (the first
# node's slots fill first), each rank bound to one core, ranks talking over TCP (shared memory
# within a node), with the root-run environment of launch/env.sh passed to every rank. With
# gantry's --threads T each rank gets T cores (mpirun --map-by slot:PE=T): give each node
# cores / T slots then.
#
# The gantry binary must be at the same absolute path on every node: build it on a
# filesystem that all nodes share (launch/build.sh, or --build here), or set GANTRY_BIN to
# a path that exists everywhere. Relative --out paths are resolved on every node from this
# directory, so keep the run directory on the shared filesystem too. See docs/cluster.md.
#
# Ctrl-C or SIGTERM to this script stops the run cleanly: it sends SIGUSR1 to mpirun, which
# passes it on to every rank on every node (SIGTERM to mpirun would SIGKILL them after
# odls_base_sigkill_timeout); the ranks save a checkpoint at the next step boundary and exit
# 0, and so does this script (docs/reliability.md).
#
# Options (before the gantry flags; `--` ends them explicitly):
#   --hostfile FILE       OpenMPI hostfile: "HOST slots=N" per line
#   -H HOST:N,HOST:N      the hosts and their slots, as mpirun -H takes them (N defaults
#                         to 1); one of --hostfile and -H is required
#   -n, --np RANKS        number of ranks (default: every slot of the hosts)
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
#   --build               build the release binary first when it is older than the
#                         sources (launch/setup.sh, launch/build.sh; GANTRY_NO_SETUP=1: never)
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

hostfile='' hosts='' ranks='' iface='' agent='' btl=tcp,vader,self bind=core show_map=0 build=0 dry_run=0
mca=() exports=()
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --hostfile) need "$@"; hostfile=$2; shift 2 ;;
        -H) need "$@"; hosts=$2; shift 2 ;;
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

if [ -n "$hosts" ]; then
    # -H used to take a hostfile.
    [ ! -f "$hosts" ] || die "-H takes hosts (node01:32,node02:32), not a file: pass a hostfile with --hostfile $hosts"
    [[ "$hosts" =~ ^[A-Za-z0-9._-]+(:[1-9][0-9]*)?(,[A-Za-z0-9._-]+(:[1-9][0-9]*)?)*$ ]] \
        || die "-H takes hosts as HOST:SLOTS,HOST:SLOTS (e.g. node01:32,node02:32), not '$hosts'"
    [ -z "$hostfile" ] || die "give --hostfile or -H, not both"
else
    [ -n "$hostfile" ] || die "no hosts: launch/cluster.sh --hostfile FILE or -H HOST:N,HOST:N [options] [gantry train flags...] (--help)"
    [ -f "$hostfile" ] || die "hostfile $hostfile does not exist"
    hostfile=$(cd "$(dirname "$hostfile")" && pwd)/$(basename "$hostfile")
fi
if [ -n "$ranks" ] && ! [[ "$ranks" =~ ^[1-9][0-9]*$ ]]; then die "-n takes a positive number, not '$ranks'"; fi
if [ -n "$agent" ]; then
    [ -x "$agent" ] || die "agent $agent is not an executable file"
    agent=$(cd "$(dirname "$agent")" && pwd)/$(basename "$agent")
fi

script=launch/cluster.sh
. "$root/launch/job.sh"
if [ "$build" = 1 ]; then binary=$(gantry_binary); else binary=$(GANTRY_NO_SETUP=1 gantry_binary); fi

. "$root/launch/env.sh"

if [ -n "$hosts" ]; then placement=(-H "$hosts"); else placement=(--hostfile "$hostfile"); fi
command=("${MPIRUN:-mpirun}" "${placement[@]}")
if [ -n "$ranks" ]; then command+=(-np "$ranks"); fi
threads=$(threads_per_rank "$@")
if [ "$threads" -gt 1 ]; then mapping=slot:PE=$threads; else mapping=slot; fi
command+=(--map-by "$mapping" --bind-to "$bind" --mca btl "$btl")
if [ -n "$iface" ]; then
    command+=(--mca btl_tcp_if_include "$iface" --mca oob_tcp_if_include "$iface")
fi
if [ -n "$agent" ]; then command+=(--mca plm_rsh_agent "$agent"); fi
if [ "$show_map" = 1 ]; then command+=(--display-map --report-bindings); fi
# The ranks' environment: remote daemons do not inherit this shell's variables.
command+=(-x OPENBLAS_NUM_THREADS -x GANTRY_LAUNCHER)
if [ -n "${OMPI_ALLOW_RUN_AS_ROOT:-}" ]; then
    command+=(-x OMPI_ALLOW_RUN_AS_ROOT -x OMPI_ALLOW_RUN_AS_ROOT_CONFIRM)
fi
read -r -a subcommand <<<"${GANTRY_COMMAND:-train}"
[ ${#subcommand[@]} -gt 0 ] || die "GANTRY_COMMAND is empty"
command+=(${exports[@]+"${exports[@]}"} ${mca[@]+"${mca[@]}"} "$binary" "${subcommand[@]}" "$@")

shell_words() {
    local word
    for word in "$@"; do
        if [[ "$word" =~ ^[A-Za-z0-9_./,:=+@%-]+$ ]]; then printf '%s ' "$word"; else printf '%q ' "$word"; fi
    done
}

# The stop message names this script, with these options, as the way to continue.
launcher=("$root/launch/cluster.sh" "${placement[@]}")
if [ -n "$ranks" ]; then launcher+=(-n "$ranks"); fi
if [ -n "$iface" ]; then launcher+=(--iface "$iface"); fi
if [ -n "$agent" ]; then launcher+=(--agent "$agent"); fi
launcher+=(--btl "$btl" --bind-to "$bind" ${mca[@]+"${mca[@]}"} ${exports[@]+"${exports[@]}"} --)
GANTRY_LAUNCHER=$(shell_words "${launcher[@]}")
export GANTRY_LAUNCHER=${GANTRY_LAUNCHER% }

if [ "$dry_run" = 1 ]; then
    shell_words "${command[@]}"
    echo
    exit 0
fi
# mpirun passes SIGUSR1 on to every rank, on every node, and kills none of them.
stop_through_mpirun() {
    echo "$script: stopping: SIGUSR1 to mpirun for every rank; they save a checkpoint at the next step" >&2
    kill -USR1 "$1" 2>/dev/null || true
}
job_run stop_through_mpirun "${command[@]}"
exit "$job_status"
