/*
 * config - the sendwatch.conf reader shared by every program.
 *
 * The file has Postfix main.cf syntax: "name = value" lines, "#" comment
 * lines, and continuation lines that start with white space.  Every name
 * must be known and every value must parse; the first problem is reported
 * as "FILE:LINE: message" in the caller's buffer.  A name given twice is
 * an error too, so an admin never wonders which line won.
 *
 * Ownership: config_load()/config_parse() return a struct config that the
 * caller owns and releases with config_free().  The struct is never
 * modified after loading, so any number of threads may read it.
 * This module never logs and never exits.
 */
#ifndef SENDWATCH_CONFIG_H
#define SENDWATCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config {
    char *milter_socket;       /* libmilter syntax: unix:/path, inet:PORT@HOST */
    char *milter_socket_group; /* group (Postfix's) allowed to connect to a unix socket */
    char *state_dir;           /* absolute path: LMDB environment and pid files */
    char *temp_dir;            /* absolute path: spill files of large messages */
    size_t message_memory_limit;  /* bytes of a message kept in RAM before spilling */
    char *run_user;               /* account the daemons drop to when started as root */
    char *syslog_name;            /* syslog ident, like Postfix's syslog_name */
    char *milter_pid_file;        /* where sendwatch-milter writes its PID (for reload) */
    char *rules_dir;              /* absolute path: the *.rules files */
    char *quarantine_dir;         /* absolute path: Maildir folders of stored copies */
    char **internal_domains;      /* NULL-terminated; ".example.com" covers subdomains */
    size_t state_map_size;        /* LMDB map size of state_dir */
    unsigned archive_max_depth;   /* nesting of archives and forwarded mail looked into */
    unsigned archive_max_entries; /* archive entries read per message */
    size_t archive_max_expanded;  /* bytes expanded from archives per message */
    unsigned archive_max_ratio;   /* expansion ratio of one archive (zip bombs) */
    size_t scan_text_limit;       /* bytes of one part read as text */
    bool hold_enable;             /* hold outgoing mail (hold_scope) for hold_minutes */
    unsigned hold_minutes;        /* 1-60 */
    unsigned hold_queue_grace;    /* seconds holdd waits for a held message's queue
                                   * file before calling it never-queued */
    char *hold_scope;             /* "external": only with a recipient outside
                                   * internal_domains; "all" */
    bool user_settings_allowed;   /* senders' own hold settings (LMDB "users") count */
    char *postfix_config_dir;     /* the Postfix instance holdd manages (postsuper -c) */
    char *holdd_pid_file;         /* where sendwatch-holdd writes its PID */
    char *holdd_socket;           /* datagram socket that wakes holdd (new work) */
    char *holdd_helper;           /* the root helper holdd execs (sendwatch-helper) */
    char *sendmail_path;          /* Postfix's sendmail, for notices */
    char *notice_sender;          /* From: and envelope sender of notices */
    char *notice_template_dir;    /* hold-notice.ja.txt, hold-notice.en.txt */
    char *language;               /* "ja" or "en": notices */
    char *web_base_url;           /* links in notices start with it */
    char *web_key_file;           /* HMAC key of the links (hex, mode 0600) */
    char *node_name;              /* this host, in links (/n/NODE/...) */
    size_t message_size_limit;    /* Postfix's: a rewritten message larger than
                                   * this is refused by the milter (0: no limit) */
    bool encrypt_attachments;     /* seal attachments into a password zip */
    char *encrypt_targets;        /* "all", "documents", "archives", ".ext" words */
    char *encrypt_scope;          /* "external" or "all", as hold_scope */
    char *encrypt_method;         /* "aes256" or "zipcrypto" */
    char *encrypt_name_charset;   /* names in the zip: "utf8" or "cp932" */
    char *encrypt_zip_name;       /* template: {first} {date} {queue_id} */
    char *encrypt_already_encrypted; /* "leave", "seal" or "reject" */
    char *encrypt_domains_file;      /* "DOMAIN encrypt|none" lines; "" for none */
    unsigned password_length;        /* characters of a generated password, 8-64 */
    char *password_notice_to;        /* "sender", "recipients" or "both" */
    bool user_password_allowed;      /* senders may keep a zip password of their
                                      * own (with user_settings_allowed; the notice
                                      * then carries their hint, not the password) */
    char *web_listen;                /* sendwatch-web: HOST:PORT (loopback by default) */
    char *web_tls_cert;              /* PEM certificate: sendwatch-web speaks HTTPS
                                      * itself ("": plain HTTP behind a proxy) */
    char *web_tls_key;               /* its private key (PEM, mode 0600) */
    char *admins_file;               /* the admin console's accounts (sendwatch admin) */
    char *web_pid_file;              /* where sendwatch-web writes its PID */
    unsigned web_session_minutes;    /* a web session ends after this long idle */
    unsigned audit_keep_days;        /* the audit log keeps this many days */
    bool web_behind_proxy;           /* trust the last X-Forwarded-For from loopback */
    char *time_zone;      /* what people read times in: "Asia/Tokyo"; "": the system's */
    char *metrics_listen; /* sendwatch-web's /metrics: loopback HOST:PORT, "" off */
    char *admin_address;  /* who is told of an automatic bypass ("" nobody) */
    bool auto_bypass;     /* holdd applies sendwatch-bypass to a sick milter */
    unsigned auto_bypass_after;     /* seconds the milter must fail its probe first */
    unsigned auto_bypass_off_after; /* seconds healthy before the bypass goes off */
    char *bypass_command;           /* sendwatch-bypass, run by the root helper */
    char *source;                   /* the file this came from, for messages */
};

/* Reads and validates FILE.  Returns NULL and fills ERR on any problem. */
struct config *config_load(const char *path, char *err, size_t errlen);

/* The same, reading FILE through FS (see files.h). */
struct files;
struct config *config_load_from(struct files *fs, const char *path, char *err,
                                size_t errlen);

/*
 * Parses TEXT (LEN bytes, need not be NUL-terminated) as if it were the
 * file NAME.  Returns NULL and fills ERR on any problem.
 */
struct config *config_parse(const char *text, size_t len, const char *name, char *err,
                            size_t errlen);

/* A config with every parameter at its default; NULL only when out of memory. */
struct config *config_defaults(void);

/* Releases CFG; NULL is allowed. */
void config_free(struct config *cfg);

/*
 * Writes every parameter as "name = value" lines to OUT, as postconf -n
 * would, so an admin can see the effective settings.
 */
void config_print(const struct config *cfg, FILE *out);

#endif
