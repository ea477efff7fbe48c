#ifndef GANTRY_CBLAS_SHIM_H
#define GANTRY_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface plus its thread-count and configuration calls.
#include <cblas.h>
// LAPACK's symmetric eigen-decomposition, which OpenBLAS exports under its Fortran name
// (Debian ships no lapacke.h with libopenblas-dev); arguments by pointer, matrices column-major.
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
            double *w, double *work, const int *lwork, int *info);
#endif
