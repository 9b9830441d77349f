/*
 * config - see config.h.  Table-driven: each parameter names its type,
 * where it lives in struct config and its default, and the defaults go
 * through the same value parsers as the file, so a bad default cannot hide.
 */
#include "config.h"

#include "errbuf.h"
#include "files.h"
#include "parse.h"

#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

enum config_type {
    CONFIG_STRING,  /* any non-empty text */
    CONFIG_PATH,    /* an absolute path */
    CONFIG_SIZE,    /* parse_size: bytes, with an optional k/m/g suffix */
    CONFIG_SOCKET,  /* libmilter socket syntax */
    CONFIG_NAME,    /* parse_name: a user or syslog name, [A-Za-z0-9._-]+ */
    CONFIG_UINT,    /* parse_number: a whole number in [min, max] */
    CONFIG_DOMAINS, /* parse_domain: a list of domains, commas or spaces between */
    CONFIG_BOOL,    /* yes or no */
    CONFIG_CHOICE,  /* one of the words in choices */
    CONFIG_URL, /* http:// or https://, printable, nothing HTML or a header would mind */
    CONFIG_ADDRESS,   /* parse_addr_spec: local-part[@domain], safe in sendmail's argv */
    CONFIG_NODE_NAME, /* parse_node_name: one DNS label, as the links' token takes it */
    CONFIG_OPTIONAL_PATH,    /* an absolute path, or empty: not used */
    CONFIG_TARGETS,          /* encrypt_targets: all, documents, archives, .ext words */
    CONFIG_ZIP_NAME,         /* encrypt_zip_name: a file name template */
    CONFIG_LISTEN,           /* HOST:PORT, [IPv6]:PORT */
    CONFIG_TIME_ZONE,        /* a tz database name (Asia/Tokyo, UTC), or empty */
    CONFIG_OPTIONAL_ADDRESS, /* as CONFIG_ADDRESS, or empty: nobody */
    CONFIG_LOOPBACK_LISTEN,  /* as CONFIG_LISTEN on a loopback address, or empty: off */
};

struct config_param {
    const char *name;
    enum config_type type;
    size_t offset;
    const char *default_value;
    unsigned long long min, max; /* for CONFIG_SIZE and CONFIG_UINT */
    const char *const *choices;  /* for CONFIG_CHOICE, NULL-terminated */
};

static const char *const hold_scopes[] = {"external", "all", NULL};
static const char *const languages[] = {"ja", "en", NULL};
static const char *const encrypt_methods[] = {"aes256", "zipcrypto", NULL};
static const char *const notice_targets[] = {"sender", "recipients", "both", NULL};
static const char *const name_charsets[] = {"utf8", "cp932", NULL};
static const char *const encrypted_handling[] = {"leave", "seal", "reject", NULL};

/* clang-format off */
#define PARAM(name, type, def) {#name, type, offsetof(struct config, name), def, 0, 0, NULL}
#define SIZE_PARAM(name, def, lo, hi) {#name, CONFIG_SIZE, offsetof(struct config, name), def, lo, hi, NULL}
#define UINT_PARAM(name, def, lo, hi) {#name, CONFIG_UINT, offsetof(struct config, name), def, lo, hi, NULL}
#define CHOICE_PARAM(name, def, list) {#name, CONFIG_CHOICE, offsetof(struct config, name), def, 0, 0, list}
/* clang-format on */

static const struct config_param config_params[] = {
    PARAM(milter_socket, CONFIG_SOCKET, "unix:/run/sendwatch/milter.sock"),
    PARAM(milter_socket_group, CONFIG_NAME, "postfix"),
    PARAM(state_dir, CONFIG_PATH, "/var/lib/sendwatch"),
    PARAM(temp_dir, CONFIG_PATH, "/var/spool/sendwatch"),
    SIZE_PARAM(message_memory_limit, "4m", 0, 1024ULL * 1024 * 1024),
    PARAM(run_user, CONFIG_NAME, "sendwatch"),
    PARAM(syslog_name, CONFIG_NAME, "sendwatch"),
    PARAM(milter_pid_file, CONFIG_PATH, "/run/sendwatch/milter.pid"),
    PARAM(rules_dir, CONFIG_PATH, "/etc/sendwatch/rules"),
    PARAM(quarantine_dir, CONFIG_PATH, "/var/lib/sendwatch/quarantine"),
    PARAM(internal_domains, CONFIG_DOMAINS, ""),
    SIZE_PARAM(state_map_size, "1g", 1024 * 1024, 1024ULL * 1024 * 1024 * 1024),
    UINT_PARAM(archive_max_depth, "5", 1, 20),
    UINT_PARAM(archive_max_entries, "1000", 1, 1000000),
    SIZE_PARAM(archive_max_expanded, "256m", 1024, 64ULL * 1024 * 1024 * 1024),
    UINT_PARAM(archive_max_ratio, "100", 2, 100000),
    SIZE_PARAM(scan_text_limit, "10m", 1024, 1024ULL * 1024 * 1024),
    PARAM(hold_enable, CONFIG_BOOL, "no"),
    UINT_PARAM(hold_minutes, "10", 1, 60),
    UINT_PARAM(hold_queue_grace, "600", 5, 3600),
    CHOICE_PARAM(hold_scope, "external", hold_scopes),
    PARAM(user_settings_allowed, CONFIG_BOOL, "no"),
    PARAM(postfix_config_dir, CONFIG_PATH, "/etc/postfix"),
    PARAM(holdd_pid_file, CONFIG_PATH, "/run/sendwatch/holdd.pid"),
    PARAM(holdd_socket, CONFIG_PATH, "/run/sendwatch/holdd.sock"),
    PARAM(holdd_helper, CONFIG_PATH, SENDWATCH_HELPER_PATH),
    PARAM(sendmail_path, CONFIG_PATH, "/usr/sbin/sendmail"),
    PARAM(notice_sender, CONFIG_ADDRESS, "postmaster"),
    PARAM(notice_template_dir, CONFIG_PATH, "/etc/sendwatch/templates"),
    CHOICE_PARAM(language, "ja", languages),
    PARAM(web_base_url, CONFIG_URL, "http://localhost:8025"),
    PARAM(web_key_file, CONFIG_PATH, "/etc/sendwatch/web.key"),
    PARAM(node_name, CONFIG_NODE_NAME, "mx1"),
    SIZE_PARAM(message_size_limit, "10240000", 0, 64ULL * 1024 * 1024 * 1024),
    PARAM(encrypt_attachments, CONFIG_BOOL, "no"),
    PARAM(encrypt_targets, CONFIG_TARGETS, "all"),
    CHOICE_PARAM(encrypt_scope, "external", hold_scopes),
    CHOICE_PARAM(encrypt_method, "aes256", encrypt_methods),
    CHOICE_PARAM(encrypt_name_charset, "utf8", name_charsets),
    PARAM(encrypt_zip_name, CONFIG_ZIP_NAME, "{first}.zip"),
    CHOICE_PARAM(encrypt_already_encrypted, "leave", encrypted_handling),
    PARAM(encrypt_domains_file, CONFIG_OPTIONAL_PATH, ""),
    UINT_PARAM(password_length, "12", 8, 64),
    CHOICE_PARAM(password_notice_to, "sender", notice_targets),
    PARAM(user_password_allowed, CONFIG_BOOL, "no"),
    PARAM(web_listen, CONFIG_LISTEN, "127.0.0.1:8025"),
    PARAM(web_tls_cert, CONFIG_OPTIONAL_PATH, ""),
    PARAM(web_tls_key, CONFIG_OPTIONAL_PATH, ""),
    PARAM(admins_file, CONFIG_PATH, "/etc/sendwatch/admins"),
    PARAM(web_pid_file, CONFIG_PATH, "/run/sendwatch/web.pid"),
    UINT_PARAM(web_session_minutes, "30", 1, 1440),
    UINT_PARAM(audit_keep_days, "400", 1, 36500),
    PARAM(web_behind_proxy, CONFIG_BOOL, "no"),
    PARAM(time_zone, CONFIG_TIME_ZONE, ""),
    PARAM(metrics_listen, CONFIG_LOOPBACK_LISTEN, "127.0.0.1:9925"),
    PARAM(admin_address, CONFIG_OPTIONAL_ADDRESS, ""),
    PARAM(auto_bypass, CONFIG_BOOL, "no"),
    UINT_PARAM(auto_bypass_after, "120", 10, 86400),
    UINT_PARAM(auto_bypass_off_after, "300", 10, 86400),
    PARAM(bypass_command, CONFIG_PATH, SENDWATCH_BYPASS_PATH),
};

#define CONFIG_NPARAMS (sizeof(config_params) / sizeof(config_params[0]))

static const struct config_param *config_find(const char *name, size_t len)
{
    for (size_t i = 0; i < CONFIG_NPARAMS; i++)
        if (strlen(config_params[i].name) == len &&
            memcmp(config_params[i].name, name, len) == 0)
            return &config_params[i];
    return NULL;
}

static bool config_valid_port(const char *s, size_t len)
{
    unsigned long port = 0;

    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        port = port * 10 + (unsigned long)(s[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

/*
 * Checks libmilter's socket syntax: {unix|local}:/abs/path,
 * inet:PORT[@HOST], inet6:PORT[@HOST].  Explains the problem in WHY.
 */
static bool config_valid_socket(const char *v, const char **why)
{
    const char *rest;

    if (strncmp(v, "unix:", 5) == 0 || strncmp(v, "local:", 6) == 0) {
        rest = strchr(v, ':') + 1;
        if (*rest != '/') {
            *why = "a unix socket needs an absolute path";
            return false;
        }
        if (strlen(rest) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            *why = "the unix socket path is too long";
            return false;
        }
        return true;
    }
    if (strncmp(v, "inet:", 5) == 0 || strncmp(v, "inet6:", 6) == 0) {
        const char *at;

        rest = strchr(v, ':') + 1;
        at = strchr(rest, '@');
        if (!config_valid_port(rest, at ? (size_t)(at - rest) : strlen(rest))) {
            *why = "the port must be a number from 1 to 65535";
            return false;
        }
        if (at != NULL && at[1] == '\0') {
            *why = "the host after @ is empty";
            return false;
        }
        return true;
    }
    *why = "expected unix:/path, inet:PORT@HOST or inet6:PORT@HOST";
    return false;
}

/* Frees a NULL-terminated list. */
static void config_free_list(char **list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        free(list[i]);
    free(list);
}

/* Splits a comma/space list of domains into a NULL-terminated array (lower case). */
static int config_set_domains(const struct config_param *p, const char *value,
                              char ***field, char *err, size_t errlen)
{
    char *copy = strdup(value), *save = NULL;
    char **list = calloc(1, sizeof(*list));
    size_t n = 0;

    if (copy == NULL || list == NULL)
        goto nomem;
    for (char *d = strtok_r(copy, ", \t", &save); d; d = strtok_r(NULL, ", \t", &save)) {
        char why[256];
        if (parse_domain(d, PARSE_DOMAIN_SUBDOMAINS, why, sizeof(why)) != 0) {
            errbuf_set(err, errlen, "bad value for %s: \"%s\" (%s)", p->name, d, why);
            free(copy);
            config_free_list(list);
            return -1;
        }
        char **grown = realloc(list, (n + 2) * sizeof(*list));
        if (grown == NULL)
            goto nomem;
        list = grown;
        list[n] = strdup(d);
        list[n + 1] = NULL;
        if (list[n] == NULL)
            goto nomem;
        for (char *c = list[n]; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        n++;
    }
    free(copy);
    config_free_list(*field);
    *field = list;
    return 0;
nomem:
    free(copy);
    config_free_list(list);
    errbuf_set(err, errlen, "out of memory");
    return -2;
}

/*
 * encrypt_targets: words, commas or spaces between: "all", "documents",
 * "archives", or a file name extension (".xlsx" or "xlsx": letters,
 * digits, '_', '-', '+', at most 16).  NULL when fine, else WHY.
 */
static const char *config_check_targets(const char *value, char *why, size_t len)
{
    size_t words = 0;
    for (const char *p = value; *p;) {
        size_t n = strcspn(p, ", \t");
        if (n == 0) {
            p++;
            continue;
        }
        words++;
        if (!((n == 3 && memcmp(p, "all", 3) == 0) ||
              (n == 9 && memcmp(p, "documents", 9) == 0) ||
              (n == 8 && memcmp(p, "archives", 8) == 0))) {
            const char *e = p[0] == '.' ? p + 1 : p;
            size_t en = (size_t)(p + n - e);
            bool ok = en > 0 && en <= 16;
            for (size_t i = 0; ok && i < en; i++)
                ok = (e[i] >= 'a' && e[i] <= 'z') || (e[i] >= 'A' && e[i] <= 'Z') ||
                     (e[i] >= '0' && e[i] <= '9') || strchr("_-+", e[i]) != NULL;
            if (!ok) {
                errbuf_set(why, len,
                           "\"%.*s\" is neither all, documents, archives nor a file "
                           "name extension",
                           (int)n, p);
                return why;
            }
        }
        p += n;
    }
    return words == 0 ? "expected all, documents, archives or extensions" : NULL;
}

/*
 * encrypt_zip_name: UTF-8 text without controls, '/' or '\\', whose
 * placeholders are {first} (the first file's name less its extension),
 * {date} (YYYYMMDD) and {queue_id}.  NULL when fine, else WHY.
 */
static const char *config_check_zip_name(const char *value, char *why, size_t len)
{
    if (value[0] == '\0' || strlen(value) > 200)
        return "expected a file name of 1 to 200 bytes";
    for (const char *c = value; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '/' || *c == '\\')
            return "control characters, '/' and '\\' are not allowed in it";
        if (*c == '{') {
            const char *end = strchr(c, '}');
            size_t n = end ? (size_t)(end - c - 1) : 0;
            if (end == NULL || !((n == 5 && memcmp(c + 1, "first", 5) == 0) ||
                                 (n == 4 && memcmp(c + 1, "date", 4) == 0) ||
                                 (n == 8 && memcmp(c + 1, "queue_id", 8) == 0))) {
                errbuf_set(why, len,
                           "unknown placeholder at \"%.20s\" (known: {first}, {date}, "
                           "{queue_id})",
                           c);
                return why;
            }
            c = end;
        }
    }
    return NULL;
}

/*
 * web_listen: HOST:PORT where HOST is an IPv4 address, a host name or
 * [IPv6].  NULL when fine, else WHY.
 */
static const char *config_check_listen(const char *value)
{
    const char *colon = strrchr(value, ':');
    if (colon == NULL || colon == value)
        return "expected HOST:PORT, e.g. 127.0.0.1:8025 or [::1]:8025";
    if (!config_valid_port(colon + 1, strlen(colon + 1)))
        return "the port must be a number from 1 to 65535";
    size_t n = (size_t)(colon - value);
    if (value[0] == '[' ? value[n - 1] != ']' || n < 3 : memchr(value, ':', n) != NULL)
        return "an IPv6 address goes in brackets: [::1]:8025";
    for (size_t i = 0; i < n; i++)
        if (!((value[i] >= 'a' && value[i] <= 'z') ||
              (value[i] >= 'A' && value[i] <= 'Z') ||
              (value[i] >= '0' && value[i] <= '9') || strchr(".-:[]", value[i])))
            return "the host must be an address or a host name";
    return NULL;
}

/*
 * metrics_listen: empty, or HOST:PORT on a loopback address (127.0.0.0/8,
 * [::1], localhost): the numbers name rules and counts and have no login,
 * so they are never offered beyond this host.  NULL when fine, else WHY.
 */
static const char *config_check_loopback_listen(const char *value)
{
    if (value[0] == '\0')
        return NULL;
    const char *why = config_check_listen(value);
    if (why != NULL)
        return why;
    if (strncmp(value, "127.", 4) != 0 && strncmp(value, "[::1]:", 6) != 0 &&
        strncmp(value, "localhost:", 10) != 0)
        return "only a loopback address (127.0.0.1, [::1], localhost): put a proxy "
               "with a login in front to offer it further";
    return NULL;
}

/*
 * time_zone: empty (the system's), or a tz database name: letters, digits
 * and "_+-/", no "..", not starting with '/' - so that it names a file
 * under /usr/share/zoneinfo and nothing else.  Whether the zone exists is
 * asked when a program starts (timefmt.h).
 */
static const char *config_check_time_zone(const char *value)
{
    if (value[0] == '\0')
        return NULL;
    if (value[0] == '/' || strstr(value, "..") != NULL || strlen(value) > 64)
        return "expected a time zone name such as Asia/Tokyo or UTC";
    for (const char *c = value; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || strchr("_+-/", *c)))
            return "expected a time zone name such as Asia/Tokyo or UTC";
    return NULL;
}

/*
 * Stores VALUE into CFG for parameter P.  On a bad value returns -1 with
 * a message (without the FILE:LINE prefix) in ERR; -2 when out of memory.
 * Long because it is the one switch over the parameter types: every type
 * is parsed here (through parse.h), for the file and the defaults alike.
 */
static int config_set(struct config *cfg, const struct config_param *p, const char *value,
                      char *err, size_t errlen)
{
    char *field = (char *)cfg + p->offset;
    const char *why = NULL;
    char reason[256];
    unsigned long long n;

    switch (p->type) {
    case CONFIG_SIZE:
        if (parse_size(value, &n, reason, sizeof(reason)) != 0) {
            errbuf_set(err, errlen, "bad value for %s: \"%s\" (%s)", p->name, value,
                       reason);
            return -1;
        }
        if (n < p->min || n > p->max) {
            errbuf_set(err, errlen, "%s = %s is out of range (%llu to %llu bytes)",
                       p->name, value, p->min, p->max);
            return -1;
        }
        *(size_t *)(void *)field = (size_t)n;
        return 0;
    case CONFIG_UINT:
        if (parse_number(value, &n, NULL, 0) != 0 || n < p->min || n > p->max) {
            errbuf_set(err, errlen,
                       "bad value for %s: \"%s\" (expected a number from %llu "
                       "to %llu)",
                       p->name, value, p->min, p->max);
            return -1;
        }
        *(unsigned *)(void *)field = (unsigned)n;
        return 0;
    case CONFIG_DOMAINS:
        return config_set_domains(p, value, (char ***)(void *)field, err, errlen);
    case CONFIG_BOOL:
        if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0) {
            errbuf_set(err, errlen, "bad value for %s: \"%s\" (expected yes or no)",
                       p->name, value);
            return -1;
        }
        *(bool *)(void *)field = strcmp(value, "yes") == 0;
        return 0;
    case CONFIG_CHOICE: {
        bool known = false;
        for (size_t i = 0; p->choices[i] != NULL; i++)
            known = known || strcmp(value, p->choices[i]) == 0;
        if (!known) {
            char list[128] = "";
            for (size_t i = 0; p->choices[i] != NULL; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                         i ? (p->choices[i + 1] ? ", " : " or ") : "", p->choices[i]);
            errbuf_set(err, errlen, "bad value for %s: \"%s\" (expected %s)", p->name,
                       value, list);
            return -1;
        }
        break;
    }
    case CONFIG_URL:
        if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0)
            why = "expected an http:// or https:// URL";
        for (const char *c = value; why == NULL && *c; c++)
            if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f ||
                strchr("\"'<>\\`", *c))
                why = "spaces, quotes, <, > and non-ASCII are not allowed in it";
        break;
    case CONFIG_ADDRESS:
    case CONFIG_OPTIONAL_ADDRESS:
        /* notice_sender may be a local part (Postfix qualifies it); who is
         * to be told must be a whole address, as the root helper demands. */
        if ((p->type == CONFIG_ADDRESS || value[0] != '\0') &&
            parse_addr_spec(value,
                            p->type == CONFIG_ADDRESS ? PARSE_ADDRESS_LOCAL_ALONE : 0,
                            reason, sizeof(reason)) != 0)
            why = reason;
        break;
    case CONFIG_LOOPBACK_LISTEN:
        why = config_check_loopback_listen(value);
        break;
    case CONFIG_NODE_NAME:
        if (parse_node_name(value, reason, sizeof(reason)) != 0)
            why = reason;
        break;
    case CONFIG_PATH:
        if (value[0] != '/')
            why = "expected an absolute path";
        break;
    case CONFIG_OPTIONAL_PATH:
        if (value[0] != '\0' && value[0] != '/')
            why = "expected an absolute path, or nothing";
        break;
    case CONFIG_TARGETS:
        why = config_check_targets(value, reason, sizeof(reason));
        break;
    case CONFIG_ZIP_NAME:
        why = config_check_zip_name(value, reason, sizeof(reason));
        break;
    case CONFIG_SOCKET:
        (void)config_valid_socket(value, &why);
        break;
    case CONFIG_LISTEN:
        why = config_check_listen(value);
        break;
    case CONFIG_TIME_ZONE:
        why = config_check_time_zone(value);
        break;
    case CONFIG_NAME:
        if (parse_name(value, reason, sizeof(reason)) != 0)
            why = reason;
        break;
    case CONFIG_STRING:
        if (value[0] == '\0')
            why = "expected a value";
        break;
    }
    if (why != NULL) {
        errbuf_set(err, errlen, "bad value for %s: \"%s\" (%s)", p->name, value, why);
        return -1;
    }
    char *copy = strdup(value);
    if (copy == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return -2;
    }
    free(*(char **)(void *)field);
    *(char **)(void *)field = copy;
    return 0;
}

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < CONFIG_NPARAMS; i++) {
        const struct config_param *p = &config_params[i];
        void *field = (char *)cfg + p->offset;
        if (p->type == CONFIG_DOMAINS)
            config_free_list(*(char ***)field);
        else if (p->type != CONFIG_SIZE && p->type != CONFIG_UINT &&
                 p->type != CONFIG_BOOL)
            free(*(char **)field);
    }
    free(cfg->source);
    free(cfg);
}

struct config *config_defaults(void)
{
    struct config *cfg = calloc(1, sizeof(*cfg));
    char err[256];

    if (cfg == NULL)
        return NULL;
    for (size_t i = 0; i < CONFIG_NPARAMS; i++) {
        if (config_set(cfg, &config_params[i], config_params[i].default_value, err,
                       sizeof(err)) != 0) {
            config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

static bool config_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* One logical line: a "name = value" line plus its continuation lines. */
struct config_line {
    char *text; /* owned, NUL-terminated, continuation lines joined by one space */
    unsigned lineno;
};

/*
 * Handles one logical line.  Returns 0, or -1 with ERR filled.
 * SEEN[i] holds the line number where parameter i was set, 0 if not yet.
 */
static int config_apply_line(struct config *cfg, const char *name_of_file,
                             const struct config_line *line, unsigned *seen, char *err,
                             size_t errlen)
{
    char *s = line->text, *eq, *end;
    const struct config_param *p;
    char why[512];

    eq = strchr(s, '=');
    if (eq == NULL) {
        errbuf_set(err, errlen, "%s:%u: missing '=' (expected \"name = value\")",
                   name_of_file, line->lineno);
        return -1;
    }
    end = eq;
    while (end > s && config_is_space(end[-1]))
        end--;
    if (end == s) {
        errbuf_set(err, errlen, "%s:%u: missing parameter name before '='", name_of_file,
                   line->lineno);
        return -1;
    }
    p = config_find(s, (size_t)(end - s));
    if (p == NULL) {
        errbuf_set(err, errlen, "%s:%u: unknown parameter \"%.*s\"", name_of_file,
                   line->lineno, (int)(end - s), s);
        return -1;
    }
    size_t idx = (size_t)(p - config_params);
    if (seen[idx] != 0) {
        errbuf_set(err, errlen, "%s:%u: %s is already set at line %u", name_of_file,
                   line->lineno, p->name, seen[idx]);
        return -1;
    }
    seen[idx] = line->lineno;

    char *value = eq + 1;
    while (config_is_space(*value))
        value++;
    end = value + strlen(value);
    while (end > value && config_is_space(end[-1]))
        end--;
    *end = '\0';
    if (config_set(cfg, p, value, why, sizeof(why)) != 0) {
        errbuf_set(err, errlen, "%s:%u: %s", name_of_file, line->lineno, why);
        return -1;
    }
    return 0;
}

/* Appends BYTES to the logical line, joining with one space if not empty. */
static int config_line_append(struct config_line *line, size_t *used, const char *bytes,
                              size_t n)
{
    size_t need = *used + n + 2;
    char *grown = realloc(line->text, need);

    if (grown == NULL)
        return -1;
    line->text = grown;
    if (*used > 0)
        line->text[(*used)++] = ' ';
    memcpy(line->text + *used, bytes, n);
    *used += n;
    line->text[*used] = '\0';
    return 0;
}

struct config *config_parse(const char *text, size_t len, const char *name, char *err,
                            size_t errlen)
{
    struct config *cfg = config_defaults();
    struct config_line line = {NULL, 0};
    size_t used = 0, pos = 0;
    unsigned lineno = 0;
    unsigned seen[CONFIG_NPARAMS] = {0};

    if (cfg == NULL)
        goto nomem;
    cfg->source = strdup(name);
    if (cfg->source == NULL)
        goto nomem;

    while (pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + (nl ? 1 : 0);
        lineno++;

        if (memchr(start, '\0', n) != NULL) {
            errbuf_set(err, errlen, "%s:%u: NUL byte in line", name, lineno);
            goto fail;
        }
        size_t lead = 0;
        while (lead < n && config_is_space(start[lead]))
            lead++;
        if (lead == n || start[lead] == '#')
            continue; /* blank or comment; Postfix also allows these inside a value */
        while (n > lead && config_is_space(start[n - 1]))
            n--;
        if (lead > 0) {
            if (line.text == NULL) {
                errbuf_set(err, errlen,
                           "%s:%u: continuation line without a parameter before it", name,
                           lineno);
                goto fail;
            }
            if (config_line_append(&line, &used, start + lead, n - lead) != 0)
                goto nomem;
            continue;
        }
        if (line.text != NULL &&
            config_apply_line(cfg, name, &line, seen, err, errlen) != 0)
            goto fail;
        free(line.text);
        line.text = NULL;
        used = 0;
        line.lineno = lineno;
        if (config_line_append(&line, &used, start, n) != 0)
            goto nomem;
    }
    if (line.text != NULL && config_apply_line(cfg, name, &line, seen, err, errlen) != 0)
        goto fail;
    free(line.text);
    line.text = NULL;
    /* Settings that only make sense together. */
    if (cfg->auto_bypass && cfg->admin_address[0] == '\0') {
        errbuf_set(err, errlen,
                   "%s: auto_bypass = yes needs admin_address: an automatic bypass lets "
                   "mail leave unchecked, and someone must be told",
                   name);
        goto fail;
    }
    return cfg;

nomem:
    errbuf_set(err, errlen, "%s: out of memory", name);
fail:
    free(line.text);
    config_free(cfg);
    return NULL;
}

struct config *config_load_from(struct files *fs, const char *path, char *err,
                                size_t errlen)
{
    const char *text;
    size_t len;
    if (files_read(fs, path, &text, &len, err, errlen) != 0)
        return NULL;
    return config_parse(text, len, path, err, errlen);
}

struct config *config_load(const char *path, char *err, size_t errlen)
{
    struct files *fs = files_new();
    if (fs == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return NULL;
    }
    struct config *cfg = config_load_from(fs, path, err, errlen);
    files_free(fs);
    return cfg;
}

void config_print(const struct config *cfg, FILE *out)
{
    for (size_t i = 0; i < CONFIG_NPARAMS; i++) {
        const struct config_param *p = &config_params[i];
        const char *field = (const char *)cfg + p->offset;

        if (p->type == CONFIG_SIZE) {
            fprintf(out, "%s = %zu\n", p->name, *(const size_t *)(const void *)field);
        } else if (p->type == CONFIG_UINT) {
            fprintf(out, "%s = %u\n", p->name, *(const unsigned *)(const void *)field);
        } else if (p->type == CONFIG_BOOL) {
            fprintf(out, "%s = %s\n", p->name,
                    *(const bool *)(const void *)field ? "yes" : "no");
        } else if (p->type == CONFIG_DOMAINS) {
            char *const *list = *(char **const *)(const void *)field;
            fprintf(out, "%s =", p->name);
            for (size_t j = 0; list != NULL && list[j] != NULL; j++)
                fprintf(out, "%s%s", j ? ", " : " ", list[j]);
            fputc('\n', out);
        } else {
            fprintf(out, "%s = %s\n", p->name, *(char *const *)(const void *)field);
        }
    }
}
