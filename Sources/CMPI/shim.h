#ifndef GANTRY_CMPI_SHIM_H
#define GANTRY_CMPI_SHIM_H
#include <mpi.h>

// OpenMPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are macros over global
// symbols that Swift cannot import; one static inline function per handle returns them.
static inline MPI_Comm gantry_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype gantry_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype gantry_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype gantry_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype gantry_mpi_uint16(void) { return MPI_UINT16_T; }
static inline MPI_Op gantry_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op gantry_mpi_min(void) { return MPI_MIN; }
static inline MPI_Op gantry_mpi_max(void) { return MPI_MAX; }
static inline void *gantry_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler gantry_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline int gantry_mpi_success(void) { return MPI_SUCCESS; }
static inline int gantry_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
static inline int gantry_mpi_max_library_version_string(void) { return MPI_MAX_LIBRARY_VERSION_STRING; }
static inline MPI_Request gantry_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *gantry_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
#endif
