/*
 * sendwatch-web - what its parts share: the daemon's state (struct web),
 * one request as the pages see it (struct request), and the pages.
 *
 * Parts, a file each: main.c (start, privileges, libmicrohttpd), changes.c
 * (state changes with their audit lines), http.c
 * (requests and responses: forms, cookies, security headers), html.c
 * (pages built with every value escaped, in Japanese or English),
 * session.c (sign-ins, CSRF, login throttling), link_pages.c (the notice
 * links), user_pages.c (the filter center), admin_pages.c (the console).
 *
 * Rules every page keeps: a GET changes nothing; every POST carries a CSRF
 * token bound to its session or link; every state change is one LMDB
 * transaction with its audit line; every value from mail goes through
 * html.c's escaping; the web never runs a Postfix command, it queues
 * requests that holdd carries out.  Handlers run on libmicrohttpd's
 * threads: everything here is thread-safe (the store is; sessions and the
 * admin list have their locks).
 */
#ifndef SENDWATCH_WEB_H
#define SENDWATCH_WEB_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "admins.h"
#include "buf.h"
#include "config.h"
#include "loader.h"
#include "secret.h"
#include "store.h"
#include "token.h"

struct sessions;
struct throttle;

struct web {
    const struct config *cfg;
    struct store *store;
    struct token_key key;         /* web_key_file: checks the links */
    struct secret_key secret;     /* derived from it: seals users' zip passwords */
    unsigned char form_key[32];   /* derived from it: CSRF tokens */
    struct admins admins;         /* admins_file, read as root */
    pthread_rwlock_t admins_lock; /* admins is replaced on reload */
    struct loader *loader;        /* reads admins_file again, as root */
    struct sessions *sessions;    /* who is signed in */
    struct throttle *throttle;    /* failed logins and sign-in mails */
    bool https;                   /* web_base_url is https: cookies are Secure */
};

/* What a request is on our side (libmicrohttpd's con_cls). */
#define FORM_MAX_FIELDS 600
#define FORM_MAX_BYTES  (256 * 1024)

struct form_field {
    char *name, *value;
};

enum session_kind { SESSION_NONE, SESSION_ADMIN, SESSION_USER };

/* A copy of the signed-in session, taken when the request starts. */
struct session_view {
    enum session_kind kind;
    char id[64];          /* the cookie's value */
    char name[256];       /* the admin's name, or the user's address */
    char csrf[64];        /* what this session's forms carry */
    enum admin_role role; /* SESSION_ADMIN: as admins_file says now */
};

struct request {
    struct web *w;
    struct MHD_Connection *conn;
    const char *method, *url;
    bool post;
    char lang[3];  /* "ja" or "en" */
    char from[64]; /* the client's address, for the audit log */
    struct form_field fields[FORM_MAX_FIELDS];
    size_t nfields, form_bytes;
    bool form_bad; /* too large, too many fields, not a form */
    struct MHD_PostProcessor *pp;
    struct session_view session;
    char form_cookie[64]; /* sw_form: binds the forms of who is not signed in yet */
    bool new_form_cookie; /* to be set with this response */
};

/* A response being built. */
struct page {
    struct buf body;
    bool failed; /* out of memory on the way: a 500 goes out instead */
    int status;
    const char *content_type;
    char location[1024];  /* a redirect's target ("": none) */
    char cookies[3][256]; /* Set-Cookie values */
    size_t ncookies;
    unsigned refresh; /* > 0: reload the page after this many seconds */
};

/* http.c */
const char *request_arg(const struct request *r, const char *name);   /* query string */
const char *request_field(const struct request *r, const char *name); /* POST form */
/* Every value of a repeated POST field NAME, at most MAX, into OUT; the count. */
size_t request_fields(const struct request *r, const char *name, const char **out,
                      size_t max);
enum MHD_Result request_respond(struct request *r, struct page *p);
/* Adds a Set-Cookie for NAME=VALUE (Max-Age AGE seconds; 0: ends it). */
void page_cookie(struct request *r, struct page *p, const char *name, const char *value,
                 long age);
void page_redirect(struct page *p, const char *location);

/* session.c */
struct sessions *sessions_new(unsigned idle_minutes);
void sessions_free(struct sessions *s);
/* Starts a session for NAME; its cookie value into ID (64 bytes).  0, or -1. */
int session_start(struct web *w, enum session_kind kind, const char *name,
                  const char *from, char *id);
/* Fills R->session from the cookie, when it names a live session. */
void session_lookup(struct request *r);
void session_end(struct web *w, const char *id);
/* Ends every session of admin NAME (removed from admins_file). */
void sessions_end_admin(struct web *w, const char *name);
/* The CSRF token for BINDING ("s:SESSION", "f:FORM-COOKIE", "l:LINK-TOKEN") into OUT. */
void csrf_token(const struct web *w, const char *binding, char *out, size_t len);
/* Whether R's POST carries the CSRF token its session, form cookie or LINK binds. */
bool csrf_valid(const struct request *r, const char *link);
/*
 * For a sign-in link's button: a token bound to the link and to this
 * browser's form cookie, so that a page elsewhere cannot post someone's own
 * link for them and sign a victim into the attacker's filter center.
 */
void csrf_for_link_in_browser(struct request *r, const char *link, char *out, size_t len);
bool csrf_valid_link_in_browser(const struct request *r, const char *link);
/* The token R's forms must carry (for the session or the form cookie). */
void csrf_for_request(struct request *r, char *out, size_t len);
struct throttle *throttle_new(void);
void throttle_free(struct throttle *t);
/* Whether KEY ("login:NAME", "ip:ADDR") may try now; WAIT: seconds to wait. */
bool throttle_allows(struct web *w, const char *key, long *wait);
void throttle_failed(struct web *w, const char *key);
void throttle_clear(struct web *w, const char *key);
/*
 * Counts one event for KEY and says whether it is within MAX per 15
 * minutes (a count that ends 15 minutes after the last event).
 */
bool throttle_take(struct web *w, const char *key, unsigned max);
/* PREFIX and R's client as a throttle key: an IPv4 address, or an IPv6 /64. */
void throttle_client_key(const struct request *r, const char *prefix, char *out,
                         size_t len);

/* The pages: each builds P for R (and returns nothing: P says it all). */
void link_page(struct request *r, struct page *p, const char *node, const char *token);
void admin_page(struct request *r, struct page *p, const char *path);
void user_page(struct request *r, struct page *p, const char *path);
void user_link_page(struct request *r, struct page *p, const char *node,
                    const char *token);

/* A page that says what went wrong, with STATUS. */
void error_page(struct request *r, struct page *p, int status, const char *title,
                const char *text);

/*
 * A change and its audit line E (its from is R's client) in one write
 * transaction: FN(CTX, T) writes the change (FN may be NULL), then the line;
 * nothing is written unless both are.  Logged as an audit line too.  0, or
 * -1 with ERR.  FN may put what it found in CTX and still return 0; what
 * it writes then decides E's result, so FN may fill E through CTX as well.
 */
struct audit_entry;
struct store_txn;
int web_change(struct request *r,
               int (*fn)(void *ctx, struct store_txn *t, char *err, size_t errlen),
               void *ctx, const struct audit_entry *e, char *err, size_t errlen);

/*
 * The web's release or delete of QUEUE_ID, asked once (hold_request_once)
 * by BY ("web:link", "web:user:ADDRESS", "web:admin:NAME"), with its audit
 * line for WHO; holdd is woken when it was queued.  Returns the enum
 * hold_once with the record as found in *FOUND (clear it), or -1 with ERR
 * (nothing written).
 */
enum hold_action;
struct hold_record;
int web_request_once(struct request *r, enum hold_action action, const char *queue_id,
                     const char *by, const char *who, struct hold_record *found,
                     char *err, size_t errlen);
/* An outcome of web_request_once() as the audit log words it. */
const char *web_once_result(int outcome);

/* operations.c: health, metrics, the watchdog's self-check. */
void health_page(struct request *r, struct page *p); /* /healthz */
/* The metrics listener on FD (bound to metrics_listen); NULL when it will not start. */
struct MHD_Daemon *metrics_listener_start(struct web *w, int fd);
/* Where a listener can be reached from here (a wildcard becomes loopback). */
struct self_address {
    struct sockaddr_storage addr;
    socklen_t len;
    bool tls; /* it speaks HTTPS */
    bool set;
};
int self_address(int fd, struct self_address *a);
/* Whether A is on a loopback address (127.0.0.0/8, ::1). */
bool self_address_loopback(const struct self_address *a);
/*
 * Asks both listeners for /healthz as a client would (METRICS may be
 * unset).  true when both answered 200; else false with ERR.
 */
bool web_selfcheck(const struct self_address *web, const struct self_address *metrics,
                   char *err, size_t errlen);

/* Logs and records an audit line of its own (a change that wrote nothing else). */
void web_audit(struct request *r, const char *who, const char *action, const char *target,
               const char *result);

#endif
