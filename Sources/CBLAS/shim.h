#ifndef GANTRY_CBLAS_SHIM_H
#define GANTRY_CBLAS_SHIM_H
// OpenBLAS's CBLAS interface plus its thread-count and configuration calls.
#include <cblas.h>
#endif
