#ifndef GANTRY_CPNG_SHIM_H
#define GANTRY_CPNG_SHIM_H
// libpng's simplified API (png_image): no setjmp/longjmp, errors come back in png_image.message.
#include <png.h>
#endif
