/*
 * thumb.h -- small greyscale thumbnails for the review list of a scan.
 *
 * A thumbnail is made from the luma plane the PDQ hasher already decoded
 * (no second decode), shrunk by area averaging to at most max_side pixels
 * on a side and, unless asked otherwise, blurred in the pixels themselves:
 * a reviewer can tell a document scan from a photograph without being shown
 * the content. The blur is not a CSS effect a reader could switch off.
 */
#ifndef WARD_THUMB_H
#define WARD_THUMB_H

#include <stdint.h>
#include <ward/media.h>
#include <ward/ward.h>

#ifdef __cplusplus
extern "C" {
#endif
WARD_API_BEGIN

typedef struct ward_thumb {
    uint8_t *px;   /* rows x cols grey bytes, owned (ward_thumb_free) */
    int rows, cols;
} ward_thumb;

/* max_side: 16..512. blur: 0 none, else the box-blur radius in thumbnail
 * pixels (applied three times, close to a Gaussian). */
ward_status ward_thumb_make(const ward_luma *luma, int max_side, int blur, ward_thumb *out,
                            ward_error *err);
/* Baseline greyscale JPEG (libjpeg-turbo), quality 75. */
ward_status ward_thumb_write_jpeg(const ward_thumb *t, const char *path, ward_error *err);
void ward_thumb_free(ward_thumb *t);

WARD_API_END
#ifdef __cplusplus
}
#endif
#endif
