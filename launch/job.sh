# Sourced by the launch scripts (after they set $root and $script): the gantry binary to run,
# and a job that stops cleanly on Ctrl-C or SIGTERM (docs/reliability.md).

# gantry_binary: prints the absolute path of the binary to run. GANTRY_BIN is used as it is;
# otherwise .build/release/gantry of this checkout, after launch/setup.sh and launch/build.sh
# when it is missing or older than a source file. GANTRY_NO_SETUP=1 never runs them.
gantry_binary() {
    local binary=${GANTRY_BIN:-}
    if [ -z "$binary" ]; then
        binary=$root/.build/release/gantry
        if [ "${GANTRY_NO_SETUP:-0}" != 1 ] && ! binary_is_current "$binary"; then
            "$root/launch/setup.sh" >&2
            "$root/launch/build.sh" >&2
        fi
    fi
    case "$binary" in /*) ;; *) binary=$(pwd)/$binary ;; esac
    if [ ! -x "$binary" ]; then
        echo "$script: no gantry binary at $binary: run launch/build.sh, or set GANTRY_BIN" >&2
        return 2
    fi
    echo "$binary"
}

# binary_is_current BINARY: whether BINARY exists and no source file is newer.
binary_is_current() {
    local sources=("$root/Sources" "$root/Package.swift")
    if [ -f "$root/Package.resolved" ]; then sources+=("$root/Package.resolved"); fi
    [ -x "$1" ] && [ -z "$(find "${sources[@]}" -newer "$1" -print -quit)" ]
}

# job_run FORWARD COMMAND...: runs COMMAND in a session of its own, so that a Ctrl-C in the
# terminal reaches this script only: mpirun would pass the signal on and SIGKILL the ranks
# after odls_base_sigkill_timeout. SIGINT or SIGTERM to this script calls FORWARD with
# COMMAND's pid instead. Returns when COMMAND has ended; job_status holds its exit status.
job_run() {
    job_forward=$1
    shift
    setsid "$@" </dev/null &
    job_pid=$!
    trap 'job_signalled=1; "$job_forward" "$job_pid"' INT TERM
    # `wait` returns early when a trapped signal arrives; wait again until COMMAND has ended.
    while :; do
        job_signalled=0
        job_status=0
        wait "$job_pid" || job_status=$?
        [ "$job_signalled" = 1 ] || break
    done
    trap - INT TERM
}

# stop_ranks PID: SIGTERM to the gantry processes below PID (the ranks mpirun started on this
# machine). They agree at the next step boundary, write a checkpoint and exit 0, and mpirun
# then exits 0. Before any rank has started there is nothing to save: PID itself gets it.
stop_ranks() {
    local ranks
    ranks=$(gantry_processes_below "$1")
    if [ -n "$ranks" ]; then
        echo "$script: stopping: SIGTERM to the ranks ($(echo $ranks)); they save a checkpoint at the next step" >&2
        # shellcheck disable=SC2086
        kill -TERM $ranks 2>/dev/null || true
    else
        kill -TERM "$1" 2>/dev/null || true
    fi
}

# gantry_processes_below PID: the pids of the processes named gantry among PID's descendants.
gantry_processes_below() {
    local child
    for child in $(pgrep -P "$1" || true); do
        if [ "$(cat "/proc/$child/comm" 2>/dev/null)" = gantry ]; then echo "$child"; fi
        gantry_processes_below "$child"
    done
}

# forward_signal PID: SIGTERM to PID (a launch script that stops its own job cleanly).
forward_signal() { kill -TERM "$1" 2>/dev/null || true; }

# threads_per_rank FLAGS...: the --threads value among gantry's flags (--threads T or
# --threads=T, the last one wins; 1 when absent). Each rank then needs that many cores:
# mpirun binds a rank to one core unless mapped with --map-by slot:PE=T.
threads_per_rank() {
    local threads=1
    while [ $# -gt 0 ]; do
        case "$1" in
            --threads) [ $# -ge 2 ] && threads=$2; shift ;;
            --threads=*) threads=${1#--threads=} ;;
        esac
        shift
    done
    if ! [[ "$threads" =~ ^[1-9][0-9]*$ ]]; then
        echo "$script: --threads takes a positive number, not '$threads'" >&2
        exit 2
    fi
    echo "$threads"
}
