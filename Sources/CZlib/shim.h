#ifndef GANTRY_CZLIB_SHIM_H
#define GANTRY_CZLIB_SHIM_H
// zlib: gzopen/gzread read gzip and plain files alike; crc32 checksums checkpoint sections.
#include <zlib.h>
#endif
