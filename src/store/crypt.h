/*
 * crypt.h -- encryption at rest for SQLite files (internal to libward).
 *
 * An SQLite VFS, "ward-aead", wraps the default one and encrypts every page
 * of the main database, its rollback journal and its WAL with
 * XChaCha20-Poly1305 (libsodium). The VFS holds no key: each connection
 * passes its key in its URI and the VFS derives a page key per file from
 * it. Design and limits: docs/security.md, "Encryption at rest".
 *
 * Layout: pages are 4096 bytes, of which SQLite leaves the last 40
 * ("reserve bytes") to the VFS for a random nonce (24) and a tag (16).
 * Page 1 of the main file starts with a plaintext magic and key id in place
 * of "SQLite format 3", so a file says whether it is encrypted and with
 * which key without anyone decrypting it.
 */
#ifndef WARD_STORE_CRYPT_H
#define WARD_STORE_CRYPT_H

#include <sqlite3.h>
#include <stddef.h>
#include <ward/ward.h>

#define WARD_CRYPT_KEY_BYTES 32
#define WARD_CRYPT_VFS "ward-aead"

/* Write a new key (32 random bytes as hex, mode 0600) to key_file, which
 * must not exist and must lie outside datadir (NULL: no such check). */
ward_status wst_crypt_key_generate(const char *key_file, const char *datadir,
                                    ward_error *err);

/* Read a key file, refusing one inside datadir (NULL: no check), one that
 * is not a regular file or one that group or others may read or write. */
ward_status wst_crypt_key_read(const char *key_file, const char *datadir,
                                unsigned char key[WARD_CRYPT_KEY_BYTES], ward_error *err);

/* What a file is, from its first bytes. */
typedef enum wst_crypt_kind {
    WARD_CRYPT_EMPTY,      /* zero length: a new database */
    WARD_CRYPT_PLAIN,      /* an SQLite database in clear */
    WARD_CRYPT_ENCRYPTED,  /* ours; *key_matches says whether key fits */
    WARD_CRYPT_OTHER       /* neither */
} wst_crypt_kind;

/* Classify path; key may be NULL (then *key_matches is 0). */
ward_status wst_crypt_probe(const char *path, const unsigned char *key,
                             wst_crypt_kind *kind, int *key_matches, ward_error *err);

/* Open an existing (possibly empty) file read-write. key NULL: plaintext,
 * refusing an encrypted file; else through the VFS with the key, refusing
 * a plaintext file or the wrong key, with reserve bytes set for a new file
 * and temp_store = MEMORY so that no temporary file holds plaintext. */
ward_status wst_crypt_open(const char *path, const unsigned char *key, sqlite3 **db,
                            ward_error *err);

/* Copy the plaintext database at path into a new encrypted one and put it
 * in path's place (integrity-checked, fsynced, renamed). Nothing may have
 * the file open meanwhile. */
ward_status wst_crypt_convert(const char *path, const unsigned char *key, ward_error *err);

/* "file:PATH?vfs=VFS[&key=HEX]", PATH percent-encoded; malloc'd, NULL if
 * out of memory. With a key the caller wipes it before freeing it. */
char *wst_crypt_uri(const char *path, const char *vfs, const unsigned char *key);

/* After an SQLite call failed on db: what the VFS refused last (a page
 * that failed authentication, a write it would not encrypt), as text in
 * buf; a general word when the file it was in is closed since (a hot
 * journal SQLite could not play); NULL when the VFS refused nothing. */
const char *wst_crypt_failure(sqlite3 *db, char *buf, size_t cap);

#endif
