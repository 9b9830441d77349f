/* domains - see domains.h. */
#include "domains.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errbuf.h"
#include "parse.h"

#define DOMAIN_MAX 253

struct domain_entry {
    char domain[DOMAIN_MAX + 1]; /* lowercase, no trailing dot */
    enum domains_action action;
    size_t line; /* where it was written, for the error of a domain listed twice */
};

struct domains {
    struct domain_entry *entries; /* sorted by domain */
    size_t n;
};

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct domain_entry *)a)->domain,
                  ((const struct domain_entry *)b)->domain);
}

/* DOMAIN (LEN bytes) lowercased, without a trailing dot, into OUT; false when too long.
 */
static bool normalized(const char *domain, size_t len, char out[DOMAIN_MAX + 1])
{
    if (len > 0 && domain[len - 1] == '.')
        len--;
    if (len == 0 || len > DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        out[i] =
            (char)(domain[i] >= 'A' && domain[i] <= 'Z' ? domain[i] + 32 : domain[i]);
    out[len] = '\0';
    return true;
}

const char *domains_action_name(enum domains_action a)
{
    return a == DOMAINS_ENCRYPT ? "encrypt" : a == DOMAINS_NONE ? "none" : "unlisted";
}

struct domains *domains_parse(const char *text, size_t len, const char *name, char *err,
                              size_t errlen)
{
    struct domains *d = calloc(1, sizeof(*d));
    size_t cap = 0, lineno = 0;

    if (d == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t at = 0; at < len;) {
        const char *line = text + at, *nl = memchr(line, '\n', len - at);
        size_t n = nl ? (size_t)(nl - line) : len - at;
        at += n + (nl != NULL);
        lineno++;
        char buf[1024];
        if (n >= sizeof(buf)) {
            errbuf_set(err, errlen, "%s:%zu: a line longer than %zu bytes", name, lineno,
                       sizeof(buf) - 1);
            goto fail;
        }
        memcpy(buf, line, n);
        buf[n] = '\0';
        char *hash = strchr(buf, '#');
        if (hash != NULL)
            *hash = '\0';
        char *save, *domain = strtok_r(buf, " \t\r", &save);
        if (domain == NULL)
            continue; /* blank or a comment */
        char *action = strtok_r(NULL, " \t\r", &save),
             *extra = strtok_r(NULL, " \t\r", &save);
        char why[256];
        if (action == NULL || extra != NULL) {
            errbuf_set(err, errlen, "%s:%zu: want \"DOMAIN ACTION\" (encrypt or none)",
                       name, lineno);
            goto fail;
        }
        struct domain_entry e = {0};
        if (!normalized(domain, strlen(domain), e.domain) ||
            parse_domain(e.domain, 0, why, sizeof(why)) != 0) {
            errbuf_set(err, errlen, "%s:%zu: %s: not a domain", name, lineno, domain);
            goto fail;
        }
        if (strcmp(action, "encrypt") == 0) {
            e.action = DOMAINS_ENCRYPT;
        } else if (strcmp(action, "none") == 0) {
            e.action = DOMAINS_NONE;
        } else {
            errbuf_set(err, errlen, "%s:%zu: %s: no such action (encrypt or none)", name,
                       lineno, action);
            goto fail;
        }
        e.line = lineno;
        if (d->n == cap) {
            size_t grown = cap ? cap * 2 : 16;
            struct domain_entry *p = realloc(d->entries, grown * sizeof(*p));
            if (p == NULL) {
                errbuf_set(err, errlen, "out of memory");
                goto fail;
            }
            d->entries = p;
            cap = grown;
        }
        d->entries[d->n++] = e;
    }
    if (d->n > 0)
        qsort(d->entries, d->n, sizeof(*d->entries), entry_cmp);
    for (size_t i = 1; i < d->n; i++)
        if (strcmp(d->entries[i - 1].domain, d->entries[i].domain) == 0) {
            size_t a = d->entries[i - 1].line, b = d->entries[i].line;
            errbuf_set(err, errlen, "%s:%zu: %s is listed twice (also line %zu)", name,
                       a > b ? a : b, d->entries[i].domain, a > b ? b : a);
            goto fail;
        }
    return d;
fail:
    domains_free(d);
    return NULL;
}

struct domains *domains_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char *text = NULL;
    size_t len = 0;

    if (f == NULL) {
        errbuf_set(err, errlen, "%s: cannot open", path);
        return NULL;
    }
    FILE *m = open_memstream(&text, &len);
    char chunk[8192];
    size_t n;
    while (m != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, m);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (m == NULL || fclose(m) != 0 || bad) {
        free(text);
        errbuf_set(err, errlen, "%s: cannot read", path);
        return NULL;
    }
    struct domains *d = domains_parse(text, len, path, err, errlen);
    free(text);
    return d;
}

enum domains_action domains_lookup(const struct domains *d, const char *domain)
{
    struct domain_entry key;

    if (d == NULL || d->n == 0 || !normalized(domain, strlen(domain), key.domain))
        return DOMAINS_UNLISTED;
    /* The domain itself, then each parent: the first found is the most specific. */
    for (const char *at = key.domain; at != NULL;) {
        struct domain_entry probe;
        snprintf(probe.domain, sizeof(probe.domain), "%s", at);
        const struct domain_entry *hit =
            bsearch(&probe, d->entries, d->n, sizeof(*d->entries), entry_cmp);
        if (hit != NULL)
            return hit->action;
        at = strchr(at, '.');
        if (at != NULL)
            at++;
    }
    return DOMAINS_UNLISTED;
}

size_t domains_count(const struct domains *d)
{
    return d ? d->n : 0;
}

void domains_free(struct domains *d)
{
    if (d == NULL)
        return;
    free(d->entries);
    free(d);
}
