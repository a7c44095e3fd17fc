/* The JSON of a video's properties and frame hashes, shared by `ward hash
 * --jsonl` and `ward scan`'s files.jsonl so both write the same fields. */
#ifndef WARD_EXCHANGE_VIDEOJSON_H
#define WARD_EXCHANGE_VIDEOJSON_H

#include "util/escape.h"
#include <ward/filehash.h>

/* Appends ,"video":{...}[,"video_error"|"video_warning":...],"vpdq":[...]. */
void wx_video_json(strbuf *b, const ward_file_hash *r);

#endif
