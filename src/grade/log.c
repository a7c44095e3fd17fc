/*
 * The grading log, DIR/grade/grades.jsonl: one JSON object per line,
 * appended and flushed per decision, never rewritten. Replaying it gives
 * the state, so a grading session killed at any point resumes with every
 * decision that reached the file. Lines:
 *
 *   {"op":"scheme","scheme":"uk","time":T}                      first line
 *   {"op":"grade","n":K,"group":ID,"category":"A","series":"S",
 *    "identifiable":false,"grader":"G","time":T}
 *   {"op":"undo","ref":K,"grader":"G","time":T}     undoes grade number K
 *   {"op":"reveal","seq":SEQ,"grader":"G","time":T}         exposure
 *   {"op":"session","minutes":M,"grader":"G","time":T}      exposure
 *
 * Only a final line without its newline (a crash mid-write) is dropped on
 * open; any other unreadable line stops the open with its number, because
 * a grade silently lost would be graded again or, worse, exported wrong.
 */
#include "grade/grade_int.h"
#include "scan/jsonl.h"
#include "util/error.h"
#include "util/escape.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct grade_op {
    ward_grade_decision d;
    int undone;
} grade_op;

typedef struct exposure {
    char grader[64];
    ward_grade_exposure e;
} exposure;

struct ward_grade_log {
    FILE *f;
    char scheme[16];
    grade_op *ops;
    size_t nops, cap;
    exposure *exp;
    size_t nexp;
    long line;
    int bad;
    ward_error *err;
};

int ward_grade_category_valid(const char *scheme, const char *c)
{
    if (!strcmp(c, "not-relevant")) return 1;
    if (!strcmp(scheme, "uk")) return !strcmp(c, "A") || !strcmp(c, "B") || !strcmp(c, "C");
    if (!strcmp(scheme, "projectvic")) return strlen(c) == 1 && c[0] >= '0' && c[0] <= '4';
    return 0;
}

static exposure *exposure_of(ward_grade_log *g, const char *grader)
{
    for (size_t i = 0; i < g->nexp; i++)
        if (!strcmp(g->exp[i].grader, grader)) return &g->exp[i];
    exposure *p = realloc(g->exp, (g->nexp + 1) * sizeof *p);
    if (!p) return NULL;
    g->exp = p;
    exposure *x = &g->exp[g->nexp++];
    memset(x, 0, sizeof *x);
    snprintf(x->grader, sizeof x->grader, "%s", grader);
    return x;
}

static int push_op(ward_grade_log *g, const ward_grade_decision *d)
{
    if (g->nops == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        grade_op *p = realloc(g->ops, cap * sizeof *p);
        if (!p) return -1;
        g->ops = p;
        g->cap = cap;
    }
    g->ops[g->nops].d = *d;
    g->ops[g->nops].undone = 0;
    g->nops++;
    return 0;
}

static int replay_bad(ward_grade_log *g, const char *what)
{
    err_fail(g->err, WARD_EFORMAT, "grades.jsonl line %ld: %s", g->line, what);
    g->bad = 1;
    return 1;
}

static int replay(void *ctx, yajl_val v)
{
    ward_grade_log *g = ctx;
    g->line++;
    const char *op = jv_str(v, "op");
    const char *grader = jv_str(v, "grader");
    if (!op) return replay_bad(g, "no \"op\"");
    if (!strcmp(op, "scheme")) {
        const char *s = jv_str(v, "scheme");
        if (!s) return replay_bad(g, "no \"scheme\"");
        snprintf(g->scheme, sizeof g->scheme, "%s", s);
        return 0;
    }
    if (!grader) return replay_bad(g, "no \"grader\"");
    if (!strcmp(op, "grade")) {
        ward_grade_decision d;
        memset(&d, 0, sizeof d);
        const char *cat = jv_str(v, "category"), *series = jv_str(v, "series"),
                   *t = jv_str(v, "time");
        long long id = jv_int(v, "group", -1);
        if (!cat || id < 0 || !ward_grade_category_valid(g->scheme, cat))
            return replay_bad(g, "a grade without a group or with a category not of the scheme");
        d.group = (uint64_t)id;
        snprintf(d.category, sizeof d.category, "%s", cat);
        snprintf(d.series, sizeof d.series, "%s", series ? series : "");
        snprintf(d.grader, sizeof d.grader, "%s", grader);
        snprintf(d.time, sizeof d.time, "%s", t ? t : "");
        d.identifiable = jv_bool(v, "identifiable");
        if (push_op(g, &d) < 0) return replay_bad(g, "out of memory");
        return 0;
    }
    if (!strcmp(op, "undo")) {
        long long ref = jv_int(v, "ref", -1);
        if (ref < 0 || (size_t)ref >= g->nops) return replay_bad(g, "undo of an unknown grade");
        g->ops[ref].undone = 1;
        return 0;
    }
    exposure *x = exposure_of(g, grader);
    if (!x) return replay_bad(g, "out of memory");
    if (!strcmp(op, "reveal")) x->e.revealed++;
    else if (!strcmp(op, "session")) {
        yajl_val m = jv_get(v, "minutes");
        if (m && YAJL_IS_NUMBER(m)) x->e.minutes += YAJL_GET_DOUBLE(m);
    } else
        return replay_bad(g, "unknown \"op\"");
    return 0;
}

/* Drop a final line cut short by a crash, so appends start on a line. */
static ward_status cut_partial_line(const char *path, ward_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? WARD_OK : err_fail_errno(err, errno, "cannot read %s", path);
    long keep = 0, pos = 0;
    int ch;
    while ((ch = getc(f)) != EOF) {
        pos++;
        if (ch == '\n') keep = pos;
    }
    fclose(f);
    if (keep != pos && truncate(path, keep) != 0)
        return err_fail_errno(err, errno, "cannot repair %s", path);
    return WARD_OK;
}

static ward_status append(ward_grade_log *g, strbuf *b, ward_error *err)
{
    strbuf_add(b, "}\n", 2);
    if (!b->s) return err_fail(err, WARD_ENOMEM, "out of memory");
    if (fwrite(b->s, 1, b->len, g->f) != b->len || fflush(g->f) != 0 ||
        fsync(fileno(g->f)) != 0) {
        strbuf_free(b);
        return err_fail_errno(err, errno, "cannot write grades.jsonl");
    }
    strbuf_free(b);
    return WARD_OK;
}

static void head(strbuf *b, const char *op, const char *grader)
{
    char t[32];
    grade_now(t);
    strbuf_addf(b, "{\"op\":\"%s\",\"time\":\"%s\",\"grader\":", op, t);
    esc_json_string(b, grader, strlen(grader));
}

ward_status ward_grade_log_open(const char *report_dir, const char *scheme,
                                ward_grade_log **out, ward_error *err)
{
    *out = NULL;
    if (scheme && strcmp(scheme, "uk") && strcmp(scheme, "projectvic"))
        return err_fail(err, WARD_EINVAL, "scheme must be uk or projectvic, not '%s'", scheme);
    ward_status st = grade_mkdir(report_dir, err);
    if (st != WARD_OK) return st;
    char path[4096];
    snprintf(path, sizeof path, "%s/grade/grades.jsonl", report_dir);
    if ((st = cut_partial_line(path, err)) != WARD_OK) return st;
    ward_grade_log *g = calloc(1, sizeof *g);
    if (!g) return err_fail(err, WARD_ENOMEM, "out of memory");
    g->err = err;
    long bad = 0;
    if (jsonl_each(path, 0, replay, g, &bad) < 0 && errno != ENOENT)
        st = err_fail_errno(err, errno, "cannot read %s", path);
    else if (g->bad)
        st = WARD_EFORMAT;
    else if (bad)
        st = err_fail(err, WARD_EFORMAT, "%s: %ld lines are not JSON", path, bad);
    else if (scheme && g->scheme[0] && strcmp(g->scheme, scheme))
        st = err_fail(err, WARD_EINVAL, "%s was started with scheme %s, not %s", path,
                       g->scheme, scheme);
    if (st == WARD_OK && !(g->f = fopen(path, "a")))
        st = err_fail_errno(err, errno, "cannot open %s", path);
    if (st == WARD_OK && !g->scheme[0]) {
        snprintf(g->scheme, sizeof g->scheme, "%s", scheme ? scheme : "uk");
        strbuf b = {0};
        char t[32];
        grade_now(t);
        strbuf_addf(&b, "{\"op\":\"scheme\",\"scheme\":\"%s\",\"time\":\"%s\"", g->scheme, t);
        st = append(g, &b, err);
    }
    g->err = NULL;
    if (st != WARD_OK) {
        ward_grade_log_close(g);
        return st;
    }
    *out = g;
    return WARD_OK;
}

void ward_grade_log_close(ward_grade_log *g)
{
    if (!g) return;
    if (g->f) fclose(g->f);
    free(g->ops);
    free(g->exp);
    free(g);
}

const char *ward_grade_log_scheme(const ward_grade_log *g) { return g->scheme; }

ward_status ward_grade_log_set(ward_grade_log *g, const ward_grade_decision *in, ward_error *err)
{
    if (!ward_grade_category_valid(g->scheme, in->category))
        return err_fail(err, WARD_EINVAL, "'%s' is not a grade of scheme %s", in->category,
                         g->scheme);
    ward_grade_decision d = *in;
    if (!d.time[0]) grade_now(d.time);
    strbuf b = {0};
    head(&b, "grade", d.grader);
    strbuf_addf(&b, ",\"n\":%zu,\"group\":%llu,\"category\":\"%s\",\"series\":", g->nops,
                     (unsigned long long)d.group, d.category);
    esc_json_string(&b, d.series, strlen(d.series));
    strbuf_addf(&b, ",\"identifiable\":%s", d.identifiable ? "true" : "false");
    if (push_op(g, &d) < 0) {
        strbuf_free(&b);
        return err_fail(err, WARD_ENOMEM, "out of memory");
    }
    ward_status st = append(g, &b, err);
    if (st != WARD_OK) g->nops--;
    return st;
}

ward_status ward_grade_log_undo(ward_grade_log *g, const char *grader, uint64_t *group,
                                ward_error *err)
{
    *group = 0;
    size_t i = g->nops;
    while (i > 0 && (g->ops[i - 1].undone || strcmp(g->ops[i - 1].d.grader, grader))) i--;
    if (i == 0) return WARD_OK;
    strbuf b = {0};
    head(&b, "undo", grader);
    strbuf_addf(&b, ",\"ref\":%zu", i - 1);
    ward_status st = append(g, &b, err);
    if (st == WARD_OK) {
        g->ops[i - 1].undone = 1;
        *group = g->ops[i - 1].d.group;
    }
    return st;
}

const ward_grade_decision *ward_grade_log_get(const ward_grade_log *g, uint64_t group)
{
    for (size_t i = g->nops; i > 0; i--)
        if (!g->ops[i - 1].undone && g->ops[i - 1].d.group == group) return &g->ops[i - 1].d;
    return NULL;
}

size_t ward_grade_log_count(const ward_grade_log *g)
{
    size_t n = 0;
    for (size_t i = 0; i < g->nops; i++)
        if (!g->ops[i].undone && ward_grade_log_get(g, g->ops[i].d.group) == &g->ops[i].d) n++;
    return n;
}

ward_status ward_grade_log_reveal(ward_grade_log *g, const char *grader, uint64_t seq,
                                  ward_error *err)
{
    exposure *x = exposure_of(g, grader);
    if (!x) return err_fail(err, WARD_ENOMEM, "out of memory");
    strbuf b = {0};
    head(&b, "reveal", grader);
    strbuf_addf(&b, ",\"seq\":%llu", (unsigned long long)seq);
    ward_status st = append(g, &b, err);
    if (st == WARD_OK) x->e.revealed++;
    return st;
}

ward_status ward_grade_log_session(ward_grade_log *g, const char *grader, double minutes,
                                   ward_error *err)
{
    exposure *x = exposure_of(g, grader);
    if (!x) return err_fail(err, WARD_ENOMEM, "out of memory");
    strbuf b = {0};
    head(&b, "session", grader);
    strbuf_addf(&b, ",\"minutes\":%.2f", minutes);
    ward_status st = append(g, &b, err);
    if (st == WARD_OK) x->e.minutes += minutes;
    return st;
}

void ward_grade_log_exposure(const ward_grade_log *g, const char *grader,
                             ward_grade_exposure *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < g->nexp; i++)
        if (!strcmp(g->exp[i].grader, grader)) *out = g->exp[i].e;
}
