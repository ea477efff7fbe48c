#!/usr/bin/env bash
# Installs what Gantry needs when it is missing: OpenMPI, OpenBLAS, oneDNN, libpng, zlib and libjpeg-turbo
# (Debian packages). Safe to run again: it does nothing when everything is there. An MPI already on
# the PATH that is not Debian's (`module load openmpi`) is used as it is, never replaced.
set -euo pipefail
. "$(dirname "$0")/env.sh"

missing=()
mpirun=$(command -v mpirun 2>/dev/null || true)
case "$mpirun" in
    '') missing+=(openmpi-bin libopenmpi-dev) ;;
    /usr/bin/mpirun) pkg-config --exists ompi 2>/dev/null || missing+=(libopenmpi-dev) ;;
    *) pkg-config --exists ompi 2>/dev/null || {
           echo "gantry setup: $mpirun has no ompi.pc that pkg-config finds; add its lib/pkgconfig to PKG_CONFIG_PATH" >&2
           exit 1
       } ;;
esac
pkg-config --exists openblas 2>/dev/null || missing+=(libopenblas-dev)
# oneDNN ships no pkg-config file: its header says whether it is there.
[ -e /usr/include/oneapi/dnnl/dnnl.h ] || missing+=(libdnnl-dev)
pkg-config --exists libpng 2>/dev/null || missing+=(libpng-dev)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
pkg-config --exists libjpeg 2>/dev/null || missing+=(libjpeg62-turbo-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)

if [ ${#missing[@]} -gt 0 ]; then
    echo "gantry setup: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "gantry setup: no Swift toolchain on PATH; install Swift 6 (swift.org) and run again" >&2
    exit 1
fi
