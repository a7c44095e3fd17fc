/* ward-test: no-store (not run again on PostgreSQL) */
/* Link analysis on a synthetic network built through graph.h: planted
 * communities and a hub are recovered; identifiers the resolver refuses
 * (CGNAT, shared mailboxes, the frequency cap, IP events far apart) link
 * no one; compartments reduce another unit's subject to "held elsewhere";
 * exports escape spreadsheet formulas; answers are deterministic. */
#include "testutil.h"

#include <ward/graph.h>

#define GROUPS 4
#define PER 25
#define HUB (GROUPS * PER + 1)   /* subject number of the hub */

static int64_t rec_no;

static void subject(ward_graph *g, int64_t n, const char *holder)
{
    char id[16];
    snprintf(id, sizeof id, "S%06lld", (long long)n);
    assert_int_equal(ward_graph_add_subject(g, n, id, holder, NULL), WARD_OK);
}

static void link_full(ward_graph *g, int64_t s, const char *field, const char *value,
                      const char *time, const char *name, const char *refused)
{
    ward_intel_link l = {++rec_no, s, field, value, value, time, "op-test", refused, name, 0};
    assert_int_equal(ward_graph_add_link(g, &l, NULL), WARD_OK);
}

static void link(ward_graph *g, int64_t s, const char *field, const char *value)
{
    char name[32];
    snprintf(name, sizeof name, "person %lld", (long long)s);
    link_full(g, s, field, value, "2026-03-01T10:00:00Z", name, NULL);
}

/* Planted: GROUPS groups of PER subjects, pairs inside a group linked with
 * chance 0.3, 2 links between neighbouring groups; a hub linked to 4
 * members of every group; traps on subjects 1 and 2 and 3..7. */
static ward_graph *planted(void)
{
    ward_graph *g;
    assert_int_equal(ward_graph_new(NULL, &g, NULL), WARD_OK);
    rec_no = 0;
    for (int64_t s = 1; s <= GROUPS * PER; s++)
        subject(g, s, s <= 2 * PER ? "unit-a" : "unit-b");
    subject(g, HUB, "unit-a");
    uint64_t r = 42;
    char v[64];
    int k = 0;
    for (int grp = 0; grp < GROUPS; grp++)
        for (int i = 0; i < PER; i++)
            for (int j = i + 1; j < PER; j++) {
                r = r * 6364136223846793005ull + 1442695040888963407ull;
                if ((r >> 33) % 10 >= 3)
                    continue;
                snprintf(v, sizeof v, "+4477009%05d", k++);
                link(g, grp * PER + i + 1, "phone", v);
                link(g, grp * PER + j + 1, "phone", v);
            }
    for (int grp = 0; grp + 1 < GROUPS; grp++)
        for (int b = 0; b < 2; b++) {
            snprintf(v, sizeof v, "bridge%d-%d@example.invalid", grp, b);
            link(g, grp * PER + 3 + b, "email", v);
            link(g, (grp + 1) * PER + 5 + b, "email", v);
        }
    for (int grp = 0; grp < GROUPS; grp++)
        for (int m = 0; m < 4; m++) {
            snprintf(v, sizeof v, "chatapp:hub_%d_%d", grp, m);
            link(g, HUB, "screen_name", v);
            link(g, grp * PER + 10 + m, "screen_name", v);
        }
    /* traps: a CGNAT address without a port; a mailbox under 5 names; a
     * value over the frequency cap; one IP address ten days apart */
    link_full(g, 1, "ip", "100.64.1.1", "2026-03-01T10:00:00Z", "a",
              "CGNAT range without a port");
    link_full(g, 2 * PER + 1, "ip", "100.64.1.1", "2026-03-01T10:00:00Z", "b",
              "CGNAT range without a port");
    for (int64_t s = 1; s <= 5; s++)
        link(g, s * 17 % (GROUPS * PER) + 1, "email", "office@example.invalid");
    for (int i = 0; i < 60; i++)
        link_full(g, 3 * PER + 1, "email", "busy@example.invalid", "2026-03-01T10:00:00Z",
                  "same name", NULL);
    link(g, 3 * PER + 1, "email", "busy@example.invalid");   /* and one more subject */
    link(g, 2 * PER + 1, "email", "busy@example.invalid");
    link_full(g, 1, "ip", "192.0.2.7", "2026-03-01T10:00:00Z", "a", NULL);
    link_full(g, 3 * PER + 2, "ip", "192.0.2.7", "2026-03-11T10:00:00Z", "b", NULL);
    /* a spreadsheet formula in a value */
    link(g, 2, "screen_name", "=HYPERLINK(\"http://x.invalid\")");
    assert_int_equal(ward_graph_finish(g, NULL), WARD_OK);
    return g;
}

static uint32_t node(const ward_graph *g, ward_graph_kind k, const char *key)
{
    int64_t i = ward_graph_find(g, k, key);
    if (i < 0)
        fail_msg("no node %s", key);
    return (uint32_t)i;
}

static uint32_t subj(const ward_graph *g, int64_t n)
{
    char id[16];
    snprintf(id, sizeof id, "S%06lld", (long long)n);
    return node(g, WARD_GN_SUBJECT, id);
}

static int linked(const ward_graph *g, int64_t a, int64_t b)
{
    const uint32_t *o;
    size_t n = ward_graph_linked(g, subj(g, a), &o, NULL);
    for (size_t i = 0; i < n; i++)
        if (o[i] == subj(g, b))
            return 1;
    return 0;
}

static void test_communities_recovered(void **state)
{
    (void)state;
    ward_graph *g = planted();
    size_t nc;
    assert_int_equal(ward_graph_communities(g, 7, &nc, NULL), WARD_OK);
    int label[GROUPS];
    for (int grp = 0; grp < GROUPS; grp++) {
        int count[GROUPS * PER + 2] = {0}, best = 0;
        for (int i = 0; i < PER; i++) {
            int c = ward_graph_node_at(g, subj(g, grp * PER + i + 1))->community;
            if (++count[c] > count[best])
                best = c;
        }
        if (getenv("GRAPH_DEBUG"))
            for (int i = 0; i < PER; i++)
                fprintf(stderr, "%d ", ward_graph_node_at(g, subj(g, grp * PER + i + 1))->community);
        if (count[best] < PER * 9 / 10)
            fail_msg("group %d: only %d of %d in one community", grp, count[best], PER);
        label[grp] = best;
        for (int o = 0; o < grp; o++)
            assert_int_not_equal(label[o], best);
    }
    /* the same seed, the same answer */
    int32_t before[GROUPS * PER];
    for (int i = 0; i < GROUPS * PER; i++)
        before[i] = ward_graph_node_at(g, subj(g, i + 1))->community;
    assert_int_equal(ward_graph_communities(g, 7, &nc, NULL), WARD_OK);
    for (int i = 0; i < GROUPS * PER; i++)
        assert_int_equal(before[i], ward_graph_node_at(g, subj(g, i + 1))->community);
    ward_graph_free(g);
}

static void test_hub_is_key_player(void **state)
{
    (void)state;
    ward_graph *g = planted();
    int32_t c = ward_graph_node_at(g, subj(g, HUB))->component;
    assert_int_equal(c, 0);
    ward_graph_player *p;
    size_t n, sampled;
    assert_int_equal(ward_graph_key_players(g, c, 5, &p, &n, &sampled, NULL), WARD_OK);
    assert_int_equal(n, 5);
    assert_int_equal(sampled, 0);
    assert_int_equal(p[0].node, subj(g, HUB));
    assert_int_equal(p[0].degree, GROUPS * 4);
    assert_true(p[0].betweenness > p[1].betweenness);
    free(p);
    ward_graph_free(g);
}

static void test_refused_identifiers_link_no_one(void **state)
{
    (void)state;
    ward_graph *g = planted();
    uint32_t cg = node(g, WARD_GN_IP, "100.64.1.1 (unusable)");
    assert_non_null(ward_graph_node_at(g, cg)->refused);
    assert_int_equal(ward_graph_node_at(g, cg)->degree, 2);
    assert_false(linked(g, 1, 2 * PER + 1));
    uint32_t office = node(g, WARD_GN_EMAIL, "office@example.invalid");
    assert_non_null(strstr(ward_graph_node_at(g, office)->refused, "5 different names"));
    assert_false(linked(g, 18, 35));
    uint32_t busy = node(g, WARD_GN_EMAIL, "busy@example.invalid");
    assert_non_null(strstr(ward_graph_node_at(g, busy)->refused, "frequency cap"));
    assert_false(linked(g, 3 * PER + 1, 2 * PER + 1));
    /* one address ten days apart: maybe reassigned, says nothing */
    assert_null(ward_graph_node_at(g, node(g, WARD_GN_IP, "192.0.2.7"))->refused);
    assert_false(linked(g, 1, 3 * PER + 2));
    /* and the path never runs through a refused value */
    uint32_t sh[4];
    assert_int_equal(ward_graph_shared(g, subj(g, 1), subj(g, 2 * PER + 1), sh, 4), 0);
    ward_graph_free(g);
}

static void test_path_with_evidence(void **state)
{
    (void)state;
    ward_graph *g = planted();
    uint32_t *p;
    size_t n;
    assert_int_equal(ward_graph_path(g, subj(g, 1), subj(g, 3 * PER + 20), &p, &n, NULL),
                     WARD_OK);
    assert_true(n >= 2);
    assert_int_equal(p[0], subj(g, 1));
    assert_int_equal(p[n - 1], subj(g, 3 * PER + 20));
    for (size_t i = 0; i + 1 < n; i++) {
        uint32_t sh[4];
        assert_true(ward_graph_shared(g, p[i], p[i + 1], sh, 4) > 0);
    }
    free(p);
    /* neighbours: depth 1 are exactly the linked subjects */
    uint32_t *nodes, *via;
    int *dist;
    assert_int_equal(ward_graph_neighbours(g, subj(g, HUB), 1, 0, &nodes, &dist, &via, &n,
                                           NULL), WARD_OK);
    assert_int_equal(n, 1 + GROUPS * 4);
    assert_int_equal(nodes[0], subj(g, HUB));
    assert_int_equal(dist[n - 1], 1);
    free(nodes), free(dist), free(via);
    ward_graph_free(g);
    /* misuse is refused, not a wrong answer: subjects first, ascending */
    assert_int_equal(ward_graph_new(NULL, &g, NULL), WARD_OK);
    subject(g, 2, "unit-a");
    assert_int_equal(ward_graph_add_subject(g, 1, "S000001", "unit-a", NULL), WARD_EINVAL);
    ward_graph_free(g);
}

static int unit_a(void *ctx, const char *holder)
{
    (void)ctx;
    return !strcmp(holder, "unit-a");
}

static char *render(const ward_graph *g, const ward_graph_view *v, ward_graph_format f)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(ward_graph_write(g, v, f, out, NULL), WARD_OK);
    fclose(out);
    return buf;
}

static void test_compartments_and_exports(void **state)
{
    (void)state;
    ward_graph *g = planted();
    ward_graph_view v;
    /* subjects 28, 29 (unit-a) are bridged to 55, 56 (unit-b) */
    assert_int_equal(ward_graph_ego(g, subj(g, 28), 1, 0, &v, NULL), WARD_OK);
    ward_graph_view_restrict(g, &v, unit_a, NULL);
    int elsewhere = 0;
    for (size_t i = 0; i < v.n; i++) {
        const ward_graph_node *n = ward_graph_node_at(g, v.nodes[i]);
        if (n->kind == WARD_GN_SUBJECT && strcmp(n->holder, "unit-a"))
            assert_int_equal(v.mode[i], WARD_GV_ELSEWHERE), elsewhere++;
    }
    assert_true(elsewhere > 0);
    char *json = render(g, &v, WARD_GF_JSON);
    assert_non_null(strstr(json, "\"held_elsewhere\":true,\"contact\":\"unit-b\""));
    /* a unit-b subject's own identifiers (its group's phones) are not shown */
    for (char *line = strtok(json, "\n"); line; line = strtok(NULL, "\n"))
        if (strstr(line, "\"type\":\"link\"") && (strstr(line, "\"subject\":\"S000055") || strstr(line, "\"subject\":\"S000056"))) {
            assert_null(strstr(line, "\"record\""));
            assert_null(strstr(line, "+4477009"));
        }
    free(json);
    char *svg = render(g, &v, WARD_GF_SVG), *again = render(g, &v, WARD_GF_SVG);
    assert_string_equal(svg, again);   /* deterministic layout */
    assert_non_null(strstr(svg, "held elsewhere, contact unit-b"));
    assert_null(strstr(svg, "<script"));
    free(svg), free(again);
    ward_graph_view_free(&v);

    assert_int_equal(ward_graph_ego(g, subj(g, 2), 1, 0, &v, NULL), WARD_OK);
    char *csv = render(g, &v, WARD_GF_I2CSV);
    assert_non_null(strstr(csv, "\"'=HYPERLINK(\"\"http://x.invalid\"\")\""));
    free(csv);
    char *js = render(g, &v, WARD_GF_JSON);   /* through ward's one JSON escaper */
    assert_non_null(strstr(js, "\"key\":\"=HYPERLINK(\\\"http://x.invalid\\\")\""));
    free(js);
    char *xml = render(g, &v, WARD_GF_GRAPHML);
    assert_non_null(strstr(xml, "=HYPERLINK(&quot;http://x.invalid&quot;)"));
    free(xml);
    char *gexf = render(g, &v, WARD_GF_GEXF);
    assert_non_null(strstr(gexf, "<gexf xmlns=\"http://gexf.net/1.3\""));
    free(gexf);
    ward_graph_view_free(&v);
    ward_graph_free(g);
}

static void card(ward_graph *g, int64_t s, const char *masked, const char *hash,
                 const char *name)
{
    ward_intel_link l = {++rec_no, s, "card", hash, masked, "2026-03-01T10:00:00Z", "op-test",
                         NULL, name, 0};
    assert_int_equal(ward_graph_add_link(g, &l, NULL), WARD_OK);
}

static ward_exhibit exhibit(const char *ref, const char *subject, const char *force)
{
    ward_exhibit ex = {0};
    snprintf(ex.ref, sizeof ex.ref, "%s", ref);
    snprintf(ex.subject, sizeof ex.subject, "%s", subject);
    snprintf(ex.force, sizeof ex.force, "%s", force);
    snprintf(ex.kind, sizeof ex.kind, "phone");
    snprintf(ex.description, sizeof ex.description, "test handset %s", ref);
    snprintf(ex.seized_raw, sizeof ex.seized_raw, "2026-03-02T09:00:00+00:00");
    return ex;
}

#define HASH_A "hmac-sha256:aaaaaaaaaaaa0000000000000000000000000000000000000000000000000001"
#define HASH_B "hmac-sha256:bbbbbbbbbbbb0000000000000000000000000000000000000000000000000002"
#define HASH_C "hmac-sha256:cccccccccccc0000000000000000000000000000000000000000000000000003"
#define SCAN_X "{\"classes\":{\"known\":2,\"near\":0},\"categories\":[{\"class\":\"known\"," \
               "\"list\":\"national\",\"category\":\"1\",\"series\":\"Series-X\",\"files\":2}]}"

/* Cards (masked; one under many names links no one), chat rooms (many
 * names are what a room is; only the cap applies), exhibits and scans
 * (one subject each; a series a scan found links like a referral's). */
static void test_cards_rooms_exhibits(void **state)
{
    (void)state;
    ward_graph *g;
    assert_int_equal(ward_graph_new(NULL, &g, NULL), WARD_OK);
    rec_no = 0;
    for (int64_t s = 1; s <= 8; s++)
        subject(g, s, s <= 6 ? "unit-a" : "unit-b");
    card(g, 1, "453914******6467", HASH_A, "ann");
    card(g, 2, "453914******6467", HASH_A, "bea");
    card(g, 2, "453914******6467", HASH_C, "bea");   /* same digits shown, another card */
    for (int64_t s = 3; s <= 6; s++)
        card(g, s, "555555******4444", HASH_B, s == 3 ? "cy" : s == 4 ? "di" : s == 5 ? "ed" : "fo");
    link(g, 1, "chat_room", "kik:#lounge");
    link(g, 3, "chat_room", "kik:#lounge");
    for (int64_t s = 4; s <= 8; s++)   /* five names in one room: a room, not a trap */
        link(g, s, "chat_room", "tg:group 12");
    ward_exhibit e1 = exhibit("EX-1", "S000001", "unit-a"), e2 = exhibit("EX-2", "S000002", "unit-b"),
                 e8 = exhibit("EX-8", "S000008", "unit-b"), e0 = exhibit("EX-0", "", "unit-a");
    assert_int_equal(ward_graph_add_exhibit(g, &e1, NULL), WARD_OK);
    assert_int_equal(ward_graph_add_exhibit(g, &e2, NULL), WARD_OK);
    assert_int_equal(ward_graph_add_exhibit(g, &e8, NULL), WARD_OK);
    assert_int_equal(ward_graph_add_exhibit(g, &e0, NULL), WARD_OK);   /* no subject: none */
    assert_int_equal(ward_graph_add_scan(g, &e1, "2026-03-03T10:00:00Z", "exa", SCAN_X, NULL),
                     WARD_OK);
    assert_int_equal(ward_graph_add_scan(g, &e8, "2026-03-04T10:00:00Z", "exb", SCAN_X, NULL),
                     WARD_OK);
    ward_error err = {0};
    assert_int_equal(ward_graph_add_scan(g, &e1, "2026-03-05T10:00:00Z", "exa", "not json", &err),
                     WARD_EFORMAT);
    assert_non_null(strstr(err.message, "EX-1"));
    assert_int_equal(ward_graph_finish(g, NULL), WARD_OK);

    uint32_t a = node(g, WARD_GN_CARD, "453914******6467 #aaaaaaaaaaaa");
    assert_null(ward_graph_node_at(g, a)->refused);
    assert_true(linked(g, 1, 2));
    node(g, WARD_GN_CARD, "453914******6467 #cccccccccccc");   /* apart from card A */
    uint32_t b = node(g, WARD_GN_CARD, "555555******4444 #bbbbbbbbbbbb");
    assert_non_null(strstr(ward_graph_node_at(g, b)->refused, "possibly stolen or shared"));
    assert_false(linked(g, 3, 4));
    assert_true(linked(g, 1, 3));   /* the room */
    assert_null(ward_graph_node_at(g, node(g, WARD_GN_CHAT, "tg:group 12"))->refused);
    assert_true(linked(g, 4, 5));
    uint32_t x = node(g, WARD_GN_EXHIBIT, "EX-1");
    assert_int_equal(ward_graph_node_at(g, x)->degree, 1);
    assert_null(ward_graph_node_at(g, x)->refused);
    assert_int_equal(ward_graph_find(g, WARD_GN_EXHIBIT, "EX-0"), -1);
    node(g, WARD_GN_SCAN, "EX-1 scan 2026-03-03T10:00:00Z");
    assert_true(linked(g, 1, 8));   /* the same series on both seized phones */
    /* each scan's finding counts towards the frequency cap (was: one) */
    assert_int_equal(ward_graph_node_at(g, node(g, WARD_GN_SERIES, "Series-X"))->records, 2);

    /* unit-a's view of subject 1: subject 8 held elsewhere, unit-b's
     * exhibits (EX-8, and EX-2 though on a unit-a subject) not shown, and
     * no card number beyond its first 6 and last 4 digits */
    ward_graph_view v;
    assert_int_equal(ward_graph_ego(g, subj(g, 1), 1, 0, &v, NULL), WARD_OK);
    ward_graph_view_restrict(g, &v, unit_a, NULL);
    char *json = render(g, &v, WARD_GF_JSON);
    assert_non_null(strstr(json, "\"kind\":\"card\",\"key\":\"453914******6467 #aaaaaaaaaaaa\""));
    assert_non_null(strstr(json, "\"key\":\"EX-1\",\"records\":1,\"subjects\":1,\"force\":\"unit-a\""));
    assert_non_null(strstr(json, "\"key\":\"S000008\",\"held_elsewhere\":true"));
    assert_null(strstr(json, "EX-8"));
    assert_null(strstr(json, "EX-2"));
    assert_null(strstr(json, "4539148803436467"));
    free(json);
    ward_graph_view_free(&v);
    ward_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_communities_recovered),
        cmocka_unit_test(test_hub_is_key_player),
        cmocka_unit_test(test_refused_identifiers_link_no_one),
        cmocka_unit_test(test_path_with_evidence),
        cmocka_unit_test(test_compartments_and_exports),
        cmocka_unit_test(test_cards_rooms_exhibits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
