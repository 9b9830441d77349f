/* policy - see policy.h. */
#include "policy.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "errbuf.h"
#include "files.h"

/* What encrypt_targets names, compiled. */
enum target_class {
    TARGET_ALL = 1u << 0,
    TARGET_DOCUMENTS = 1u << 1,
    TARGET_ARCHIVES = 1u << 2,
};

struct encrypt_policy {
    const struct config *cfg;
    struct domains *domains; /* NULL: no table */
    unsigned classes;        /* TARGET_* */
    char **extensions;       /* lower case, without the dot; NULL-terminated */
    bool scope_all;
    struct encrypt_settings settings;
};

/* Office, PDF, text, CSV and ODF files, and Japan's Ichitaro (.jtd). */
static const char *const document_extensions[] = {
    "doc",  "docx", "docm", "dot", "dotx", "xls",  "xlsx", "xlsm", "xlsb", "xlt",
    "xltx", "csv",  "tsv",  "ppt", "pptx", "pptm", "pps",  "ppsx", "pdf",  "txt",
    "rtf",  "odt",  "ods",  "odp", "odg",  "jtd",  "jtdc", "xml",  "json", NULL};
static const char *const document_types[] = {
    "application/pdf",
    "application/msword",
    "application/rtf",
    "application/vnd.ms-",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "text/",
    NULL};
static const char *const archive_extensions[] = {
    "zip", "7z",   "rar", "lzh", "lha", "tar", "gz",  "tgz", "bz2",
    "tbz", "tbz2", "xz",  "txz", "zst", "cab", "arj", NULL};
static const char *const archive_types[] = {"application/zip",        "application/x-zip",
                                            "application/x-7z",       "application/x-rar",
                                            "application/vnd.rar",    "application/gzip",
                                            "application/x-gzip",     "application/x-tar",
                                            "application/x-bzip",     "application/x-xz",
                                            "application/x-lzh",      "application/zstd",
                                            "application/vnd.ms-cab", NULL};

static void free_list(char **list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        free(list[i]);
    free(list);
}

/* Compiles encrypt_targets (checked by config already: words are known or extensions). */
static int compile_targets(struct encrypt_policy *p, const char *value)
{
    size_t n = 0;
    p->extensions = calloc(1, sizeof(*p->extensions));
    if (p->extensions == NULL)
        return -1;
    for (const char *w = value; *w;) {
        size_t len = strcspn(w, ", \t");
        if (len == 0) {
            w++;
            continue;
        }
        if (len == 3 && memcmp(w, "all", 3) == 0) {
            p->classes |= TARGET_ALL;
        } else if (len == 9 && memcmp(w, "documents", 9) == 0) {
            p->classes |= TARGET_DOCUMENTS;
        } else if (len == 8 && memcmp(w, "archives", 8) == 0) {
            p->classes |= TARGET_ARCHIVES;
        } else {
            const char *e = *w == '.' ? w + 1 : w;
            char **grown = realloc(p->extensions, (n + 2) * sizeof(*grown));
            if (grown == NULL)
                return -1;
            p->extensions = grown;
            p->extensions[n] = g_ascii_strdown(e, (gssize)(w + len - e));
            p->extensions[++n] = NULL;
        }
        w += len;
    }
    return 0;
}

struct encrypt_policy *encrypt_policy_new(const struct config *cfg, struct files *fs,
                                          char *err, size_t errlen)
{
    struct encrypt_policy *p = calloc(1, sizeof(*p));
    if (p == NULL || compile_targets(p, cfg->encrypt_targets) != 0) {
        errbuf_set(err, errlen, "out of memory");
        encrypt_policy_free(p);
        return NULL;
    }
    p->cfg = cfg;
    p->scope_all = strcmp(cfg->encrypt_scope, "all") == 0;
    /* The words config accepted, as what the sealer takes. */
    p->settings.method =
        strcmp(cfg->encrypt_method, "zipcrypto") == 0 ? SEAL_ZIPCRYPTO : SEAL_AES256;
    p->settings.names = strcmp(cfg->encrypt_name_charset, "cp932") == 0 ? SEAL_NAMES_CP932
                                                                        : SEAL_NAMES_UTF8;
    p->settings.already =
        strcmp(cfg->encrypt_already_encrypted, "reject") == 0 ? ENCRYPT_ALREADY_REJECT
        : strcmp(cfg->encrypt_already_encrypted, "seal") == 0 ? ENCRYPT_ALREADY_SEAL
                                                              : ENCRYPT_ALREADY_LEAVE;
    if (!g_utf8_validate(cfg->encrypt_zip_name, -1, NULL)) {
        errbuf_set(err, errlen, "encrypt_zip_name: \"%s\" is not UTF-8",
                   cfg->encrypt_zip_name);
        encrypt_policy_free(p);
        return NULL;
    }
    if (cfg->encrypt_domains_file[0] != '\0') {
        const char *text;
        size_t len;
        char why[512];
        if (files_read(fs, cfg->encrypt_domains_file, &text, &len, why, sizeof(why)) !=
                0 ||
            (p->domains = domains_parse(text, len, cfg->encrypt_domains_file, why,
                                        sizeof(why))) == NULL) {
            errbuf_set(err, errlen, "encrypt_domains_file: %s", why);
            encrypt_policy_free(p);
            return NULL;
        }
    }
    return p;
}

void encrypt_policy_free(struct encrypt_policy *p)
{
    if (p == NULL)
        return;
    domains_free(p->domains);
    free_list(p->extensions);
    free(p);
}

const struct encrypt_settings *encrypt_policy_settings(const struct encrypt_policy *p)
{
    return &p->settings;
}

const struct config *encrypt_policy_config(const struct encrypt_policy *p)
{
    return p->cfg;
}

const char *encrypt_source_name(enum encrypt_source s)
{
    static const char *const names[] = {"none", "rule", "policy", "sender"};
    return (unsigned)s < sizeof(names) / sizeof(*names) ? names[s] : "none";
}

/* What the table says for RECIPIENT; unlisted when it may route elsewhere. */
static enum domains_action table_action(const struct encrypt_policy *p,
                                        const char *recipient)
{
    char elsewhere[8];
    const char *at = strrchr(recipient, '@');
    if (p->domains == NULL || at == NULL ||
        address_destination(recipient, elsewhere, sizeof(elsewhere)))
        return DOMAINS_UNLISTED;
    return domains_lookup(p->domains, at + 1);
}

void encrypt_decide(const struct encrypt_policy *p, bool rule_wants, bool policy_wants,
                    bool table_binds, const char *const *recipients, size_t nrecipients,
                    struct encrypt_decision *out)
{
    const char *const *internal = (const char *const *)p->cfg->internal_domains;
    const char *exempt_example = NULL;
    size_t wanted = 0;

    bool table_only = false; /* the sender said no, the table's "encrypt" lines bind */
    memset(out, 0, sizeof(*out));
    if (!rule_wants && !policy_wants && table_binds && p->domains != NULL)
        table_only = true;
    else if (!rule_wants && !policy_wants) {
        snprintf(out->why, sizeof(out->why), "%s",
                 p->cfg->encrypt_attachments ? "turned off for this sender"
                                             : "encrypt_attachments = no, no rule asks");
        return;
    }
    for (size_t i = 0; i < nrecipients; i++) {
        enum domains_action a = table_action(p, recipients[i]);
        bool wants;
        if (a == DOMAINS_NONE) {
            wants = false;
            out->exempted++;
            if (exempt_example == NULL)
                exempt_example = recipients[i];
        } else if (a == DOMAINS_ENCRYPT) {
            wants = true;
        } else {
            wants = rule_wants ||
                    (!table_only &&
                     (p->scope_all || !address_is_internal(recipients[i], internal)));
        }
        wanted += wants;
    }
    if (wanted == 0) {
        out->exempted = 0;
        snprintf(out->why, sizeof(out->why), "%s",
                 table_only ? "turned off for this sender"
                 : exempt_example != NULL
                     ? "every recipient outside the scope or exempted "
                       "by encrypt_domains_file"
                     : "encrypt_scope = external and every recipient "
                       "is internal");
        return;
    }
    out->encrypt = true;
    out->source = rule_wants ? ENCRYPT_SOURCE_RULE : ENCRYPT_SOURCE_POLICY;
    int w =
        snprintf(out->why, sizeof(out->why), "%s",
                 rule_wants     ? "a rule says action encrypt"
                 : table_only   ? "turned off for this sender, but encrypt_domains_file "
                                  "says encrypt for a recipient's domain"
                 : p->scope_all ? "encrypt_attachments = yes, encrypt_scope = all"
                                : "encrypt_attachments = yes and a recipient is "
                                  "external");
    if (exempt_example != NULL && w > 0 && (size_t)w < sizeof(out->why))
        snprintf(out->why + w, sizeof(out->why) - (size_t)w,
                 "; recipients under different actions get the strictest: %zu exempted "
                 "by encrypt_domains_file (such as <%.80s>) get it encrypted too",
                 out->exempted, exempt_example);
}

/* The extension of NAME, lower case, without trailing dots or spaces, into BUF. */
static const char *extension_of(const char *name, char *buf, size_t len)
{
    size_t n = strlen(name);
    while (n > 0 && (name[n - 1] == '.' || name[n - 1] == ' '))
        n--;
    const char *dot = NULL;
    for (size_t i = 0; i < n; i++)
        if (name[i] == '.')
            dot = name + i;
    size_t elen = dot ? (size_t)(name + n - dot - 1) : 0;
    if (dot == NULL || elen == 0 || elen >= len)
        return NULL;
    for (size_t i = 0; i < elen; i++)
        buf[i] = g_ascii_tolower(dot[1 + i]);
    buf[elen] = '\0';
    return buf;
}

static bool in_list(const char *word, const char *const *list)
{
    for (size_t i = 0; word != NULL && list[i] != NULL; i++)
        if (strcmp(word, list[i]) == 0)
            return true;
    return false;
}

static bool type_in(const char *type, const char *const *prefixes)
{
    for (size_t i = 0; type != NULL && prefixes[i] != NULL; i++)
        if (g_ascii_strncasecmp(type, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

bool encrypt_policy_targets(const struct encrypt_policy *p, const char *name,
                            const char *type)
{
    char buf[32];
    const char *ext = name != NULL ? extension_of(name, buf, sizeof(buf)) : NULL;

    if (p->classes & TARGET_ALL)
        return true;
    if ((p->classes & TARGET_DOCUMENTS) &&
        (in_list(ext, document_extensions) || type_in(type, document_types)))
        return true;
    if ((p->classes & TARGET_ARCHIVES) &&
        (in_list(ext, archive_extensions) || type_in(type, archive_types)))
        return true;
    return in_list(ext, (const char *const *)p->extensions);
}
