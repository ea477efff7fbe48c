#ifndef GANTRY_CJPEGCODEC_H
#define GANTRY_CJPEGCODEC_H
// JPEG decoding and encoding in memory through libjpeg, with its errors caught in C.
//
// libjpeg reports an error by calling error_exit, which by default exits the process; the
// way back is setjmp/longjmp, which must not cross Swift frames. These functions do the
// setjmp here, so an error (and any warning, such as "premature end of data", which libjpeg
// would otherwise pass over by filling the rest with gray) comes back as a return value and a
// one-line message.
#include <stddef.h>

/// The size of the message buffer the functions fill (libjpeg's JMSG_LENGTH_MAX is 200).
#define GANTRY_JPEG_MESSAGE_LENGTH 256

/// Decodes the JPEG in `data` to 8-bit gray (1 channel, for a grayscale JPEG) or RGB (3, for
/// YCbCr, RGB and CMYK/YCCK ones), rows top to bottom, channels interleaved. On success
/// returns 0 and sets *pixels to a malloc'ed buffer of width × height × channels bytes
/// (the caller frees it). An image of more than `max_pixels` pixels is refused after the
/// header, before any allocation. On failure returns -1 and fills `message`.
int gantry_jpeg_decode(const unsigned char *data, size_t size, size_t max_pixels,
                       unsigned char **pixels, int *width, int *height, int *channels,
                       char message[GANTRY_JPEG_MESSAGE_LENGTH]);

/// Encodes width × height × channels (1 or 3) interleaved bytes at `quality` (1–100). On
/// success returns 0 and sets *jpeg (malloc'ed, the caller frees it) and *jpeg_size; on
/// failure returns -1 and fills `message`.
int gantry_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                       unsigned char **jpeg, unsigned long *jpeg_size,
                       char message[GANTRY_JPEG_MESSAGE_LENGTH]);
#endif
