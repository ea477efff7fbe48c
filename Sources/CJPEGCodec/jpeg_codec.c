#include "CJPEGCodec.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

/// libjpeg's error manager plus the place to jump back to and the message to return.
struct catching_error_manager {
    struct jpeg_error_mgr manager;
    jmp_buf escape;
    char *message;
};

/// error_exit: format the message and jump back into the function that called libjpeg.
static void catch_error(j_common_ptr info) {
    struct catching_error_manager *errors = (struct catching_error_manager *)info->err;
    (*info->err->format_message)(info, errors->message);
    longjmp(errors->escape, 1);
}

/// emit_message: level -1 is a warning about corrupt data (libjpeg goes on and fills the
/// image with gray); a training set wants such a file refused, so a warning is an error.
/// Other levels are trace messages, ignored.
static void catch_warning(j_common_ptr info, int level) {
    if (level < 0) catch_error(info);
}

static void install(struct catching_error_manager *errors, char *message) {
    jpeg_std_error(&errors->manager);
    errors->manager.error_exit = catch_error;
    errors->manager.emit_message = catch_warning;
    errors->message = message;
    message[0] = '\0';
}

int gantry_jpeg_decode(const unsigned char *data, size_t size, size_t max_pixels,
                       unsigned char **pixels, int *width, int *height, int *channels,
                       char message[GANTRY_JPEG_MESSAGE_LENGTH]) {
    struct jpeg_decompress_struct info;
    struct catching_error_manager errors;
    // Volatile: it changes between setjmp and a longjmp, and is read after the jump.
    unsigned char *volatile buffer = NULL;
    *pixels = NULL;
    install(&errors, message);
    info.err = &errors.manager;
    if (setjmp(errors.escape)) {
        free(buffer);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_create_decompress(&info);
    if (size == 0) {
        snprintf(message, GANTRY_JPEG_MESSAGE_LENGTH, "empty file");
        jpeg_destroy_decompress(&info);
        return -1;
    }
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);

    int cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
    if (cmyk) {
        info.out_color_space = JCS_CMYK;  // libjpeg-turbo has no CMYK -> RGB; done below
    } else if (info.num_components == 1) {
        info.out_color_space = JCS_GRAYSCALE;
    } else {
        info.out_color_space = JCS_RGB;
    }
    jpeg_start_decompress(&info);
    size_t w = info.output_width, h = info.output_height, c = (size_t)info.output_components;
    if (w == 0 || h == 0 || w * h > max_pixels) {
        snprintf(message, GANTRY_JPEG_MESSAGE_LENGTH, "%zux%zu pixels, more than the %zu an image may have", w, h, max_pixels);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    buffer = malloc(w * h * c);
    if (buffer == NULL) {
        snprintf(message, GANTRY_JPEG_MESSAGE_LENGTH, "out of memory for %zux%zu pixels", w, h);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = buffer + (size_t)info.output_scanline * w * c;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);

    if (cmyk) {
        // Photoshop (the usual source of CMYK JPEGs, with an Adobe marker) stores the inks
        // inverted: the byte is 255 - ink. Then R = C·K / 255 with C and K as stored.
        int inverted = info.saw_Adobe_marker;
        unsigned char *rgb = malloc(w * h * 3);
        if (rgb == NULL) {
            snprintf(message, GANTRY_JPEG_MESSAGE_LENGTH, "out of memory for %zux%zu pixels", w, h);
            free(buffer);
            jpeg_destroy_decompress(&info);
            return -1;
        }
        for (size_t i = 0; i < w * h; i++) {
            unsigned k = buffer[4 * i + 3];
            if (!inverted) k = 255 - k;
            for (int j = 0; j < 3; j++) {
                unsigned ink = buffer[4 * i + j];
                if (!inverted) ink = 255 - ink;
                rgb[3 * i + j] = (unsigned char)((ink * k + 127) / 255);
            }
        }
        free(buffer);
        buffer = rgb;
        c = 3;
    }
    jpeg_destroy_decompress(&info);
    *pixels = buffer;
    *width = (int)w;
    *height = (int)h;
    *channels = (int)c;
    return 0;
}

int gantry_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                       unsigned char **jpeg, unsigned long *jpeg_size,
                       char message[GANTRY_JPEG_MESSAGE_LENGTH]) {
    struct jpeg_compress_struct info;
    struct catching_error_manager errors;
    *jpeg = NULL;
    *jpeg_size = 0;
    install(&errors, message);
    info.err = &errors.manager;
    if (setjmp(errors.escape)) {
        // Not freed: libjpeg's memory destination may have moved the buffer without updating
        // *jpeg yet. Encoding fails only on arguments a caller got wrong.
        jpeg_destroy_compress(&info);
        *jpeg = NULL;
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, jpeg, jpeg_size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = channels;
    info.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * (size_t)width * (size_t)channels);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    return 0;
}
