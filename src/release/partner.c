/*
 * Releases in partner formats: the full release goes through a scratch
 * store so that the writers are exactly those of `ward db export`.
 */
#include "release/rel_int.h"
#include "util/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- partner formats ------------------------------------------------------ */

ward_status ward_release_export(const char *root, const char *scratch_dir, const char *list,
                                uint64_t version, ward_hashset_format format, FILE *out,
                                uint64_t *written, uint64_t *skipped, ward_error *err)
{
    uint64_t *v;
    size_t nv;
    ward_status rc = ward_release_versions(root, list, &v, &nv, err);
    if (rc)
        return rc;
    if (!version)
        version = nv ? v[nv - 1] : 0;
    free(v);
    rel_manifest m;
    char *mp = rel_fmt("%s/%s/%llu/manifest", root, list, (unsigned long long)version);
    char *full = rel_fmt("%s/%s/%llu/full", root, list, (unsigned long long)version);
    char *tmpl = rel_fmt("%s/.release-export-XXXXXX", scratch_dir);
    if (!mp || !full || !tmpl) {
        rc = err_fail(err, WARD_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = rel_manifest_load(mp, NULL, &m, err))) {
        if (rc == WARD_ENOTFOUND)
            err_fail(err, rc, "release %s has no version %llu", list,
                      (unsigned long long)version);
        goto out;
    }
    if (!mkdtemp(tmpl)) {
        rc = err_fail_errno(err, errno, "cannot create a scratch store in %s", scratch_dir);
        rel_manifest_free(&m);
        goto out;
    }
    ward_store *s = NULL;
    ward_import_opts io;
    ward_import_opts_default(&io);
    io.strict = 1;
    io.scheme = m.scheme;
    io.kind = strcmp(m.kind, "known-good") == 0 ? WARD_LIST_KNOWN_GOOD : WARD_LIST_ALERT;
    if ((rc = ward_store_open(tmpl, NULL, 0, &s, err)) == WARD_OK &&
        (rc = ward_store_import(s, full, WARD_FMT_CSV, list, &io, NULL, err)) == WARD_OK) {
        ward_export_opts eo = {.list = list};
        rc = ward_store_export(s, out, format, &eo, written, skipped, err);
    }
    ward_store_close(s);
    rel_remove_dir(tmpl);
    rel_manifest_free(&m);
out:
    free(mp);
    free(full);
    free(tmpl);
    return rc;
}
