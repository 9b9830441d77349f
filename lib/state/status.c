/* status - see status.h. */
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "record.h"

int status_rules_put(struct store *st, const struct rules_status *s, char *err,
                     size_t errlen)
{
    char time_text[32], loaded[32], rules[32];
    snprintf(time_text, sizeof(time_text), "%lld", (long long)s->time);
    snprintf(loaded, sizeof(loaded), "%lld", (long long)s->loaded);
    snprintf(rules, sizeof(rules), "%lu", s->rules);
    struct record *r = record_new();
    int ok = r != NULL && record_add(r, "time", time_text) == 0 &&
             record_add(r, "result", s->ok ? "ok" : "failed") == 0 &&
             record_add(r, "rules", rules) == 0 && record_add(r, "loaded", loaded) == 0 &&
             record_add(r, "dir", s->dir) == 0 && record_add(r, "error", s->error) == 0;
    for (size_t i = 0; ok && i < s->nnames; i++)
        ok = record_add(r, "rule", s->names[i]) == 0;
    struct store_txn *t = store_begin(st, err, errlen);
    if (t == NULL) {
        record_free(r);
        return -1;
    }
    if (record_write(t, STORE_STATUS, "rules", r, ok, err, errlen) != 0) {
        store_abort(t);
        return -1;
    }
    return store_commit(t, err, errlen);
}

int status_rules_get(struct store *st, struct rules_status *s, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    memset(s, 0, sizeof(*s));
    int rc = store_get(st, STORE_STATUS, "rules", &data, &len, err, errlen);
    if (rc <= 0)
        return rc;
    if (record_version(data, len) != RECORD_VERSION) {
        free(data);
        errbuf_set(err, errlen, "status of the rules: a record this version cannot read");
        return -1;
    }
    char *result = record_get(data, len, "result", 0),
         *dir = record_get(data, len, "dir", 0),
         *error = record_get(data, len, "error", 0);
    s->time = (time_t)record_get_number(data, len, "time");
    s->loaded = (time_t)record_get_number(data, len, "loaded");
    s->rules = (unsigned long)record_get_number(data, len, "rules");
    s->ok = result != NULL && strcmp(result, "ok") == 0;
    snprintf(s->dir, sizeof(s->dir), "%s", dir ? dir : "");
    snprintf(s->error, sizeof(s->error), "%s", error ? error : "");
    size_t n = 0;
    char **names = record_get_all(data, len, "rule", &n);
    s->names = (const char *const *)names;
    s->nnames = names ? n : 0;
    free(result);
    free(dir);
    free(error);
    free(data);
    return 1;
}

void status_rules_clear(struct rules_status *s)
{
    record_free_all((char **)s->names, s->nnames);
    s->names = NULL;
    s->nnames = 0;
}

int status_bypass_put(struct store *st, struct store_txn *t,
                      const struct bypass_status *s, char *err, size_t errlen)
{
    char changed[32], since[32];
    snprintf(changed, sizeof(changed), "%lld", (long long)s->changed);
    snprintf(since, sizeof(since), "%lld", (long long)s->unhealthy_since);
    struct record *r = record_new();
    int ok = r != NULL && record_add(r, "state", s->on ? "on" : "off") == 0 &&
             record_add(r, "changed", changed) == 0 &&
             record_add(r, "unhealthy_since", since) == 0 &&
             record_add(r, "why", s->why) == 0;
    struct store_txn *own = t == NULL ? store_begin(st, err, errlen) : NULL;
    if (t == NULL && own == NULL) {
        record_free(r);
        return -1;
    }
    if (record_write(t ? t : own, STORE_STATUS, "bypass", r, ok, err, errlen) != 0) {
        if (own != NULL)
            store_abort(own);
        return -1;
    }
    return own != NULL ? store_commit(own, err, errlen) : 0;
}

int status_bypass_get(struct store *st, struct bypass_status *s, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    memset(s, 0, sizeof(*s));
    int rc = store_get(st, STORE_STATUS, "bypass", &data, &len, err, errlen);
    if (rc <= 0)
        return rc;
    if (record_version(data, len) != RECORD_VERSION) {
        free(data);
        errbuf_set(err, errlen,
                   "status of the bypass: a record this version cannot read");
        return -1;
    }
    char *state = record_get(data, len, "state", 0),
         *why = record_get(data, len, "why", 0);
    s->on = state != NULL && strcmp(state, "on") == 0;
    s->changed = (time_t)record_get_number(data, len, "changed");
    s->unhealthy_since = (time_t)record_get_number(data, len, "unhealthy_since");
    snprintf(s->why, sizeof(s->why), "%s", why ? why : "");
    free(state);
    free(why);
    free(data);
    return 1;
}
