/*
 * ward graph: link analysis over the intelligence store. Thin: options,
 * one call into graph.h per question, printing.
 */
#include "cli/cli.h"
#include "cli/opt.h"
#include "util/error.h"
#include "util/escape.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ward/graph.h>
#include <ward/intel.h>

static const char help[] =
"NAME\n"
"    ward graph - link analysis: who is connected to whom, and on what evidence\n"
"\n"
"SYNOPSIS\n"
"    ward graph summary\n"
"    ward graph neighbours SUBJECT [--depth N] [--max N] [--format F] [-o FILE]\n"
"    ward graph shares SUBJECT [--json]\n"
"    ward graph path SUBJECT SUBJECT [--json]\n"
"    ward graph components [--top N] [--json]\n"
"    ward graph communities [--seed N] [--component C] [--json]\n"
"    ward graph players [--component C | --subject S] [--top N] [--json]\n"
"    ward graph growth --component C | --subject S [--json]\n"
"    ward graph export [--component C | --subject S [--depth N]] --format F [-o FILE]\n"
"    (every action takes --data DIR and --key-file FILE)\n"
"\n"
"DESCRIPTION\n"
"    Builds, in memory, the network the intelligence store holds: every\n"
"    resolved subject and every identifier and file its referrals carry\n"
"    (e-mail, phone, screen name, IP event, chat room or group, payment\n"
"    card shown masked only, file hash, hash-set series), and the exhibits\n"
"    linked to it with their attached scans and the series they found.\n"
"    A link is a subject's record carrying a value, with that record, the\n"
"    value as received, when, the list it came on and a confidence; two\n"
"    subjects are linked when they hold the same value.\n"
"\n"
"    Values ward refuses to link people through are shown, marked with the\n"
"    reason, and never link anyone: an IP address in a CGNAT range without\n"
"    a port or without a settled time, a value held by more records than the\n"
"    resolver's frequency cap, a mailbox or account used under more names\n"
"    than shared_names (intel-resolve.conf), a card seen with more names\n"
"    than shared_names (possibly stolen or shared). A chat room links the\n"
"    subjects named in it unless more records than the cap name it. IP\n"
"    events link two subjects only within ip_window_hours of each other.\n"
"    Exhibits and scans belong to one subject each and link no one.\n"
"\n"
"    Suspicion is not guilt: a link says two referrals carried the same\n"
"    value, never that two people know each other or did anything.\n"
"\n"
"ACTIONS\n"
"    summary         Subjects, identifiers, refused values, links, components.\n"
"    neighbours S    Subjects within --depth links of S (default 1), each with\n"
"                    the identifiers linking it to the one before it; with\n"
"                    --format, the ego network as a file (see FORMATS).\n"
"    shares S        Who shares identifiers or material with S, and which.\n"
"    path A B        The shortest chain of subjects from A to B, with the\n"
"                    evidence (records, times, lists) on every hop.\n"
"    components      Connected components by size (subjects, identifiers).\n"
"    communities     Louvain communities of the subject links, deterministic\n"
"                    for --seed (default 1): each community's size and members.\n"
"    players         Key players of a component: linked subjects (degree) and\n"
"                    betweenness (Brandes; estimated from 256 sources in\n"
"                    components over 4,000 subjects, and said so).\n"
"    growth          How a component grew: per day, the subjects, identifiers\n"
"                    and links seen so far.\n"
"    export          A component, an ego network or (neither given) the whole\n"
"                    graph in a format below.\n"
"\n"
"FORMATS (--format)\n"
"    text            nodes, then links with their evidence (default)\n"
"    json            one JSON object per line: nodes, then links\n"
"    graphml         GraphML (yEd, Gephi, NetworkX)\n"
"    gexf            GEXF 1.3 (Gephi)\n"
"    i2              CSV of entities and links for i2 Analyst's Notebook import;\n"
"                    cells a spreadsheet would run as formulas are prefixed '\n"
"    svg             a drawing (at most 600 nodes): radial around S, else\n"
"                    force-directed from a fixed seed\n"
"\n"
""; /* OPTIONS: from the table below */

static const char help_tail[] =
"EXIT STATUS\n"
"    0 done; 1 done, but records not yet resolved into subjects were not\n"
"    examined (run 'ward intel update'); 2 usage; 3 no such subject or\n"
"    component, or a drawing too large; 4 I/O; 5 internal.\n"
"\n"
"EXAMPLES\n"
"    ward graph neighbours S000042 --depth 2\n"
"    ward graph path S000042 S000317\n"
"    ward graph export --subject S000042 --format gexf -o op.gexf\n";

typedef struct graph_args {
    const char *data, *key_file, *format, *output, *subject;
    int depth, json, component;
    size_t max, top;
    uint64_t seed, max_given, top_given;
} graph_args;

#define A(m) CLI_AT_INT(graph_args, m)
static const cli_opt options[] = {
    CLI_OPT_DATA(graph_args, data),
    {"key-file", 0, CLI_STRING, CLI_AT_STR(graph_args, key_file), "FILE",
     .def = "$WARD_INTEL_KEY_FILE", .help = "intel.db is encrypted with the key in FILE"},
    {"depth", 0, CLI_INT, A(depth), "N", 1, 6, .def = "1",
     .help = "hops for neighbours and ego exports"},
    {"max", 0, CLI_COUNT, CLI_AT_U64(graph_args, max_given), "N", 1, 1e18, .def = "500",
     .help = "at most N subjects in a neighbourhood"},
    {"component", 0, CLI_INT, A(component), "C", 0, 1 << 30,
     .help = "a component by number (components lists them)"},
    {"subject", 0, CLI_STRING, CLI_AT_STR(graph_args, subject), "S",
     .help = "the component of subject S"},
    {"top", 0, CLI_COUNT, CLI_AT_U64(graph_args, top_given), "N", 1, 1e18, .def = "20",
     .help = "list at most N"},
    {"seed", 0, CLI_COUNT, CLI_AT_U64(graph_args, seed), "N", 0, 1e18, .def = "1",
     .help = "community detection seed"},
    {"json", 0, CLI_FLAG, A(json), .help = "JSON lines instead of text"},
    {"format", 'f', CLI_STRING, CLI_AT_STR(graph_args, format), "F",
     .help = "output format (FORMATS above)"},
    {"output", 'o', CLI_STRING, CLI_AT_STR(graph_args, output), "FILE",
     .help = "write to FILE instead of standard output"},
    CLI_OPT_END};
#undef A

static int subject_arg(const ward_graph *g, const char *id, uint32_t *out)
{
    int64_t i = ward_graph_find(g, WARD_GN_SUBJECT, id);
    if (i < 0) {
        cli_error("graph", "no active subject %s in the graph", id);
        return WARD_EXIT_DATA;
    }
    *out = (uint32_t)i;
    return 0;
}

/* ,"name":"value" in JSON; *oom set when it could not be built. */
static void jfield(FILE *out, const char *name, const char *value, int *oom)
{
    fprintf(out, ",\"%s\":", name);
    if (!esc_json_fput(out, value))
        *oom = 1;
}

/* The evidence for one hop a -- b: each identifier with both records.
 * Returns 0, or non-zero when out of memory writing JSON. */
static int hop(const ward_graph *g, uint32_t a, uint32_t b, int json, FILE *out)
{
    uint32_t sh[32];
    int oom = 0;
    size_t k = ward_graph_shared(g, a, b, sh, 32);
    for (size_t i = 0; i < k; i++) {
        const ward_graph_node *n = ward_graph_node_at(g, sh[i]);
        const uint32_t *e;
        size_t m = ward_graph_edges_of(g, sh[i], &e);
        if (!json)
            fprintf(out, "      via %s %s:", ward_graph_kind_name(n->kind), n->key);
        for (size_t j = 0; j < m; j++) {
            const ward_graph_edge *x = ward_graph_edge_at(g, e[j]);
            if (x->subject != a && x->subject != b)
                continue;
            if (json) {
                fprintf(out, "{\"hop\":[\"%s\",\"%s\"],\"via\":\"%s\"",
                        ward_graph_node_at(g, a)->key, ward_graph_node_at(g, b)->key,
                        ward_graph_kind_name(n->kind));
                jfield(out, "value", n->key, &oom);
                fprintf(out, ",\"subject\":\"%s\",\"record\":%lld",
                        ward_graph_node_at(g, x->subject)->key, (long long)x->record);
                jfield(out, "time", x->time, &oom);
                jfield(out, "list", x->source, &oom);
                fprintf(out, ",\"confidence\":%.2f}\n", x->confidence);
            } else
                fprintf(out, " %s record %lld (%s, list %s, confidence %.2f);",
                        ward_graph_node_at(g, x->subject)->key, (long long)x->record, x->time,
                        x->source, x->confidence);
        }
        if (!json)
            fputc('\n', out);
    }
    return oom;
}

/* Out of memory writing JSON (the only way hop and jfield fail). */
static int oom_fail(void)
{
    ward_error err = {0};
    return cli_fail("graph", err_fail(&err, WARD_ENOMEM, "out of memory writing JSON"), &err);
}

static int do_summary(const ward_graph *g, FILE *out)
{
    size_t kinds[WARD_GN_NKINDS] = {0}, refused = 0, links = 0;
    for (uint32_t i = 0; i < ward_graph_node_count(g); i++) {
        const ward_graph_node *n = ward_graph_node_at(g, i);
        kinds[n->kind]++;
        refused += n->refused != NULL;
        if (n->kind == WARD_GN_SUBJECT)
            links += n->degree;
    }
    fprintf(out, "subjects %zu\n", kinds[WARD_GN_SUBJECT]);
    for (int k = 1; k < WARD_GN_NKINDS; k++)
        fprintf(out, "%-11s %zu\n", ward_graph_kind_name(k), kinds[k]);
    fprintf(out, "refused    %zu (values that link no one)\n", refused);
    fprintf(out, "evidence   %zu (record carries value)\n", ward_graph_edge_count(g));
    fprintf(out, "linked     %zu subject pairs\n", links / 2);
    fprintf(out, "components %zu\n", ward_graph_component_count(g));
    return 0;
}

static int do_neighbours(const ward_graph *g, uint32_t s, const graph_args *a, FILE *out)
{
    uint32_t *nodes, *via;
    int *dist;
    size_t n;
    ward_error err = {0};
    int oom = 0;
    ward_status st = ward_graph_neighbours(g, s, a->depth, a->max, &nodes, &dist, &via, &n, &err);
    if (st)
        return cli_fail("graph", st, &err);
    for (size_t i = 0; i < n; i++) {
        const ward_graph_node *x = ward_graph_node_at(g, nodes[i]);
        if (a->json) {
            fprintf(out, "{\"subject\":\"%s\",\"depth\":%d,\"from\":\"%s\"", x->key, dist[i],
                    ward_graph_node_at(g, via[i])->key);
            jfield(out, "holder", x->holder, &oom);
            fputs("}\n", out);
        } else
            fprintf(out, "%d  %s  (held by %s)%s%s\n", dist[i], x->key,
                    *x->holder ? x->holder : "-", dist[i] ? "  from " : "",
                    dist[i] ? ward_graph_node_at(g, via[i])->key : "");
        if (dist[i] && hop(g, via[i], nodes[i], a->json, out))
            oom = 1;
    }
    if (a->max && n >= a->max && !a->json)
        fprintf(out, "(stopped at --max %zu subjects)\n", a->max);
    free(nodes), free(dist), free(via);
    return oom ? oom_fail() : 0;
}

static int do_shares(const ward_graph *g, uint32_t s, const graph_args *a, FILE *out)
{
    const uint32_t *o, *w;
    int oom = 0;
    size_t n = ward_graph_linked(g, s, &o, &w);
    if (!a->json)
        fprintf(out, "%s shares identifiers or material with %zu subjects\n",
                ward_graph_node_at(g, s)->key, n);
    for (size_t i = 0; i < n; i++) {
        const ward_graph_node *x = ward_graph_node_at(g, o[i]);
        if (!a->json)
            fprintf(out, "  %s (held by %s): %u shared\n", x->key, *x->holder ? x->holder : "-",
                    w[i]);
        oom |= hop(g, s, o[i], a->json, out);
    }
    /* and what it holds that links no one */
    const uint32_t *e;
    size_t m = ward_graph_edges_of(g, s, &e);
    for (size_t i = 0; i < m; i++) {
        const ward_graph_node *x = ward_graph_node_at(g, ward_graph_edge_at(g, e[i])->node);
        if (x->refused && !a->json)
            fprintf(out, "  not a link: %s %s: %s\n", ward_graph_kind_name(x->kind), x->key,
                    x->refused);
    }
    return oom ? oom_fail() : 0;
}

static int do_path(const ward_graph *g, uint32_t s, uint32_t t, const graph_args *a, FILE *out)
{
    uint32_t *p;
    size_t n;
    ward_error err = {0};
    int oom = 0;
    ward_status st = ward_graph_path(g, s, t, &p, &n, &err);
    if (st)
        return cli_fail("graph", st, &err);
    if (!n && !a->json)
        fprintf(out, "%s and %s are not connected\n", ward_graph_node_at(g, s)->key,
                ward_graph_node_at(g, t)->key);
    for (size_t i = 0; i < n; i++) {
        if (!a->json)
            fprintf(out, "%s%s\n", i ? "  -> " : "", ward_graph_node_at(g, p[i])->key);
        if (i + 1 < n)
            oom |= hop(g, p[i], p[i + 1], a->json, out);
    }
    free(p);
    return oom ? oom_fail() : 0;
}

static int do_components(const ward_graph *g, const graph_args *a, FILE *out)
{
    size_t nc = ward_graph_component_count(g);
    size_t *size = calloc(nc + 1, sizeof *size);
    if (!size)
        return WARD_EXIT_INTERNAL;
    for (uint32_t i = 0; i < ward_graph_node_count(g); i++) {
        const ward_graph_node *n = ward_graph_node_at(g, i);
        if (n->kind == WARD_GN_SUBJECT)
            size[n->component]++;
    }
    for (size_t c = 0; c < nc && c < a->top; c++)
        fprintf(out, a->json ? "{\"component\":%zu,\"subjects\":%zu}\n"
                             : "component %zu: %zu subjects\n", c, size[c]);
    if (!a->json && nc > a->top)
        fprintf(out, "(%zu more components)\n", nc - a->top);
    free(size);
    return 0;
}

static int do_communities(ward_graph *g, const graph_args *a, FILE *out)
{
    size_t nc;
    ward_error err = {0};
    ward_status st = ward_graph_communities(g, a->seed, &nc, &err);
    if (st)
        return cli_fail("graph", st, &err);
    size_t shown = 0;
    for (size_t c = 0; c < nc && shown < a->top; c++) {
        size_t members = 0;
        int in_comp = 0;
        for (uint32_t i = 0; i < ward_graph_node_count(g); i++) {
            const ward_graph_node *n = ward_graph_node_at(g, i);
            if (n->kind == WARD_GN_SUBJECT && n->community == (int32_t)c)
                members++, in_comp |= a->component < 0 || n->component == a->component;
        }
        if (!in_comp || members < 2)
            continue;
        shown++;
        fprintf(out, a->json ? "{\"community\":%zu,\"subjects\":%zu,\"members\":["
                             : "community %zu: %zu subjects:", c, members);
        size_t k = 0;
        for (uint32_t i = 0; i < ward_graph_node_count(g); i++) {
            const ward_graph_node *n = ward_graph_node_at(g, i);
            if (n->kind == WARD_GN_SUBJECT && n->community == (int32_t)c)
                fprintf(out, a->json ? "%s\"%s\"" : "%s%s", k++ ? (a->json ? "," : " ") : " ",
                        n->key);
        }
        fputs(a->json ? "]}\n" : "\n", out);
    }
    return 0;
}

static int component_arg(const ward_graph *g, const graph_args *a, int32_t *c)
{
    if (a->subject) {
        uint32_t s;
        int rc = subject_arg(g, a->subject, &s);
        if (rc)
            return rc;
        *c = ward_graph_node_at(g, s)->component;
        return 0;
    }
    if (a->component < 0)
        return cli_usage("graph", "give --component C or --subject S");
    if ((size_t)a->component >= ward_graph_component_count(g)) {
        cli_error("graph", "no component %d (there are %zu)", a->component,
                  ward_graph_component_count(g));
        return WARD_EXIT_DATA;
    }
    *c = a->component;
    return 0;
}

static int do_players(const ward_graph *g, const graph_args *a, FILE *out)
{
    int32_t c;
    int rc = component_arg(g, a, &c);
    if (rc)
        return rc;
    ward_graph_player *p;
    size_t n, sampled;
    ward_error err = {0};
    int oom = 0;
    ward_status st = ward_graph_key_players(g, c, a->top, &p, &n, &sampled, &err);
    if (st)
        return cli_fail("graph", st, &err);
    if (!a->json)
        fprintf(out, "component %d: subject, linked subjects, betweenness%s\n", (int)c,
                sampled ? " (estimated from a sample of sources)" : "");
    for (size_t i = 0; i < n; i++) {
        const ward_graph_node *x = ward_graph_node_at(g, p[i].node);
        if (!a->json) {
            fprintf(out, "  %s  %u  %.6f  (held by %s)\n", x->key, p[i].degree,
                    p[i].betweenness, *x->holder ? x->holder : "-");
            continue;
        }
        fprintf(out, "{\"subject\":\"%s\",\"degree\":%u,\"betweenness\":%.6f", x->key,
                p[i].degree, p[i].betweenness);
        jfield(out, "holder", x->holder, &oom);
        fputs("}\n", out);
    }
    free(p);
    return oom ? oom_fail() : 0;
}

static int do_export(const ward_graph *g, const graph_args *a, FILE *out, int ego)
{
    ward_graph_view v = {0};
    ward_error err = {0};
    ward_status st;
    int fmt = ward_graph_format_parse(a->format ? a->format : "text");
    if (fmt < 0)
        return cli_usage("graph", "unknown format '%s'", a->format);
    if (ego || (a->subject && a->component < 0)) {
        uint32_t s;
        int rc = subject_arg(g, a->subject, &s);
        if (rc)
            return rc;
        st = ward_graph_ego(g, s, a->depth, a->max, &v, &err);
    } else if (a->component >= 0) {
        int32_t c;
        int rc = component_arg(g, a, &c);
        if (rc)
            return rc;
        st = ward_graph_component_view(g, c, 0, &v, &err);
    } else {   /* neither: the whole graph */
        size_t n = ward_graph_node_count(g);
        v.nodes = malloc((n + 1) * sizeof *v.nodes);
        v.dist = malloc((n + 1) * sizeof *v.dist);
        v.mode = malloc(n + 1);
        v.centre = -1;
        st = v.nodes && v.dist && v.mode ? WARD_OK : WARD_ENOMEM;
        for (size_t i = 0; !st && i < n; i++)
            v.nodes[i] = (uint32_t)i, v.dist[i] = -1, v.mode[i] = WARD_GV_SHOW;
        v.n = st ? 0 : n;
    }
    if (!st)
        st = ward_graph_write(g, &v, (ward_graph_format)fmt, out, &err);
    ward_graph_view_free(&v);
    return st ? cli_fail("graph", st, &err) : 0;
}

static int run_graph(int argc, char **argv)
{
    graph_args a = {.depth = 1, .component = -1, .max_given = 500, .top_given = 20, .seed = 1};
    int c, optind;
    if ((c = cli_parse_opts(&cli_cmd_graph, &a, argc, argv, &optind)) != CLI_GO_ON)
        return c;
    a.max = (size_t)a.max_given;
    a.top = (size_t)a.top_given;
    if (optind >= argc)
        return cli_usage("graph", "no action given");
    const char *action = argv[optind++];
    int n = argc - optind;
    char **rest = argv + optind;
    static const struct { const char *name; int args; } actions[] = {
        {"summary", 0}, {"neighbours", 1}, {"neighbors", 1}, {"shares", 1}, {"path", 2},
        {"components", 0}, {"communities", 0}, {"players", 0}, {"growth", 0}, {"export", 0}};
    int known = -1;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
        if (!strcmp(action, actions[i].name))
            known = actions[i].args;
    if (known < 0)
        return cli_usage("graph", "unknown action '%s'", action);
    if (n != known)
        return cli_usage("graph", "%s takes %d subject%s", action, known, known == 1 ? "" : "s");
    if (a.format && ward_graph_format_parse(a.format) < 0)
        return cli_usage("graph", "unknown format '%s'", a.format);
    a.data = cli_data_dir(a.data);
    if (!a.key_file)
        a.key_file = cli_intel_key_file();
    ward_intel *in = NULL;
    ward_graph *g = NULL;
    ward_error err = {0};
    uint64_t unresolved = 0;
    ward_status st = ward_intel_open_keyed(a.data, cli_store_url(), a.key_file, &in, &err);
    if (!st)
        st = ward_graph_build(in, &g, &unresolved, &err);
    ward_intel_close(in);
    if (st)
        return cli_fail("graph", st, &err);
    FILE *out = a.output ? fopen(a.output, "w") : stdout;
    if (!out) {
        ward_graph_free(g);
        cli_error("graph", "cannot write %s", a.output);
        return WARD_EXIT_IO;
    }
    uint32_t s = 0, t = 0;
    int rc = 0;
    if (n >= 1)
        rc = subject_arg(g, rest[0], &s);
    if (!rc && n == 2)
        rc = subject_arg(g, rest[1], &t);
    if (rc)
        ;
    else if (!strcmp(action, "summary"))
        rc = do_summary(g, out);
    else if (!strncmp(action, "neighbo", 7))
        rc = a.format ? (a.subject = rest[0], do_export(g, &a, out, 1))
                      : do_neighbours(g, s, &a, out);
    else if (!strcmp(action, "shares"))
        rc = do_shares(g, s, &a, out);
    else if (!strcmp(action, "path"))
        rc = do_path(g, s, t, &a, out);
    else if (!strcmp(action, "components"))
        rc = do_components(g, &a, out);
    else if (!strcmp(action, "communities"))
        rc = do_communities(g, &a, out);
    else if (!strcmp(action, "players"))
        rc = do_players(g, &a, out);
    else if (!strcmp(action, "growth")) {
        int32_t comp;
        rc = component_arg(g, &a, &comp);
        if (!rc && (st = ward_graph_growth(g, comp, a.json, out, &err)))
            rc = cli_fail("graph", st, &err);
    } else
        rc = do_export(g, &a, out, 0);
    ward_graph_free(g);
    if ((a.output ? fclose(out) : fflush(out)) != 0 && !rc) {
        cli_error("graph", "cannot write %s", a.output ? a.output : "standard output");
        return WARD_EXIT_IO;
    }
    if (!rc && unresolved) {
        cli_error("graph", "%llu records are not yet resolved into subjects and were not "
                           "examined (run 'ward intel update')", (unsigned long long)unresolved);
        rc = WARD_EXIT_FINDINGS;
    }
    return rc;
}

const cli_command cli_cmd_graph = {
    .name = "graph",
    .run = run_graph,
    .summary = "Link analysis: who is connected to whom, with the evidence",
    .help = help,
    .opts = options,
    .help_tail = help_tail,
};
