# Sourced by the launch scripts: the environment every rank runs with.
# OpenMPI refuses to start as root unless told; containers and CI runs are often root.
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# One BLAS thread per rank (one rank per core); gantry train --threads overrides it.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
# Each OpenMPI 4.1 daemon maps its hwloc topology into a "hole" of its address space to share
# it with the ranks; on these machines that write has crashed the daemon (SIGSEGV in
# hwloc_shmem_topology_write). The ranks then read the topology themselves, which costs
# nothing measurable at this scale.
export OMPI_MCA_rtc_hwloc_vmhole="${OMPI_MCA_rtc_hwloc_vmhole:-none}"
# --allreduce bucketed uses MPI_Iallreduce (libnbc). Its default algorithm was 2-2.6x slower
# than the blocking MPI_Allreduce on shared memory here; the ring (1) matched it within 1-6%
# (docs/scaling.md).
export OMPI_MCA_coll_libnbc_iallreduce_algorithm="${OMPI_MCA_coll_libnbc_iallreduce_algorithm:-1}"
# An OpenMPI on the PATH from elsewhere (`module load openmpi`): build against it too, when
# pkg-config does not know it yet.
if mpi_bin=$(command -v mpirun 2>/dev/null) && [ "$mpi_bin" != /usr/bin/mpirun ]; then
    for mpi_pc in "${mpi_bin%/bin/mpirun}"/lib/pkgconfig "${mpi_bin%/bin/mpirun}"/lib64/pkgconfig; do
        if [ -f "$mpi_pc/ompi.pc" ]; then
            export PKG_CONFIG_PATH="$mpi_pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
            break
        fi
    done
fi
unset mpi_bin mpi_pc
