/*
 * session - who is signed in, the CSRF tokens of their forms, and the
 * throttle of failed logins.
 *
 * Sessions live in this process only (a restart signs everyone out): an
 * id of 32 random bytes (base64url) in an HttpOnly, SameSite=Strict
 * cookie, Secure behind https; found by comparing ids in constant time;
 * ended after web_session_minutes idle, and 12 hours after sign-in
 * however active.  An admin's role is looked up in
 * admins_file's current list on every request, so a changed role counts
 * at once and a removed admin is signed out.
 *
 * CSRF: a form's token is HMAC-SHA256(form_key, binding), where the
 * binding is the session ("s:ID"), the link the page came from ("l:TOKEN")
 * or, before sign-in, a random cookie of its own ("f:VALUE"): another
 * site can neither read nor make one.
 */
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "web.h"

#define SESSIONS_MAX 4096

struct session {
    bool used;
    enum session_kind kind;
    char id[64];
    char name[256];
    char csrf[64];
    time_t created, last;
};

/* However active, a session ends this long after its sign-in. */
#define SESSION_MAX_AGE (12 * 3600)

struct sessions {
    pthread_mutex_t lock;
    unsigned idle; /* seconds */
    struct session list[SESSIONS_MAX];
};

static int random_id(char *out)
{
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    token_base64url(raw, sizeof(raw), out);
    return 0;
}

struct sessions *sessions_new(unsigned idle_minutes)
{
    struct sessions *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->idle = idle_minutes * 60;
    return s;
}

void sessions_free(struct sessions *s)
{
    if (s == NULL)
        return;
    OPENSSL_cleanse(s->list, sizeof(s->list));
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void csrf_token(const struct web *w, const char *binding, char *out, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char text[64];
    HMAC(EVP_sha256(), w->form_key, sizeof(w->form_key), (const unsigned char *)binding,
         strlen(binding), mac, &maclen);
    token_base64url(mac, maclen, text);
    snprintf(out, len, "%s", text);
}

int session_start(struct web *w, enum session_kind kind, const char *name,
                  const char *from, char *id)
{
    struct sessions *s = w->sessions;
    time_t now = time(NULL);
    char fresh[64], binding[80];
    if (random_id(fresh) != 0)
        return -1;
    pthread_mutex_lock(&s->lock);
    struct session *slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < SESSIONS_MAX; i++) {
        struct session *e = &s->list[i];
        if (e->used &&
            (now - e->last > (time_t)s->idle || now - e->created > SESSION_MAX_AGE))
            e->used = false; /* idle too long, or too old: ended */
        if (!e->used && slot == NULL)
            slot = e;
        /* Full: a user's session goes before an admin's, the least recently used. */
        if (e->used && (oldest == NULL ||
                        (e->kind == SESSION_USER && oldest->kind != SESSION_USER) ||
                        (e->kind == oldest->kind && e->last < oldest->last)))
            oldest = e;
    }
    if (slot == NULL) {
        log_warning("%d sessions in use: the least recently used one ends", SESSIONS_MAX);
        slot = oldest;
    }
    memset(slot, 0, sizeof(*slot));
    slot->used = true;
    slot->kind = kind;
    slot->created = now;
    slot->last = now;
    snprintf(slot->id, sizeof(slot->id), "%s", fresh);
    snprintf(slot->name, sizeof(slot->name), "%s", name);
    snprintf(binding, sizeof(binding), "s:%s", fresh);
    csrf_token(w, binding, slot->csrf, sizeof(slot->csrf));
    pthread_mutex_unlock(&s->lock);
    snprintf(id, 64, "%s", fresh);
    (void)from;
    return 0;
}

void session_lookup(struct request *r)
{
    struct sessions *s = r->w->sessions;
    const char *cookie =
        MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "sw_session");
    memset(&r->session, 0, sizeof(r->session));
    if (cookie == NULL || strlen(cookie) != 43)
        return;
    time_t now = time(NULL);
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < SESSIONS_MAX; i++) {
        struct session *e = &s->list[i];
        /* Every live slot is compared, in constant time: no early exit. */
        if (e->used && CRYPTO_memcmp(e->id, cookie, 43) == 0 && !found) {
            if (now - e->last > (time_t)s->idle || now - e->created > SESSION_MAX_AGE) {
                e->used = false;
                continue;
            }
            e->last = now;
            r->session.kind = e->kind;
            memcpy(r->session.id, e->id, sizeof(r->session.id));
            memcpy(r->session.name, e->name, sizeof(r->session.name));
            memcpy(r->session.csrf, e->csrf, sizeof(r->session.csrf));
            found = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (r->session.kind == SESSION_ADMIN) {
        /* The role as admins_file says now; gone from it: signed out. */
        pthread_rwlock_rdlock(&r->w->admins_lock);
        const struct admin *a = admins_find(&r->w->admins, r->session.name);
        if (a != NULL)
            r->session.role = a->role;
        pthread_rwlock_unlock(&r->w->admins_lock);
        if (a == NULL) {
            session_end(r->w, r->session.id);
            memset(&r->session, 0, sizeof(r->session));
        }
    }
}

void session_end(struct web *w, const char *id)
{
    struct sessions *s = w->sessions;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < SESSIONS_MAX; i++)
        if (s->list[i].used && strcmp(s->list[i].id, id) == 0)
            memset(&s->list[i], 0, sizeof(s->list[i]));
    pthread_mutex_unlock(&s->lock);
}

void sessions_end_admin(struct web *w, const char *name)
{
    struct sessions *s = w->sessions;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < SESSIONS_MAX; i++)
        if (s->list[i].used && s->list[i].kind == SESSION_ADMIN &&
            strcmp(s->list[i].name, name) == 0)
            memset(&s->list[i], 0, sizeof(s->list[i]));
    pthread_mutex_unlock(&s->lock);
}

void csrf_for_request(struct request *r, char *out, size_t len)
{
    if (r->session.kind != SESSION_NONE) {
        snprintf(out, len, "%s", r->session.csrf);
        return;
    }
    if (r->form_cookie[0] == '\0') {
        if (random_id(r->form_cookie) != 0) {
            snprintf(out, len, "-");
            return;
        }
        r->new_form_cookie = true;
    }
    char binding[80];
    snprintf(binding, sizeof(binding), "f:%s", r->form_cookie);
    csrf_token(r->w, binding, out, len);
}

bool csrf_valid(const struct request *r, const char *link)
{
    const char *got = request_field(r, "csrf");
    char want[64], binding[TOKEN_MAX + 4];
    if (got == NULL)
        return false;
    if (link != NULL) {
        snprintf(binding, sizeof(binding), "l:%s", link);
        csrf_token(r->w, binding, want, sizeof(want));
    } else if (r->session.kind != SESSION_NONE) {
        snprintf(want, sizeof(want), "%s", r->session.csrf);
    } else if (r->form_cookie[0] != '\0' && !r->new_form_cookie) {
        snprintf(binding, sizeof(binding), "f:%s", r->form_cookie);
        csrf_token(r->w, binding, want, sizeof(want));
    } else {
        return false;
    }
    return strlen(got) == strlen(want) && CRYPTO_memcmp(got, want, strlen(want)) == 0;
}

void csrf_for_link_in_browser(struct request *r, const char *link, char *out, size_t len)
{
    if (r->form_cookie[0] == '\0') {
        if (random_id(r->form_cookie) != 0) {
            snprintf(out, len, "-");
            return;
        }
        r->new_form_cookie = true;
    }
    char binding[TOKEN_MAX + 80];
    snprintf(binding, sizeof(binding), "b:%s|%s", link, r->form_cookie);
    csrf_token(r->w, binding, out, len);
}

bool csrf_valid_link_in_browser(const struct request *r, const char *link)
{
    const char *got = request_field(r, "csrf");
    char want[64], binding[TOKEN_MAX + 80];
    if (got == NULL || r->form_cookie[0] == '\0' || r->new_form_cookie)
        return false;
    snprintf(binding, sizeof(binding), "b:%s|%s", link, r->form_cookie);
    csrf_token(r->w, binding, want, sizeof(want));
    return strlen(got) == strlen(want) && CRYPTO_memcmp(got, want, strlen(want)) == 0;
}

/*
 * The throttle: per key, failures in the last 15 minutes; from the 5th on,
 * each try waits 2^(failures-5) seconds more (at most 15 minutes).  A
 * fixed table: when it is full, the oldest entry goes.
 */
#define THROTTLE_MAX    2048
#define THROTTLE_WINDOW (15 * 60)
#define THROTTLE_FREE   5

struct throttle_entry {
    char key[300];
    unsigned failures;
    time_t last;
};

struct throttle {
    pthread_mutex_t lock;
    struct throttle_entry list[THROTTLE_MAX];
};

struct throttle *throttle_new(void)
{
    struct throttle *t = calloc(1, sizeof(*t));
    if (t != NULL)
        pthread_mutex_init(&t->lock, NULL);
    return t;
}

void throttle_free(struct throttle *t)
{
    if (t == NULL)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* KEY's entry (made when MAKE), with the lock held. */
static struct throttle_entry *throttle_find(struct throttle *t, const char *key,
                                            time_t now, bool make)
{
    struct throttle_entry *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < THROTTLE_MAX; i++) {
        struct throttle_entry *e = &t->list[i];
        if (e->key[0] && now - e->last > THROTTLE_WINDOW)
            e->key[0] = '\0';
        if (e->key[0] && strcmp(e->key, key) == 0)
            return e;
        if (!e->key[0] && free_slot == NULL)
            free_slot = e;
        /* A full table drops the oldest entry that locks nobody out, so a
         * flood of new keys cannot wash out an account's backoff. */
        if (e->key[0] &&
            (oldest == NULL ||
             (e->failures < THROTTLE_FREE) > (oldest->failures < THROTTLE_FREE) ||
             ((e->failures < THROTTLE_FREE) == (oldest->failures < THROTTLE_FREE) &&
              e->last < oldest->last)))
            oldest = e;
    }
    if (!make)
        return NULL;
    struct throttle_entry *e = free_slot ? free_slot : oldest;
    memset(e, 0, sizeof(*e));
    snprintf(e->key, sizeof(e->key), "%s", key);
    return e;
}

bool throttle_allows(struct web *w, const char *key, long *wait)
{
    time_t now = time(NULL);
    *wait = 0;
    pthread_mutex_lock(&w->throttle->lock);
    struct throttle_entry *e = throttle_find(w->throttle, key, now, false);
    if (e != NULL && e->failures >= THROTTLE_FREE) {
        unsigned shift = e->failures - THROTTLE_FREE;
        long delay = shift >= 10 ? THROTTLE_WINDOW : 1L << shift;
        if (delay > THROTTLE_WINDOW)
            delay = THROTTLE_WINDOW;
        if (now - e->last < delay)
            *wait = delay - (long)(now - e->last);
    }
    pthread_mutex_unlock(&w->throttle->lock);
    return *wait == 0;
}

void throttle_failed(struct web *w, const char *key)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&w->throttle->lock);
    struct throttle_entry *e = throttle_find(w->throttle, key, now, true);
    e->failures++;
    e->last = now;
    pthread_mutex_unlock(&w->throttle->lock);
}

void throttle_clear(struct web *w, const char *key)
{
    pthread_mutex_lock(&w->throttle->lock);
    struct throttle_entry *e = throttle_find(w->throttle, key, time(NULL), false);
    if (e != NULL)
        e->key[0] = '\0';
    pthread_mutex_unlock(&w->throttle->lock);
}

bool throttle_take(struct web *w, const char *key, unsigned max)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&w->throttle->lock);
    struct throttle_entry *e = throttle_find(w->throttle, key, now, true);
    bool ok = e->failures < max;
    e->failures++;
    e->last = now;
    pthread_mutex_unlock(&w->throttle->lock);
    return ok;
}

void throttle_client_key(const struct request *r, const char *prefix, char *out,
                         size_t len)
{
    /* An IPv6 client can change its address within its /64 at will. */
    const char *from = r->from;
    if (strchr(from, ':') != NULL) {
        struct in6_addr a;
        char text[INET6_ADDRSTRLEN];
        if (inet_pton(AF_INET6, from, &a) == 1) {
            memset(a.s6_addr + 8, 0, 8);
            inet_ntop(AF_INET6, &a, text, sizeof(text));
            snprintf(out, len, "%s%s/64", prefix, text);
            return;
        }
    }
    snprintf(out, len, "%s%s", prefix, from);
}
