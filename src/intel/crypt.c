/*
 * intel.db encryption at rest: the key file and the one-off conversion of a
 * plaintext intel.db. The encryption itself is store/crypt_vfs.c; opening
 * an encrypted intel.db is ward_intel_open_keyed (db.c).
 */
#include "intel/intel_int.h"
#include "store/crypt.h"
#include "util/error.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

ward_status ward_intel_key_generate(const char *key_file, const char *datadir, ward_error *err)
{
    return wst_crypt_key_generate(key_file, datadir, err);
}

ward_status ward_intel_key_check(const char *key_file, const char *datadir, ward_error *err)
{
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    ward_status rc = wst_crypt_key_read(key_file, datadir, key, err);
    sodium_memzero(key, sizeof key);
    return rc;
}

ward_status ward_intel_encrypt(const char *datadir, const char *key_file, ward_error *err)
{
    unsigned char key[WARD_CRYPT_KEY_BYTES];
    char *path = NULL;
    ward_status rc = wst_crypt_key_read(key_file, datadir, key, err);
    if (!rc && asprintf(&path, "%s/intel.db", datadir) < 0)
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
    /* no intel.db yet: it is encrypted from its first page when opened
     * with the key; service.db may still need converting (ward intel
     * encrypt does both) */
    if (!rc && access(path, F_OK) == 0)
        rc = wst_crypt_convert(path, key, err);
    sodium_memzero(key, sizeof key);
    free(path);
    return rc;
}

ward_status ward_intel_check(ward_intel *in, ward_error *err)
{
    if (!wsql_sqlite(in->db))
        return err_fail(err, WARD_EUNSUPPORTED,
                         "%s: the intelligence store is on PostgreSQL, whose pages the server "
                         "checks; 'ward intel check' authenticates an intel.db file",
                         in->path);
    wsql_stmt *st;
    ward_status rc = wi_prepare(in, "PRAGMA integrity_check", &st, err);
    if (rc)
        return rc;
    int r = wsql_step(st);
    if (r != SQLITE_ROW)
        rc = wi_sqlfail(in, err, "integrity check");
    else if (strcmp(wi_col(st, 0), "ok")) {
        /* SQLite reports a page it could not read as damage; say why. */
        char why[160];
        const char *detail = wst_crypt_failure(wsql_sqlite(in->db), why, sizeof why);
        rc = err_fail(err, WARD_EFORMAT, "%s: integrity check: %s", in->path,
                       detail ? detail : wi_col(st, 0));
    }
    wsql_finalize(st);
    return rc;
}
