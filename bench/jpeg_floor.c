/*
 * jpeg_floor: the yardstick for PDQ on small JPEGs. Decodes every file named
 * at scale 1/8 through the libjpeg API, in one process, output discarded:
 *
 *   jpeg_floor [-g] FILE...
 *
 * A 1/8 decode still entropy-decodes every bit of the file but inverse-
 * transforms only each block's DC term: the cheapest complete read of a JPEG
 * libjpeg(-turbo) offers, hence the floor for any PDQ built on it. Colour
 * output (RGB, as `djpeg -scale 1/8`) unless -g (greyscale). Files are read
 * from disk as ward reads them. With no files it only starts and exits, which
 * is what bench/small.sh subtracts as process start. Exit status 1 if a file
 * failed to decode (named on stderr).
 */
#include <stdio.h> /* before jpeglib.h, which uses FILE */
#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct jerr {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
} jerr;

static void on_error(j_common_ptr c) { longjmp(((jerr *)c->err)->jump, 1); }
static void on_message(j_common_ptr c) { (void)c; }

static int decode_eighth(const char *path, int grey)
{
    struct jpeg_decompress_struct ci;
    jerr e;
    FILE *volatile f = fopen(path, "rb");
    unsigned char *volatile row = NULL;
    volatile int ok = 0;
    if (!f)
        return 0;
    memset(&ci, 0, sizeof ci);
    ci.err = jpeg_std_error(&e.mgr);
    e.mgr.error_exit = on_error;
    e.mgr.output_message = on_message;
    if (setjmp(e.jump))
        goto out;
    jpeg_create_decompress(&ci);
    jpeg_stdio_src(&ci, f);
    jpeg_read_header(&ci, TRUE);
    if (grey)
        ci.out_color_space = JCS_GRAYSCALE;
    ci.scale_num = 1;
    ci.scale_denom = 8;
    jpeg_start_decompress(&ci);
    row = malloc((size_t)ci.output_width * ci.output_components);
    if (!row)
        goto out;
    while (ci.output_scanline < ci.output_height) {
        JSAMPROW rp = row;
        jpeg_read_scanlines(&ci, &rp, 1);
    }
    jpeg_finish_decompress(&ci);
    ok = 1;
out:
    jpeg_destroy_decompress(&ci);
    free(row);
    fclose(f);
    return ok;
}

int main(int argc, char **argv)
{
    int grey = 0, failed = 0, i = 1;
    if (i < argc && strcmp(argv[i], "-g") == 0) {
        grey = 1;
        i++;
    }
    for (; i < argc; i++)
        if (!decode_eighth(argv[i], grey)) {
            fprintf(stderr, "jpeg_floor: %s: cannot decode\n", argv[i]);
            failed = 1;
        }
    return failed;
}
