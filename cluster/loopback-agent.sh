#!/bin/sh
# An rsh agent for "nodes" that are all this machine (127.0.0.2, 127.0.0.3, ...): mpirun
# calls it as `AGENT HOST COMMAND...` to start its daemon on HOST; this drops HOST and runs
# the command here. With launch/cluster.sh --agent cluster/loopback-agent.sh --iface lo, a
# hostfile of loopback addresses exercises the real multi-node path (one daemon per "node",
# ranks talking over TCP) on a single machine. Not for real clusters: use ssh there.
shift
exec sh -c "$*"
