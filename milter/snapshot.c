/* snapshot - see snapshot.h. */
#include "snapshot.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "files.h"
#include "loader.h"
#include "preflight.h"

struct snapshot_owned {
    struct snapshot pub; /* first: callers see only this */
    struct config *cfg;
    struct rules *rules;
    struct encrypt_policy *encryption;
    unsigned refs; /* guarded by snapshot_lock */
};

static pthread_mutex_t snapshot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot_owned *snapshot_current;
static char *snapshot_config_path;
static struct loader *snapshot_loader; /* reads as root on reload; NULL: read directly */

static void snapshot_destroy(struct snapshot_owned *s)
{
    encrypt_policy_free(s->encryption);
    rules_free(s->rules);
    config_free(s->cfg);
    free(s);
}

/* Loads config and rules through FS (from disk, or what the loader read). */
static struct snapshot_owned *snapshot_load(struct files *fs, char *err, size_t errlen)
{
    struct snapshot_owned *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = config_load_from(fs, snapshot_config_path, err, errlen);
    /* Read from disk as root (at start, or in the loader): nothing that
     * run_user could have changed, the config file included. */
    if (s->cfg != NULL && !files_sealed(fs)) {
        if (preflight_guard(s->cfg, snapshot_config_path, err, errlen) != 0) {
            snapshot_destroy(s);
            return NULL;
        }
        files_set_guard(fs, preflight_guard, s->cfg);
    }
    if (s->cfg != NULL)
        s->rules = rules_load_from(fs, s->cfg->rules_dir, err, errlen);
    if (s->rules != NULL)
        s->encryption = encrypt_policy_new(s->cfg, fs, err, errlen);
    if (s->cfg == NULL || s->rules == NULL || s->encryption == NULL) {
        snapshot_destroy(s);
        return NULL;
    }
    s->pub.cfg = s->cfg;
    s->pub.rules = s->rules;
    s->pub.encryption = s->encryption;
    s->refs = 1; /* the reference held as "current" */
    return s;
}

/* The loader's job, as root: read (and check) everything a snapshot needs. */
static int snapshot_read(struct files *fs, void *ctx, char *err, size_t errlen)
{
    (void)ctx;
    struct snapshot_owned *s = snapshot_load(fs, err, errlen);
    if (s == NULL)
        return -1;
    snapshot_destroy(s);
    return 0;
}

int snapshot_init(const char *config_path, char *err, size_t errlen)
{
    snapshot_config_path = strdup(config_path);
    if (snapshot_config_path == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -1;
    }
    struct files *fs = files_new();
    snapshot_current = fs ? snapshot_load(fs, err, errlen) : NULL;
    if (fs == NULL)
        errbuf_set(err, errlen, "out of memory");
    files_free(fs);
    return snapshot_current ? 0 : -1;
}

int snapshot_start_loader(char *err, size_t errlen)
{
    snapshot_loader = loader_start(snapshot_read, NULL, err, errlen);
    return snapshot_loader ? 0 : -1;
}

const struct snapshot *snapshot_acquire(void)
{
    pthread_mutex_lock(&snapshot_lock);
    struct snapshot_owned *s = snapshot_current;
    s->refs++;
    pthread_mutex_unlock(&snapshot_lock);
    return &s->pub;
}

void snapshot_release(const struct snapshot *pub)
{
    struct snapshot_owned *s = (struct snapshot_owned *)pub;
    bool last;

    if (s == NULL)
        return;
    pthread_mutex_lock(&snapshot_lock);
    last = --s->refs == 0;
    pthread_mutex_unlock(&snapshot_lock);
    if (last)
        snapshot_destroy(s);
}

int snapshot_reload(char *info, size_t infolen, char *err, size_t errlen)
{
    /* Loading happens outside the lock: mail keeps flowing meanwhile. */
    struct files *fs =
        snapshot_loader ? loader_load(snapshot_loader, err, errlen) : files_new();
    struct snapshot_owned *fresh = fs ? snapshot_load(fs, err, errlen) : NULL;
    files_free(fs);
    if (fresh == NULL)
        return -1;
    pthread_mutex_lock(&snapshot_lock);
    struct snapshot_owned *old = snapshot_current;
    snapshot_current = fresh;
    pthread_mutex_unlock(&snapshot_lock);
    errbuf_set(info, infolen, "%zu rules from %s", rules_count(fresh->rules),
               fresh->cfg->rules_dir);
    snapshot_release(&old->pub);
    return 0;
}

void snapshot_shutdown(void)
{
    pthread_mutex_lock(&snapshot_lock);
    struct snapshot_owned *s = snapshot_current;
    snapshot_current = NULL;
    pthread_mutex_unlock(&snapshot_lock);
    if (s != NULL)
        snapshot_release(&s->pub);
    loader_stop(snapshot_loader);
    snapshot_loader = NULL;
    free(snapshot_config_path);
    snapshot_config_path = NULL;
}
