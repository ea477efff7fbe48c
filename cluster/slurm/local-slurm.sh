#!/usr/bin/env bash
# A real, private Slurm cluster of one node on this machine, for tests and for trying the
# batch scripts of cluster/slurm before a real cluster:
#
#   cluster/slurm/local-slurm.sh start    install what is missing, write the configuration,
#                                         start munged, slurmctld and slurmd, and wait until
#                                         the node is idle (does nothing when already up)
#   cluster/slurm/local-slurm.sh stop     cancel this cluster's jobs and stop exactly the
#                                         daemons that `start` started (by their pid files)
#   cluster/slurm/local-slurm.sh status   say what runs; exit 0 when the node takes jobs
#   cluster/slurm/local-slurm.sh env      print `export SLURM_CONF=...` for the client
#                                         commands: eval "$(cluster/slurm/local-slurm.sh env)"
#   cluster/slurm/local-slurm.sh purge    stop, then delete the state directory
#
# Everything lives under $GANTRY_SLURM_DIR (default /tmp/gantry-slurm): slurm.conf, a munge
# key and socket of its own (a system munged, if any, is left alone), spool, state, logs and
# pid files. Client commands find this cluster through SLURM_CONF=$GANTRY_SLURM_DIR/slurm.conf.
#
# Environment:
#   GANTRY_SLURM_DIR       state directory (default /tmp/gantry-slurm)
#   GANTRY_SLURM_PORT      slurmctld's port; slurmd takes the next one (default 16817)
#   GANTRY_SLURM_TIMEOUT   seconds `start` may take once the packages are installed: the
#                          daemons' start-up and the wait for an idle node (default 120)
#   GANTRY_SLURM_INSTALL   0: never install packages, fail instead (default 1)
#
# Needs root (the daemons run as root, and jobs run as the submitting user). Configuration
# as verified on Debian 12 with slurm-wlm 22.05: select/cons_tres, proctrack/linuxproc,
# task/none, MpiDefault=pmix (srun --mpi=pmix).
set -euo pipefail

dir=${GANTRY_SLURM_DIR:-/tmp/gantry-slurm}
port=${GANTRY_SLURM_PORT:-16817}
timeout=${GANTRY_SLURM_TIMEOUT:-120}
conf=$dir/slurm.conf
export SLURM_CONF=$conf
daemons=(munged slurmctld slurmd)

say() { echo "local-slurm: $*"; }
fail() { echo "local-slurm: error: $*" >&2; exit 1; }

pid_file() { echo "$dir/run/$1.pid"; }

# Every command that talks to a daemon runs under a time limit, so that an unresponsive
# daemon makes `start` fail with its logs instead of hanging (sinfo alone may wait tens of
# seconds per call for a controller that does not answer).
bounded() { timeout -k 2 "$1" "${@:2}"; }

# The pid of a daemon we started, when it still runs (checked against its command name, so
# that a recycled pid is never mistaken for ours).
running_pid() {
    local file pid
    file=$(pid_file "$1")
    [ -s "$file" ] || return 1
    pid=$(tr -dc '0-9' <"$file")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
    echo "$pid"
}

pmix_plugin() {
    ls /usr/lib/*/slurm-wlm/mpi_pmix*.so /usr/lib/slurm/mpi_pmix*.so /usr/lib64/slurm/mpi_pmix*.so 2>/dev/null | head -1
}

install_packages() {
    local missing=()
    for command in munged mungekey; do command -v "$command" >/dev/null 2>&1 || { missing+=(munge); break; }; done
    for command in slurmctld slurmd sbatch srun sinfo scontrol; do
        command -v "$command" >/dev/null 2>&1 || { missing+=(slurm-wlm); break; }
    done
    # srun --mpi=pmix needs Slurm's PMIx plugin (Debian: slurm-wlm-basic-plugins ships
    # mpi_pmix.so and mpi_pmix_v4.so, built against libpmix2, which OpenMPI uses too).
    [ -n "$(pmix_plugin)" ] || missing+=(slurm-wlm-basic-plugins)
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "${GANTRY_SLURM_INSTALL:-1}" = 1 ] || fail "missing ${missing[*]} (GANTRY_SLURM_INSTALL=0: not installing)"
    [ "$(id -u)" -eq 0 ] || fail "missing ${missing[*]}; install them as root (apt-get install ${missing[*]})"
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ -n "$(pmix_plugin)" ] || fail "Slurm's PMIx plugin (mpi_pmix.so) is still missing after installing ${missing[*]}"
}

write_config() {
    local host node cpus boards sockets cores threads
    host=$(hostname -s)
    # The node's real layout as slurmd sees it, so that slurmd accepts the configuration.
    node=$(bounded 30 slurmd -C | head -1)
    value() { sed -n "s/.*[[:space:]]$1=\([0-9]*\).*/\1/p" <<<"$node"; }
    cpus=$(value CPUs); boards=$(value Boards); sockets=$(value SocketsPerBoard)
    cores=$(value CoresPerSocket); threads=$(value ThreadsPerCore)
    [ -n "$cpus" ] || cpus=$(nproc)
    local layout="CPUs=$cpus"
    if [ -n "$boards" ] && [ -n "$sockets" ] && [ -n "$cores" ] && [ -n "$threads" ]; then
        layout+=" Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads"
    fi
    cat >"$conf.new" <<EOF
# Written by cluster/slurm/local-slurm.sh: a private one-node Slurm on this machine.
ClusterName=gantry-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$(pid_file slurmctld)
SlurmdPidFile=$(pid_file slurmd)
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=pmix
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
# Job ids from the clock, so that a fresh state directory does not hand out ids (and so
# runs/JOBID directories) that an earlier local cluster used already.
FirstJobId=$(( $(date +%s) % 60000000 + 1 ))
JobRequeue=1
MinJobAge=600
KillWait=10
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$host NodeAddr=127.0.0.1 $layout State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
    mv "$conf.new" "$conf"
}

# spawn DAEMON ARGS...: starts a daemon that keeps none of this script's open files. A
# daemon holding an inherited descriptor (munged keeps them) would keep the caller's pipes
# open: `$(local-slurm.sh start)` would never return, nor would a test harness that watches
# a descriptor to learn that its child has exited. Early messages go to log/DAEMON.stdio.
spawn() {
    (
        for fd in /proc/$BASHPID/fd/*; do
            fd=${fd##*/}
            if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
        done
        # The daemon forks and its first process exits once it runs; one that hangs before
        # that is stopped after 30 s.
        exec timeout -k 2 30 "$@" </dev/null >"$dir/log/$1.stdio" 2>&1
    )
}

start_munged() {
    running_pid munged >/dev/null && return 0
    if [ ! -s "$dir/munge/munge.key" ]; then
        mungekey --create --keyfile="$dir/munge/munge.key" --force
    fi
    chmod 0600 "$dir/munge/munge.key"
    rm -f "$dir/munge/munge.socket" "$dir/munge/munge.socket.lock"
    # --force: the socket's directory lies under /tmp, which munged would otherwise reject
    # as writable by others.
    spawn munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$(pid_file munged)" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" \
        || fail "munged did not start: $(cat "$dir/log/munged.stdio" 2>/dev/null)"
    wait_for "munged" 20 test -S "$dir/munge/munge.socket"
}

start_daemon() {
    local name=$1
    running_pid "$name" >/dev/null && return 0
    rm -f "$(pid_file "$name")"
    spawn "$name" -f "$conf" || fail "$name did not start; see $dir/log/$name.log:
$(cat "$dir/log/$name.stdio" 2>/dev/null)
$(tail -20 "$dir/log/$name.log" 2>/dev/null)"
    wait_for "$name" 20 running_pid "$name"
}

# wait_for WHAT SECONDS COMMAND...: retries COMMAND every half second, for at most SECONDS
# of wall-clock time (and never past start's deadline).
wait_for() {
    local what=$1 until_second=$((SECONDS + $2))
    shift 2
    [ "$until_second" -le "$deadline" ] || until_second=$deadline
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$until_second" ]; then
            fail "$what not ready after $((SECONDS - started_at))s of start; logs in $dir/log:
$(tail -20 "$dir/log/$what.log" 2>/dev/null)"
        fi
        sleep 0.5
    done
}

# Whether something listens on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

node_state() { { bounded 10 sinfo -h -N -o '%t' 2>/dev/null || true; } | head -1; }

node_takes_jobs() {
    case "$(node_state)" in idle|alloc|mix|comp) return 0 ;; *) return 1 ;; esac
}

start() {
    [ "$(id -u)" -eq 0 ] || fail "run as root (the daemons run as root here)"
    install_packages
    started_at=$SECONDS
    deadline=$((SECONDS + timeout))
    mkdir -p "$dir"/{munge,run,log,state,spool}
    chmod 0755 "$dir" "$dir/munge"
    # One start at a time: a second caller waits, then finds everything up.
    exec 9>"$dir/lock"
    flock -w "$timeout" 9 || fail "another local-slurm.sh holds $dir/lock"
    if running_pid slurmctld >/dev/null && running_pid slurmd >/dev/null && running_pid munged >/dev/null \
        && node_takes_jobs; then
        say "already running (SLURM_CONF=$conf)"
        return 0
    fi
    if ! running_pid slurmctld >/dev/null; then
        local p
        for p in "$port" $((port + 1)); do
            if port_in_use "$p"; then
                fail "port $p is taken by another program (another Slurm?); choose others with GANTRY_SLURM_PORT"
            fi
        done
        write_config
    fi
    say "starting munged, slurmctld and slurmd (ports $port and $((port + 1)), state in $dir)"
    start_munged
    start_daemon slurmctld
    start_daemon slurmd
    local state
    until node_takes_jobs; do
        state=$(node_state)
        if [ "$state" = down ] || [ "$state" = drain ]; then
            bounded 10 scontrol update NodeName="$(hostname -s)" State=RESUME >/dev/null 2>&1 || true
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            fail "node not idle after $((SECONDS - started_at))s (state '$state'); logs in $dir/log:
$(tail -10 "$dir/log/slurmctld.log" 2>/dev/null)
$(tail -10 "$dir/log/slurmd.log" 2>/dev/null)"
        fi
        sleep 0.5
    done
    say "running: node $(hostname -s) $(node_state), $(bounded 10 sinfo -h -o '%c' | head -1) CPUs (SLURM_CONF=$conf)"
}

stop() {
    [ -d "$dir" ] || { say "nothing to stop ($dir does not exist)"; return 0; }
    # Jobs first, while the controller still runs, so that no job step outlives the cluster.
    if running_pid slurmctld >/dev/null; then
        local jobs
        jobs=$(bounded 10 squeue -h -o '%i' 2>/dev/null || true)
        if [ -n "$jobs" ]; then
            # shellcheck disable=SC2086
            bounded 10 scancel $jobs 2>/dev/null || true
            for _ in $(seq 1 40); do
                [ -z "$(bounded 10 squeue -h -o '%i' 2>/dev/null)" ] && break
                sleep 0.5
            done
        fi
    fi
    local name pid
    for name in slurmd slurmctld munged; do
        pid=$(running_pid "$name") || { rm -f "$(pid_file "$name")"; continue; }
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do
            [ -d "/proc/$pid" ] || break
            sleep 0.25
        done
        if [ -d "/proc/$pid" ]; then
            say "$name ($pid) ignored TERM for 10 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$(pid_file "$name")"
        say "stopped $name ($pid)"
    done
}

status() {
    local ok=0 name pid
    for name in "${daemons[@]}"; do
        if pid=$(running_pid "$name"); then
            say "$name running ($pid)"
        else
            say "$name not running"
            ok=1
        fi
    done
    if [ "$ok" = 0 ]; then
        bounded 10 sinfo -N -o '%N %t %c' 2>/dev/null || true
        node_takes_jobs || ok=1
    fi
    return "$ok"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) echo "export SLURM_CONF=$conf" ;;
    purge) stop; rm -rf "$dir"; say "removed $dir" ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
