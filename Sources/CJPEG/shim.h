#ifndef GANTRY_CJPEG_SHIM_H
#define GANTRY_CJPEG_SHIM_H
// libjpeg-turbo's libjpeg API. Its errors longjmp, which Swift cannot survive: Gantry calls it
// only through CJPEGCodec, whose C functions catch them and return a message.
#include <stdio.h>
#include <jpeglib.h>
#endif
