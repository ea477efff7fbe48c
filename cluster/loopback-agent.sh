#!/bin/sh
# An rsh agent for "nodes" that are all this machine (127.0.0.2, 127.0.0.3, ...): mpirun
# calls it as `AGENT HOST COMMAND...` to start its daemon on HOST; this drops HOST and runs
# the command here. With launch/cluster.sh --agent cluster/loopback-agent.sh --iface lo, a
# hostfile of loopback addresses exercises the real multi-node path (one daemon per "node",
# ranks talking over TCP) on a single machine. Not for real clusters: use ssh there.
#
# Each "node" gets its own session directory base, as real nodes have their own /tmp: the
# daemons all have this machine's hostname, so in the shared /tmp/ompi.HOSTNAME.UID they
# would race to create the same job directory ("mkdir ... File exists", then "ORTE does not
# know how to route a message"), about one launch in 40.
host=$1
shift
OMPI_MCA_orte_tmpdir_base=${TMPDIR:-/tmp}/gantry-loopback-node-$host
mkdir -p "$OMPI_MCA_orte_tmpdir_base"
export OMPI_MCA_orte_tmpdir_base
exec sh -c "$*"
