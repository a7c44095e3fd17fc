/*
 * XML referrals: the JSON report's fields as elements (libxml2 reads them).
 *   <reports><report id="..."><reporter name=".." country=".."/>
 *     <incident type=".." time=".." zone=".."><typology>grooming</typology>
 *       <urgent>meeting_planned</urgent></incident>
 *     <international>false</international>
 *     <person><name/><dob/><email/>...<screen_name/><phone/><address/>
 *       <postcode/><occupation/><card/><area/> (or <force/>)...</person>
 *     <ip_event address=".." port=".." time=".." zone=".." event=".."/>
 *     <chat_room>service:room</chat_room>
 *     <file name=".." md5=".." sha1=".." sha256=".." viewed=".."/>
 *     <factor factor=".." value=".." source=".." date=".." status=".."/>
 *   </report></reports>
 * Records are named by their XPath-like location "/reports/report[3]".
 */
#include "intel/intel_int.h"
#include "util/error.h"

#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>

/* Every string handed to the referral lives in this pool until the
 * referral is stored. */
typedef struct pool {
    xmlChar *s[256];
    int n;
} pool;

static const char *keep(pool *p, xmlChar *s)
{
    if (!s)
        return NULL;
    if (p->n >= 256) {
        xmlFree(s);
        return NULL;
    }
    p->s[p->n++] = s;
    return (const char *)s;
}

static void pool_free(pool *p)
{
    for (int i = 0; i < p->n; i++)
        xmlFree(p->s[i]);
    p->n = 0;
}

static int is(xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static const char *attr(pool *p, xmlNode *n, const char *name)
{
    return keep(p, xmlGetProp(n, (const xmlChar *)name));
}

static const char *content(pool *p, xmlNode *n) { return keep(p, xmlNodeGetContent(n)); }

static void person(pool *p, xmlNode *pn, wi_referral *r)
{
    for (xmlNode *c = pn->children; c; c = c->next) {
        if (is(c, "name"))
            r->name = content(p, c);
        else if (is(c, "dob"))
            r->dob = content(p, c);
        else if (is(c, "address"))
            r->address = content(p, c);
        else if (is(c, "postcode"))
            r->postcode = content(p, c);
        else if (is(c, "occupation"))
            r->occupation = content(p, c);
        else if (is(c, "area") || is(c, "force"))
            r->area = content(p, c);
        else if (is(c, "email") && r->n_emails < WI_MAX_MULTI)
            r->emails[r->n_emails++] = content(p, c);
        else if (is(c, "phone") && r->n_phones < WI_MAX_MULTI)
            r->phones[r->n_phones++] = content(p, c);
        else if (is(c, "screen_name") && r->n_screens < WI_MAX_MULTI)
            r->screens[r->n_screens++] = content(p, c);
        else if (is(c, "card") && r->n_cards < WI_MAX_MULTI)
            r->cards[r->n_cards++] = content(p, c);
    }
}

static void incident(pool *p, xmlNode *in, wi_referral *r)
{
    r->incident_type = attr(p, in, "type");
    r->incident_time = attr(p, in, "time");
    r->incident_zone = attr(p, in, "zone");
    for (xmlNode *c = in->children; c; c = c->next)
        if ((is(c, "typology") || is(c, "urgent")) && r->n_typology < WI_MAX_MULTI)
            r->typology[r->n_typology++] = content(p, c);
}

static void report(pool *p, xmlNode *rn, wi_referral *r)
{
    r->ref = attr(p, rn, "id");
    for (xmlNode *c = rn->children; c; c = c->next) {
        if (is(c, "reporter")) {
            r->reporter = attr(p, c, "name");
            r->reporter_country = attr(p, c, "country");
        } else if (is(c, "incident"))
            incident(p, c, r);
        else if (is(c, "international"))
            r->international = content(p, c);
        else if (is(c, "person"))
            person(p, c, r);
        else if (is(c, "ip_event") && r->n_ips < WI_MAX_MULTI)
            r->ips[r->n_ips++] = (wi_ip_event){attr(p, c, "address"), attr(p, c, "port"),
                                               attr(p, c, "time"), attr(p, c, "zone"),
                                               attr(p, c, "event")};
        else if (is(c, "file") && r->n_files < WI_MAX_MULTI)
            r->files[r->n_files++] = (wi_file_ref){attr(p, c, "name"), attr(p, c, "md5"),
                                                   attr(p, c, "sha1"), attr(p, c, "sha256"),
                                                   attr(p, c, "viewed")};
        else if (is(c, "chat_room") && r->n_chats < WI_MAX_MULTI)
            r->chats[r->n_chats++] = content(p, c);
        else if (is(c, "factor") && r->n_factors < WI_MAX_MULTI)
            r->factors[r->n_factors++] = (wi_factor_in){
                attr(p, c, "factor"), attr(p, c, "value"), attr(p, c, "source"),
                attr(p, c, "date"), attr(p, c, "status")};
    }
}

/* Entities are refused rather than expanded: xmlNodeGetContent expands a
 * reference each time it is read, so a few KB of references to one large
 * entity come to gigabytes (160 KB of XML took 2 GB and 9 s). Referral data
 * has no use for them; the predefined ones (&amp; ...) are not declared. */
static int declares_entities(xmlDoc *doc)
{
    xmlDtd *d = doc->intSubset;
    return d && ((d->entities && xmlHashSize((xmlHashTablePtr)d->entities) > 0) ||
                 (d->pentities && xmlHashSize((xmlHashTablePtr)d->pentities) > 0));
}

ward_status wi_read_xml(wi_intake *ik, const char *path, ward_error *err)
{
    /* No network, no external entities: a referral file is data only. */
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                              XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        return err_fail(err, WARD_EFORMAT, "%s:%d: not well-formed XML", path,
                         e ? e->line : 0);
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    ward_status rc = WARD_OK;
    if (declares_entities(doc))
        rc = err_fail(err, WARD_EFORMAT, "%s: declares XML entities (<!ENTITY>), which a "
                       "referral file may not: each reference would be expanded again "
                       "wherever it is read", path);
    else if (!root || !is(root, "reports"))
        rc = err_fail(err, WARD_EFORMAT, "%s: root element must be <reports>", path);
    size_t i = 0;
    for (xmlNode *c = root ? root->children : NULL; c && !rc; c = c->next) {
        if (!is(c, "report"))
            continue;
        pool p = {0};
        wi_referral r = {0};
        snprintf(r.where, sizeof r.where, "%s:%ld: /reports/report[%zu]", path,
                 (long)xmlGetLineNo(c), ++i);
        report(&p, c, &r);
        for (size_t k = 0; k < r.n_factors && !rc; k++)
            if (!r.factors[k].factor)
                r.n_factors = 0, wi_intake_bad(ik, r.where, "a <factor> without factor=");
        if (!r.name && !r.n_emails && !r.n_phones && !r.n_screens && !r.n_ips && !r.n_cards)
            wi_intake_bad(ik, r.where,
                          "no identifying value (name, email, phone, screen name, IP, card)");
        else
            rc = wi_intake_referral(ik, &r, err);
        pool_free(&p);
    }
    xmlFreeDoc(doc);
    return rc;
}
