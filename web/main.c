/*
 * sendwatch-web - the pages behind the notice links, the users' filter
 * center and the admin console (web.h).
 *
 * Started as root, it reads everything secret first (web_key_file,
 * admins_file, the TLS key: preflight_web), starts a root loader that can
 * read admins_file again on SIGHUP ("sendwatch admin" sends it), binds
 * web_listen, and drops to run_user for good before the first thread;
 * then libmicrohttpd serves on a pool of two threads while the main
 * thread waits for signals.  A second, small daemon serves /metrics on
 * metrics_listen (loopback only); under systemd the main thread asks both
 * listeners for /healthz before each watchdog ping (operations.c).  It never runs a
 * Postfix command: what people ask for becomes a request in LMDB that holdd carries out.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit.h"
#include "daemon_args.h"
#include "fdio.h"
#include "html.h"
#include "log.h"
#include "preflight.h"
#include "web_job.h"
#include "privilege.h"
#include "service.h"
#include "timefmt.h"
#include "user_settings.h"
#include "view.h"
#include "web.h"

/* The POST form, a field at a time (libmicrohttpd may hand one in pieces). */
static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *filename, const char *content_type,
                                  const char *encoding, const char *data, uint64_t off,
                                  size_t size)
{
    struct request *r = cls;
    (void)kind, (void)filename, (void)content_type, (void)encoding;
    r->form_bytes += size + strlen(key);
    if (r->form_bytes > FORM_MAX_BYTES) {
        r->form_bad = true;
        return MHD_NO;
    }
    struct form_field *f = r->nfields ? &r->fields[r->nfields - 1] : NULL;
    if (off > 0 && f != NULL && strcmp(f->name, key) == 0) {
        size_t have = strlen(f->value);
        char *grown = realloc(f->value, have + size + 1);
        if (grown == NULL) {
            r->form_bad = true;
            return MHD_NO;
        }
        memcpy(grown + have, data, size);
        grown[have + size] = '\0';
        f->value = grown;
        return MHD_YES;
    }
    if (r->nfields == FORM_MAX_FIELDS) {
        r->form_bad = true;
        return MHD_NO;
    }
    f = &r->fields[r->nfields];
    f->name = strdup(key);
    f->value = strndup(data ? data : "", size);
    if (f->name == NULL || f->value == NULL) {
        free(f->name);
        free(f->value);
        r->form_bad = true;
        return MHD_NO;
    }
    r->nfields++;
    return MHD_YES;
}

/* The language: ?lang=, then the sw_lang cookie, then Accept-Language, then the config's.
 */
static void pick_language(struct request *r, struct page *p)
{
    const char *arg = request_arg(r, "lang");
    if (arg != NULL && (strcmp(arg, "ja") == 0 || strcmp(arg, "en") == 0)) {
        snprintf(r->lang, sizeof(r->lang), "%s", arg);
        page_cookie(r, p, "sw_lang", arg, 365L * 86400);
        return;
    }
    const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "sw_lang");
    if (cookie != NULL && (strcmp(cookie, "ja") == 0 || strcmp(cookie, "en") == 0)) {
        snprintf(r->lang, sizeof(r->lang), "%s", cookie);
        return;
    }
    /* A signed-in user's own language setting, then the browser's. */
    if (r->session.kind == SESSION_USER) {
        struct user_settings us;
        char err[256];
        if (user_settings_get(r->w->store, r->session.name, &us, err, sizeof(err)) == 1 &&
            (us.set & USER_SETTING_LANGUAGE)) {
            snprintf(r->lang, sizeof(r->lang), "%s", us.language);
            return;
        }
    }
    const char *accept = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
    snprintf(r->lang, sizeof(r->lang), "%s", r->w->cfg->language);
    /* The first of ja and en the browser names wins (browsers list by preference). */
    for (const char *a = accept; a != NULL && *a;) {
        while (*a == ' ' || *a == ',')
            a++;
        if (strncasecmp(a, "ja", 2) == 0 && !isalpha((unsigned char)a[2])) {
            snprintf(r->lang, sizeof(r->lang), "ja");
            return;
        }
        if (strncasecmp(a, "en", 2) == 0 && !isalpha((unsigned char)a[2])) {
            snprintf(r->lang, sizeof(r->lang), "en");
            return;
        }
        a = strchr(a, ',');
    }
}

static void landing(struct request *r, struct page *p)
{
    html_begin(r, p, "sendwatch");
    html_printf(p,
                "<ul><li><a href=\"/me\" id=\"center\">%s</a></li>"
                "<li><a href=\"/admin\" id=\"console\">%s</a></li></ul>",
                L(r, "My mail (filter center)", "自分のメール（フィルターセンター）"),
                L(r, "Admin console", "管理コンソール"));
    html_end(r, p);
}

/* /n/NODE/KIND/TOKEN: true with its parts. */
static bool split_link(const char *url, const char *kind, char *node, size_t nodelen,
                       const char **token)
{
    if (strncmp(url, "/n/", 3) != 0)
        return false;
    const char *n = url + 3, *slash = strchr(n, '/');
    size_t klen = strlen(kind);
    if (slash == NULL || (size_t)(slash - n) >= nodelen ||
        strncmp(slash + 1, kind, klen) != 0 || slash[1 + klen] != '/')
        return false;
    snprintf(node, nodelen, "%.*s", (int)(slash - n), n);
    *token = slash + 2 + klen;
    return **token != '\0' && strchr(*token, '/') == NULL;
}

static void dispatch(struct request *r, struct page *p)
{
    const char *url = r->url;
    char node[80];
    const char *token;
    if (strcmp(url, "/static/sendwatch.css") == 0) {
        p->content_type = "text/css; charset=utf-8";
        buf_append(&p->body, html_stylesheet, strlen(html_stylesheet));
        return;
    }
    if (r->form_bad) {
        error_page(r, p, MHD_HTTP_CONTENT_TOO_LARGE,
                   L(r, "Form refused", "フォームを受け付けられません"),
                   L(r, "The form was too large or not a form.",
                     "フォームが大きすぎるか、形式が不正です。"));
        return;
    }
    if (strcmp(url, "/healthz") == 0)
        health_page(r, p);
    else if (split_link(url, "hold", node, sizeof(node), &token))
        link_page(r, p, node, token);
    else if (split_link(url, "me", node, sizeof(node), &token))
        user_link_page(r, p, node, token);
    else if (strcmp(url, "/admin") == 0 || strncmp(url, "/admin/", 7) == 0)
        admin_page(r, p, url);
    else if (strcmp(url, "/me") == 0 || strncmp(url, "/me/", 4) == 0 ||
             strcmp(url, "/signin") == 0)
        user_page(r, p, url);
    else if (strcmp(url, "/") == 0)
        landing(r, p);
    else
        error_page(r, p, MHD_HTTP_NOT_FOUND, L(r, "No such page", "ページがありません"),
                   L(r, "There is no such page.", "そのようなページはありません。"));
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    struct web *w = cls;
    struct request *r = *con_cls;
    (void)version;
    if (r == NULL) {
        bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
        if (!post && strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
            strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
            struct request bare = {.w = w, .conn = conn, .url = "/", .lang = "en"};
            struct page p = {0};
            error_page(&bare, &p, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
                       "Only GET, HEAD and POST.");
            return request_respond(&bare, &p);
        }
        r = calloc(1, sizeof(*r));
        if (r == NULL)
            return MHD_NO;
        r->w = w;
        r->conn = conn;
        r->url = url;
        r->method = method;
        r->post = post;
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        if (sa != NULL && sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->from,
                      sizeof(r->from));
        else if (sa != NULL && sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->from,
                      sizeof(r->from));
        /* Behind the admin's reverse proxy, the client is the last address
         * the proxy added - believed only from loopback, where the proxy is. */
        const char *xff =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For");
        if (w->cfg->web_behind_proxy && xff != NULL &&
            (strcmp(r->from, "127.0.0.1") == 0 || strcmp(r->from, "::1") == 0)) {
            const char *last = strrchr(xff, ',');
            last = last ? last + 1 : xff;
            while (*last == ' ')
                last++;
            unsigned char probe[16];
            if (inet_pton(AF_INET, last, probe) == 1 ||
                inet_pton(AF_INET6, last, probe) == 1)
                snprintf(r->from, sizeof(r->from), "%s", last);
        }
        const char *fc = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, "sw_form");
        if (fc != NULL && strlen(fc) == 43)
            snprintf(r->form_cookie, sizeof(r->form_cookie), "%s", fc);
        *con_cls = r;
        if (post) {
            r->pp = MHD_create_post_processor(conn, 16384, form_field, r);
            if (r->pp == NULL)
                r->form_bad = true; /* not application/x-www-form-urlencoded */
            return MHD_YES;
        }
    } else if (*upload_size > 0) {
        if (r->pp != NULL && !r->form_bad &&
            MHD_post_process(r->pp, upload, *upload_size) != MHD_YES)
            r->form_bad = true;
        *upload_size = 0;
        return MHD_YES;
    }
    struct page p = {0};
    session_lookup(r);
    pick_language(r, &p);
    dispatch(r, &p);
    return request_respond(r, &p);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    struct request *r = *con_cls;
    (void)cls, (void)conn, (void)code;
    if (r == NULL)
        return;
    if (r->pp != NULL)
        MHD_destroy_post_processor(r->pp);
    for (size_t i = 0; i < r->nfields; i++) {
        free(r->fields[i].name);
        if (r->fields[i].value != NULL) {
            OPENSSL_cleanse(r->fields[i].value, strlen(r->fields[i].value));
            free(r->fields[i].value); /* passwords pass through here */
        }
    }
    free(r);
    *con_cls = NULL;
}

/* libmicrohttpd's own complaints go to our log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char text[512];
    (void)cls;
    vsnprintf(text, sizeof(text), fmt, ap);
    text[strcspn(text, "\n")] = '\0';
    log_warning("libmicrohttpd: %s", text);
}

/* Binds LISTEN_ON, the setting NAME (as root: a port below 1024 is fine).  The
 * socket, or -1 with ERR. */
static int bind_listen(const char *name, const char *listen_on, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(listen_on, ':');
    snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_on), listen_on);
    if (host[0] == '[') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "%s %s: %s", name, listen_on, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0) {
        snprintf(err, errlen, "%s %s: %s", name, listen_on, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* The root loader's job: admins_file, read and checked. */
static int read_admins(struct files *fs, void *ctx, char *err, size_t errlen)
{
    struct admins a;
    int rc = preflight_web_admins(fs, ctx, &a, err, errlen);
    if (rc == 0)
        admins_free(&a);
    return rc;
}

/* SIGHUP: admins_file again; admins no longer in it are signed out. */
static void reload_admins(struct web *w)
{
    char err[1024];
    struct files *fs = w->loader ? loader_load(w->loader, err, sizeof(err)) : files_new();
    struct admins fresh;
    if (fs == NULL || preflight_web_admins(fs, w->cfg, &fresh, err, sizeof(err)) != 0) {
        log_error("admins_file not reloaded, the old list stays: %s", fs ? err : err);
        files_free(fs);
        return;
    }
    files_free(fs);
    pthread_rwlock_wrlock(&w->admins_lock);
    struct admins old = w->admins;
    w->admins = fresh;
    pthread_rwlock_unlock(&w->admins_lock);
    /* Removed, or given a new password: their sessions end (a session of
     * someone who knew the old password must not outlive it). */
    for (size_t i = 0; i < old.n; i++) {
        const struct admin *now = admins_find(&fresh, old.list[i].name);
        if (now == NULL || strcmp(now->hash, old.list[i].hash) != 0)
            sessions_end_admin(w, old.list[i].name);
    }
    log_info("admins_file reloaded: %zu admins", fresh.n);
    admins_free(&old);
}

/* The audit log's old entries and the marks of expired one-time links go. */
static void housekeeping(struct web *w)
{
    char err[512];
    size_t n = 0;
    time_t now = time(NULL);
    if (audit_prune(w->store, now - (time_t)w->cfg->audit_keep_days * 86400, &n, err,
                    sizeof(err)) != 0)
        log_error("audit log: cannot drop old entries: %s", err);
    else if (n > 0)
        log_info("audit log: %zu entries older than %u days dropped", n,
                 w->cfg->audit_keep_days);
    if (signin_links_sweep(w->store, now, &n, err, sizeof(err)) != 0)
        log_error("cannot sweep used sign-in links: %s", err);
}

/*
 * Wires the daemon in the order root demands: config; secrets read as
 * root (preflight_web); the root loader; the listening socket; daemon(3);
 * the drop; LMDB; then libmicrohttpd's threads, and signals.  Long
 * because the order is the security argument, and it reads top to bottom.
 */
int main(int argc, char **argv)
{
    struct daemon_args args;
    int status = daemon_args_parse(argc, argv, "sendwatch-web", "web_pid_file", &args);
    if (status >= 0)
        return status;
    char err[1024];
    struct config *cfg = config_load(args.config_path, err, sizeof(err));
    if (cfg == NULL) {
        fprintf(stderr, "sendwatch-web: %s\n", err);
        return 1;
    }
    char ident[80];
    snprintf(ident, sizeof(ident), "%s/web", cfg->syslog_name);
    log_open(ident, args.foreground ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG);
    status = 1;
    struct web w = {.cfg = cfg, .https = strncmp(cfg->web_base_url, "https:", 6) == 0};
    struct preflight_web pre = {0};
    struct MHD_Daemon *daemon_mhd = NULL, *metrics_mhd = NULL;
    int listen_fd = -1, metrics_fd = -1;
    const char *pidfile = args.pidfile ? args.pidfile : cfg->web_pid_file;
    pthread_rwlock_init(&w.admins_lock, NULL);
    if (timefmt_use_zone(cfg->time_zone, err, sizeof(err)) != 0) {
        log_error("not started: %s", err);
        goto done;
    }
    view_init();
    if (preflight_web(cfg, args.config_path, args.pidfile, log_problem, NULL, &pre) !=
        0) {
        log_error("not started: fix the above (sendwatch check says the same)");
        goto done;
    }
    w.key = pre.key;
    if (secret_key_derive(&w.key, &w.secret) != 0) {
        log_error("not started: cannot derive the password key from web_key_file");
        goto done;
    }
    w.admins = pre.admins;
    pre.admins = (struct admins){0};
    /* The CSRF key: derived, so the link key itself signs nothing else. */
    unsigned int len = 0;
    static const char label[] = "sendwatch web forms v1";
    HMAC(EVP_sha256(), w.key.bytes, (int)w.key.len, (const unsigned char *)label,
         sizeof(label) - 1, w.form_key, &len);
    w.sessions = sessions_new(cfg->web_session_minutes);
    w.throttle = throttle_new();
    if (w.sessions == NULL || w.throttle == NULL) {
        log_error("out of memory");
        goto done;
    }
    if (geteuid() == 0 &&
        (w.loader = loader_start(read_admins, (void *)cfg, err, sizeof(err))) == NULL) {
        log_error("%s", err);
        goto done;
    }
    if ((listen_fd = bind_listen("web_listen", cfg->web_listen, err, sizeof(err))) < 0 ||
        (cfg->metrics_listen[0] != '\0' &&
         (metrics_fd = bind_listen("metrics_listen", cfg->metrics_listen, err,
                                   sizeof(err))) < 0)) {
        log_error("not started: %s", err);
        goto done;
    }
    struct self_address self_web = {.tls = pre.tls_cert != NULL}, self_metrics = {0};
    if (self_address(listen_fd, &self_web) != 0 ||
        (metrics_fd >= 0 && self_address(metrics_fd, &self_metrics) != 0)) {
        log_error("not started: cannot tell where the listeners are: %s",
                  strerror(errno));
        goto done;
    }
    /* The name was checked; what it resolved to is checked here: the
     * numbers are never offered beyond this host. */
    if (metrics_fd >= 0 && !self_address_loopback(&self_metrics)) {
        log_error("not started: metrics_listen %s is not a loopback address once "
                  "resolved",
                  cfg->metrics_listen);
        goto done;
    }
    if (!args.foreground && daemon(0, 0) != 0) {
        log_error("cannot become a daemon: %s", strerror(errno));
        goto done;
    }
    if (privilege_drop(cfg->run_user, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }
    w.store = store_open(cfg->state_dir, cfg->state_map_size, false, err, sizeof(err));
    if (w.store == NULL) {
        log_error("%s", err);
        goto done;
    }
    /* Signals go to this thread alone: block them before libmicrohttpd's start. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (pre.tls_cert != NULL)
        flags |= MHD_USE_TLS;
    daemon_mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, &w, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, listen_fd, MHD_OPTION_THREAD_POOL_SIZE, (unsigned)2,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)30, MHD_OPTION_NOTIFY_COMPLETED, on_completed, &w,
        pre.tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, pre.tls_cert,
        MHD_OPTION_HTTPS_MEM_KEY, pre.tls_key, MHD_OPTION_END);
    if (daemon_mhd == NULL) {
        log_error("not started: libmicrohttpd would not serve on %s%s", cfg->web_listen,
                  pre.tls_cert ? " (is the TLS certificate and key a pair, in PEM?)"
                               : "");
        goto done;
    }
    listen_fd = -1; /* libmicrohttpd's now */
    if (metrics_fd >= 0) {
        if ((metrics_mhd = metrics_listener_start(&w, metrics_fd)) == NULL) {
            log_error("not started: libmicrohttpd would not serve on %s",
                      cfg->metrics_listen);
            goto done;
        }
        metrics_fd = -1;
    }
    if (fdio_write_pidfile(pidfile) != 0)
        log_warning("cannot write pid file %s: %s", pidfile, strerror(errno));
    log_info("starting: config %s, listening on %s%s, metrics on %s, %zu admins",
             args.config_path, cfg->web_listen, pre.tls_cert ? " (https)" : "",
             cfg->metrics_listen[0] ? cfg->metrics_listen : "(off)", w.admins.n);
    housekeeping(&w);
    /* Under systemd: READY once both listeners answered a request of ours,
     * then a ping each time they answer again. */
    long check_every_ms = (long)(service_watchdog_interval() / 1000);
    bool supervised = getenv("NOTIFY_SOCKET") != NULL, ready = false, failing = false;
    time_t next_housekeeping = time(NULL) + 3600;
    for (;;) {
        if (supervised) {
            char why[512];
            if (web_selfcheck(&self_web, &self_metrics, why, sizeof(why))) {
                if (!ready)
                    service_ready("answering");
                else
                    service_watchdog_ping();
                if (failing)
                    log_info("self-check: answering again");
                ready = true;
                failing = false;
            } else if (!failing) {
                log_warning("self-check: %s (the watchdog is not fed)", why);
                failing = true;
            }
        }
        /* Signals; the self-check when it is due (sooner after a failure:
         * one hiccup must not cost a restart); once an hour the housekeeping. */
        time_t now = time(NULL);
        long wait_ms = (long)(next_housekeeping - now) * 1000;
        long check_ms = !ready || failing ? SERVICE_RETRY_MS : check_every_ms;
        if (supervised && check_ms > 0 && check_ms < wait_ms)
            wait_ms = check_ms;
        if (wait_ms < 0)
            wait_ms = 0;
        struct timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000L};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (time(NULL) >= next_housekeeping) {
            housekeeping(&w);
            next_housekeeping = time(NULL) + 3600;
        }
        if (sig < 0)
            continue;
        if (sig == SIGHUP) {
            reload_admins(&w);
            continue;
        }
        break;
    }
    service_stopping();
    log_info("stopped");
    status = 0;
    unlink(pidfile);
done:
    if (metrics_mhd != NULL)
        MHD_stop_daemon(metrics_mhd);
    if (daemon_mhd != NULL)
        MHD_stop_daemon(daemon_mhd);
    if (listen_fd >= 0)
        close(listen_fd);
    if (metrics_fd >= 0)
        close(metrics_fd);
    loader_stop(w.loader);
    store_close(w.store);
    sessions_free(w.sessions);
    throttle_free(w.throttle);
    admins_free(&w.admins);
    admins_free(&pre.admins);
    free(pre.tls_cert);
    if (pre.tls_key != NULL)
        OPENSSL_clear_free(pre.tls_key, strlen(pre.tls_key));
    OPENSSL_cleanse(&w.key, sizeof(w.key));
    OPENSSL_cleanse(&pre.key, sizeof(pre.key));
    OPENSSL_cleanse(w.form_key, sizeof(w.form_key));
    OPENSSL_cleanse(&w.secret, sizeof(w.secret));
    pthread_rwlock_destroy(&w.admins_lock);
    view_shutdown();
    config_free(cfg);
    log_close();
    return status;
}
