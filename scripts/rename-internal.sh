#!/bin/sh
# rename-internal.sh: internal functions and types drop the public ward_
# prefix, so that `ward_` in a name means "declared in include/ward/" (the
# library's surface, issue 19 item 5). Each room's internals take the room's
# prefix, as store (wst_), exchange (wx_) and index (idx_) already did:
# util's escape.h esc_, its error.h err_, media media_.
#
# A script rather than a hand edit, because the rename touches nearly every
# file: whoever merges branches that still use the old names runs it again
# on the merged tree. It is idempotent (only old names are matched, whole
# words only), and it refuses to run if a new name is already in use for
# something else.
#
#   scripts/rename-internal.sh          rename in src/ tests/ bench/ fuzz/ docs/
#   scripts/rename-internal.sh --check  list files that still use an old name
set -eu
cd "$(dirname "$0")/.."
MAP='
ward_crypt_convert wst_crypt_convert
ward_crypt_failure wst_crypt_failure
ward_crypt_key_generate wst_crypt_key_generate
ward_crypt_key_read wst_crypt_key_read
ward_crypt_kind wst_crypt_kind
ward_crypt_open wst_crypt_open
ward_crypt_probe wst_crypt_probe
ward_crypt_uri wst_crypt_uri
ward_decode_bmp media_decode_bmp
ward_decode_gif media_decode_gif
ward_decode_heif media_decode_heif
ward_decode_jpeg media_decode_jpeg
ward_decode_png media_decode_png
ward_decode_pnm media_decode_pnm
ward_decode_tiff media_decode_tiff
ward_decode_webp media_decode_webp
ward_jpeg_exif_orientation media_jpeg_exif_orientation
ward_luma_orient media_luma_orient
ward_ff media_ff
ward_ff_get media_ff_get
ward_ff_load media_ff_load
ward_idx_builder_set_chunks idx_builder_set_chunks
ward_idx_query_pdq_mih idx_query_pdq_mih
ward_idx_query_pdq_fast idx_query_pdq_fast
ward_fail err_fail
ward_fail_set err_fail_set
ward_fail_errno err_fail_errno
ward_fail_errno_set err_fail_errno_set
ward_error_clear err_clear
ward_strbuf strbuf
ward_strbuf_add strbuf_add
ward_strbuf_addf strbuf_addf
ward_strbuf_free strbuf_free
ward_csv_field esc_csv_field
ward_csv_fput esc_csv_fput
ward_csv_unguard esc_csv_unguard
ward_escape_name esc_name
ward_unescape_name esc_unescape_name
ward_html_text esc_html_text
ward_invisible_mark esc_invisible_mark
ward_json_fput esc_json_fput
ward_json_string esc_json_string
ward_name_is_plain esc_name_is_plain
ward_utf8_valid esc_utf8_valid
ward_mkdirs path_mkdirs
ward_path_absolute path_absolute
ward_path_stem path_stem
'
DIRS="src tests bench fuzz docs examples"
files() { grep -rlwE "$1" $DIRS --include='*.[ch]' --include='*.md' --include='*.inc' \
              --include='*.txt' 2>/dev/null || true; }
old_re=$(echo "$MAP" | awk 'NF == 2 {printf "%s%s", sep, $1; sep = "|"}')
if [ "${1:-}" = --check ]; then
    left=$(files "$old_re")
    [ -z "$left" ] && { echo "no old internal names left"; exit 0; }
    echo "old internal names still used in:"; echo "$left" | sed 's/^/  /'
    exit 1
fi
# A new name that the tree already uses (not from an earlier run: then the
# old name is gone) would merge two identifiers into one.
echo "$MAP" | while read -r old new; do
    [ -n "$old" ] || continue
    if [ -n "$(files "$old")" ] && [ -n "$(files "$new")" ]; then
        echo "rename-internal: $new already exists beside $old:" >&2
        files "$new" | sed 's/^/  /' >&2
        exit 1
    fi
done
script=$(echo "$MAP" | awk 'NF == 2 {printf "s/\\<%s\\>/%s/g;", $1, $2}')
list=$(files "$old_re")
[ -n "$list" ] && echo "$list" | xargs sed -i "$script"
echo "renamed in $(echo "$list" | grep -c . || true) files"
