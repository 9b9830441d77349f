/*
 * sendwatch test MESSAGE.eml [--from A] [--to B]... [--json] [--out FILE]
 *
 * Shows which rules match a saved message, where, and what would be done,
 * through the same inspection code the milter runs - the encryption too:
 * the zip's name, the files in it and the password (the tester is an
 * admin's tool).  --out writes the message as it would leave (its body
 * sealed as the milter would seal it) to FILE, which must not exist yet.
 * Nothing is sent, stored or changed.  Without --from/--to the envelope
 * comes from the From and To/Cc/Bcc headers.  Started as root, it reads
 * the rules and the message, opens FILE, and then becomes run_user before
 * it parses any of the mail.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "encrypt.h"
#include "fdio.h"
#include "inspect.h"
#include "json.h"
#include "log.h"
#include "privilege.h"

/* S made safe for a terminal: control bytes (ESC...) shown as \xNN. */
#define SHOWN(buf, s) log_escape(buf, sizeof(buf), (s), strlen(s))

struct test_envelope {
    const char *sender;
    const char **rcpts;
    size_t nrcpts;
};

/* What sealing the message did, when the decision was to encrypt. */
struct test_sealing {
    bool tried;
    enum encrypt_outcome outcome;
    struct encrypt_result result;
    char error[512];
};

static const char *outcome_name(enum encrypt_outcome o)
{
    switch (o) {
    case ENCRYPT_DONE:
        return "sealed";
    case ENCRYPT_NOTHING:
        return "nothing to seal";
    case ENCRYPT_FAILED:
        return "failed (the milter would answer 451)";
    case ENCRYPT_REFUSED:
        return "refused (the milter would answer 554)";
    }
    return "?";
}

static void json_list(FILE *out, char *const *list, size_t n)
{
    bool first = true;
    fputc('[', out);
    for (size_t i = 0; i < n; i++) {
        json_sep(out, &first);
        json_string(out, list[i]);
    }
    fputc(']', out);
}

/* The "encryption" member of --json (sendwatch(8)). */
static void print_json_encryption(FILE *out, const struct inspection *in,
                                  const struct test_sealing *sealing)
{
    const struct encrypt_result *r = &sealing->result;
    bool done = sealing->tried && sealing->outcome == ENCRYPT_DONE;
    fprintf(out, "\"encryption\":{\"encrypt\":%s,\"because\":",
            in->encryption.encrypt ? "true" : "false");
    json_string(out, encrypt_source_name(in->encryption.source));
    fputc(',', out);
    json_key(out, "why");
    json_string(out, in->encryption.why);
    fputc(',', out);
    json_key(out, "outcome");
    json_string(out, sealing->tried ? outcome_name(sealing->outcome) : NULL);
    fputc(',', out);
    json_key(out, "error");
    json_string(out, sealing->error[0] ? sealing->error : NULL);
    fputc(',', out);
    json_key(out, "zip");
    json_string(out, done ? r->zip_name : NULL);
    fputs(",\"files\":", out);
    json_list(out, r->files, done ? r->nfiles : 0);
    fputs(",\"left\":", out);
    json_list(out, r->left, r->nleft);
    fputc(',', out);
    json_key(out, "password");
    json_string(out, done ? r->password : NULL);
    /* The sender's own password is never shown (the milter opens it with the
     * key; the tester seals with a fresh one of its own): only that it exists. */
    fprintf(out, ",\"zip_size\":%llu,\"own_password\":%s},",
            (unsigned long long)(done ? r->zip_size : 0),
            in->own_password[0] ? "true" : "false");
}

static void print_flags(FILE *out, unsigned flags, bool as_json)
{
    bool first = true;

    for (unsigned flag = 1; flag <= VIEW_FLAG_LAST; flag <<= 1) {
        if (!(flags & flag))
            continue;
        if (as_json) {
            json_sep(out, &first);
            json_string(out, view_flag_name(flag));
        } else {
            fprintf(out, "%s%s", first ? "" : ", ", view_flag_name(flag));
            first = false;
        }
    }
    if (!as_json && first)
        fputs("none", out);
}

/*
 * The --json contract (sendwatch(8)): one object, its members in one
 * place, in the order they are documented - long, and kept so.
 */
static void print_json(FILE *out, const char *path, uint64_t size,
                       const struct test_envelope *env, const struct inspection *in,
                       const struct test_sealing *sealing)
{
    const struct view *v = in->view;
    const struct rules_verdict *vd = &in->verdict;
    char actions[2048];
    bool first;

    fputc('{', out);
    json_key(out, "message");
    json_string(out, path);
    fprintf(out, ",\"size\":%llu,", (unsigned long long)size);
    json_key(out, "subject");
    json_string(out, view_subject(v));
    fputc(',', out);
    json_key(out, "from");
    json_string(out, env->sender);
    fputs(",\"to\":[", out);
    first = true;
    for (size_t i = 0; i < env->nrcpts; i++) {
        json_sep(out, &first);
        json_string(out, env->rcpts[i]);
    }
    fprintf(out, "],\"external\":%s,\"flags\":[", vd->external ? "true" : "false");
    print_flags(out, view_flags(v), true);
    fputs("],", out);
    json_key(out, "problem");
    json_string(out, *view_problem(v) ? view_problem(v) : NULL);
    fputs(",\"attachments\":[", out);
    first = true;
    for (size_t i = 0; i < view_attachment_count(v); i++) {
        const struct view_attachment *a = view_attachment_at(v, i);
        json_sep(out, &first);
        fputc('{', out);
        json_key(out, "name");
        json_string(out, a->name);
        fputs(",\"names\":[", out);
        bool first_name = true;
        for (size_t n = 0; n < a->nnames; n++) {
            json_sep(out, &first_name);
            json_string(out, a->names[n]);
        }
        fputs("],", out);
        json_key(out, "type");
        json_string(out, a->content_type);
        fprintf(out,
                ",\"size\":%llu,\"encrypted\":%s,\"suspicious_name\":%s,\"parent\":%d,"
                "\"depth\":%u}",
                (unsigned long long)a->size, a->encrypted ? "true" : "false",
                a->suspicious_name ? "true" : "false", a->parent, a->depth);
    }
    fputs("],\"rules\":[", out);
    first = true;
    for (size_t r = 0; r < vd->nmatched; r++) {
        json_sep(out, &first);
        fputc('{', out);
        json_key(out, "name");
        json_string(out, vd->matched[r]);
        fputs(",\"matches\":[", out);
        bool first_hit = true;
        for (size_t h = 0; h < vd->nhits; h++) {
            const struct rules_hit *hit = &vd->hits[h];
            if (hit->rule != vd->matched[r])
                continue;
            json_sep(out, &first_hit);
            fputc('{', out);
            json_key(out, "field");
            json_string(out, view_field_name(hit->field));
            fputc(',', out);
            json_key(out, "header");
            json_string(out, hit->header);
            fprintf(out, ",\"attachment\":%d,", hit->attachment);
            json_key(out, "snippet");
            json_string(out, hit->snippet);
            fputc('}', out);
        }
        fputs("]}", out);
    }
    fputs("],\"actions\":[", out);
    first = true;
    inspect_describe_actions(in, actions, sizeof(actions));
    char *save = NULL;
    for (char *a = strtok_r(actions, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
        json_sep(out, &first);
        json_string(out, a);
    }
    fprintf(out, "],\"hold\":{\"seconds\":%u,\"because\":", in->hold_seconds);
    json_string(out, inspect_hold_source_name(in->hold_source));
    fputs("},", out);
    print_json_encryption(out, in, sealing);
    json_key(out, "reject_text");
    json_string(out, vd->reject_text);
    fputs("}\n", out);
}

static void print_text(FILE *out, const char *path, uint64_t size,
                       const struct test_envelope *env, const struct inspection *in,
                       const struct test_sealing *sealing)
{
    const struct view *v = in->view;
    const struct rules_verdict *vd = &in->verdict;
    char actions[2048], a[1024], b[1024];

    fprintf(out, "message:     %s (%llu bytes)\n", SHOWN(a, path),
            (unsigned long long)size);
    fprintf(out, "subject:     %s\n", SHOWN(a, view_subject(v)));
    fprintf(out, "from:        <%s>\n", SHOWN(a, env->sender));
    for (size_t i = 0; i < env->nrcpts; i++)
        fprintf(out, "%s<%s>\n",
                i ? "             " : "to:          ", SHOWN(a, env->rcpts[i]));
    fprintf(out, "direction:   %s\n", vd->external ? "external" : "internal");
    fputs("flags:       ", out);
    print_flags(out, view_flags(v), false);
    if (*view_problem(v))
        fprintf(out, " (%s)", SHOWN(a, view_problem(v)));
    fputc('\n', out);
    fprintf(out, "attachments: %zu\n", view_attachment_count(v));
    for (size_t i = 0; i < view_attachment_count(v); i++) {
        const struct view_attachment *at = view_attachment_at(v, i);
        fprintf(out, "  [%zu] %*s%s  %s  %llu bytes%s%s\n", i, (int)(2 * at->depth), "",
                at->name[0] ? SHOWN(a, at->name) : "(no name)",
                SHOWN(b, at->content_type), (unsigned long long)at->size,
                at->encrypted ? "  encrypted" : "",
                at->suspicious_name ? "  suspicious name" : "");
        for (size_t n = 1; n < at->nnames; n++)
            fprintf(out, "      %*salso named %s\n", (int)(2 * at->depth), "",
                    SHOWN(a, at->names[n]));
    }
    fprintf(out, "rules:       %zu matched\n", vd->nmatched);
    for (size_t r = 0; r < vd->nmatched; r++) {
        fprintf(out, "  %s\n", vd->matched[r]);
        for (size_t h = 0; h < vd->nhits; h++) {
            const struct rules_hit *hit = &vd->hits[h];
            if (hit->rule != vd->matched[r])
                continue;
            fprintf(out, "    %s%s%s: %s\n", view_field_name(hit->field),
                    hit->header ? ":" : "", hit->header ? SHOWN(b, hit->header) : "",
                    SHOWN(a, hit->snippet));
        }
    }
    fprintf(out, "actions:     %s\n",
            inspect_describe_actions(in, actions, sizeof(actions)));
    if (in->hold_seconds > 0)
        fprintf(out, "hold:        %u s, because of the %s\n", in->hold_seconds,
                in->hold_source == INSPECT_HOLD_RULE     ? "rule's hold action"
                : in->hold_source == INSPECT_HOLD_SENDER ? "sender's own settings"
                                                         : "hold policy (hold_enable)");
    if (vd->reject_text)
        fprintf(out, "reject text: 550 5.7.1 %s\n", vd->reject_text);
    fprintf(out, "encryption:  %s (%s)\n", in->encryption.encrypt ? "yes" : "no",
            SHOWN(a, in->encryption.why));
    const struct encrypt_result *r = &sealing->result;
    if (sealing->tried)
        fprintf(out, "  outcome:   %s%s%s\n", outcome_name(sealing->outcome),
                sealing->error[0] ? ": " : "",
                sealing->error[0] ? SHOWN(a, sealing->error) : "");
    if (sealing->tried && sealing->outcome == ENCRYPT_DONE) {
        fprintf(out, "  zip:       %s (%llu bytes)\n", SHOWN(a, r->zip_name),
                (unsigned long long)r->zip_size);
        for (size_t i = 0; i < r->nfiles; i++)
            fprintf(out, "  holds:     %s\n", SHOWN(a, r->files[i]));
        fprintf(out, "  password:  %s%s\n", r->password,
                in->own_password[0] ? " (the milter would use the sender's own)" : "");
    }
    for (size_t i = 0; i < r->nleft; i++)
        fprintf(out, "  left:      %s (an encrypted archive already)\n",
                SHOWN(a, r->left[i]));
}

/*
 * Seals the message as the milter would, when the decision says so, into
 * SEALING; with OUT (>= 0) writes the message as it would leave.  0, or
 * -1 when the message could not be written out (said on stderr).
 */
static int seal_for_test(const struct encrypt_policy *policy, const char *path,
                         struct spool *message, const struct inspection *in,
                         size_t nrecipients, int out_fd, struct test_sealing *sealing)
{
    const struct config *cfg = encrypt_policy_config(policy);
    struct spool *body = NULL;
    char err[512];
    if (in->encryption.encrypt) {
        struct encrypt_request req = {.queue_id = "NOQUEUE", .now = time(NULL)};
        body = spool_new(cfg->message_memory_limit, cfg->temp_dir);
        if (body == NULL)
            return -1;
        sealing->tried = true;
        sealing->outcome =
            encrypt_message(policy, in->view, message, &req, body, &sealing->result,
                            sealing->error, sizeof(sealing->error));
    }
    int rc = 0;
    if (out_fd >= 0) {
        bool sealed = sealing->tried && sealing->outcome == ENCRYPT_DONE;
        bool refused = sealing->tried && sealing->outcome < 0;
        uint64_t head = sealed ? sealing->result.body_start : spool_size(message);
        uint64_t size = head + (sealed ? spool_size(body) : 0);
        if (sealed && !encrypt_size_fits(cfg, size, nrecipients)) {
            fprintf(stderr,
                    "sendwatch: %s: not written out: %llu bytes once sealed, over "
                    "message_size_limit (%zu): the milter would answer 552\n",
                    path, (unsigned long long)size, cfg->message_size_limit);
            rc = -1;
        } else if (refused) {
            fprintf(stderr,
                    "sendwatch: %s: not written out: the milter would not send it\n",
                    path);
            rc = -1;
        } else if (spool_copy_to_fd(message, 0, head, out_fd, err, sizeof(err)) != 0 ||
                   (sealed && spool_copy_to_fd(body, 0, spool_size(body), out_fd, err,
                                               sizeof(err)) != 0)) {
            fprintf(stderr, "sendwatch: cannot write the message out: %s\n", err);
            rc = -1;
        }
    }
    spool_free(body);
    return rc;
}

/* Reads FP (opened from PATH) into a spool the way the milter collects a message. */
static struct spool *read_message(const struct config *cfg, FILE *fp, const char *path)
{
    char buf[65536], err[512];
    size_t n;
    struct spool *sp = spool_new(cfg->message_memory_limit, cfg->temp_dir);
    while (sp != NULL && (n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        if (spool_write(sp, buf, n, err, sizeof(err)) != 0) {
            fprintf(stderr, "sendwatch: %s: %s\n", path, err);
            spool_free(sp);
            sp = NULL;
        }
    }
    if (sp != NULL && ferror(fp)) {
        fprintf(stderr, "sendwatch: %s: read error\n", path);
        spool_free(sp);
        sp = NULL;
    }
    return sp;
}

/*
 * Root parses nothing from mail: once the message and the rules are read,
 * the tester becomes run_user (or nobody on a machine without it, saying
 * so), like the milter whose work it repeats.
 */
static int drop_for_test(const struct config *cfg)
{
    char err[512];
    uid_t uid;
    gid_t gid;
    const char *user = cfg->run_user;
    if (geteuid() != 0 && getuid() != 0)
        return 0;
    if (privilege_lookup(user, &uid, &gid, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: run_user %s does not exist here: testing as nobody\n",
                user);
        user = "nobody";
    }
    if (privilege_drop(user, err, sizeof(err)) != 0) {
        fprintf(stderr, "sendwatch: %s\n", err);
        return -1;
    }
    return 0;
}

/*
 * On a machine without the installed directories (an admin trying rules on
 * a laptop), spill files go to a private directory of ours instead of
 * temp_dir.  Made after the drop, so it is ours as run_user.  Its path
 * into *PRIVATE (to remove at the end), or NULL when temp_dir is there.
 */
static int use_private_temp_dir(struct config *cfg, bool was_root, char **private_dir)
{
    struct stat st;
    *private_dir = NULL;
    if (stat(cfg->temp_dir, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    const char *base = getenv("TMPDIR");
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/sendwatch-test-XXXXXX",
             base && base[0] == '/' && !was_root ? base : "/tmp");
    if (mkdtemp(path) == NULL) {
        fprintf(stderr,
                "sendwatch: temp_dir %s does not exist, and no private one could be "
                "made in %s: %m\n",
                cfg->temp_dir, path);
        return -1;
    }
    fprintf(stderr, "sendwatch: temp_dir %s does not exist: using %s for this test\n",
            cfg->temp_dir, path);
    if ((*private_dir = strdup(path)) == NULL) {
        rmdir(path);
        return -1;
    }
    free(cfg->temp_dir);
    cfg->temp_dir = strdup(path);
    return cfg->temp_dir ? 0 : -1;
}

/*
 * The senders' own settings count as in the milter when the admin allows
 * them: read from state_dir (read-only, as run_user).  Without state_dir
 * (a bare machine) the admin's policy alone applies, and we say so.
 */
static int open_users(const struct config *cfg, struct store **users)
{
    struct stat st;
    char err[512];
    *users = NULL;
    if (!cfg->user_settings_allowed)
        return 0;
    if (stat(cfg->state_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "sendwatch: state_dir %s does not exist: senders' own settings are "
                "not applied\n",
                cfg->state_dir);
        return 0;
    }
    char data[PATH_MAX];
    snprintf(data, sizeof(data), "%s/data.mdb", cfg->state_dir);
    if (access(data, F_OK) != 0)
        return 0; /* no daemon has run yet: nobody has settings */
    *users = store_open(cfg->state_dir, cfg->state_map_size, true, err, sizeof(err));
    if (*users == NULL) {
        fprintf(stderr, "sendwatch: %s (the milter would answer 451)\n", err);
        return -1;
    }
    return 0;
}

/*
 * Options, then the steps in the order privilege asks for: config and
 * rules and the message read as root, the drop, the private temp dir,
 * then parsing.  Long because that order is the point and reads top to
 * bottom; each step is a function of its own above.
 */
int command_test(const char *config_path, int argc, char **argv)
{
    static const struct option options[] = {{"from", required_argument, NULL, 'f'},
                                            {"to", required_argument, NULL, 't'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"out", required_argument, NULL, 'o'},
                                            {NULL, 0, NULL, 0}};
    const char *out_path = NULL;
    struct test_envelope env = {0};
    bool as_json = false, have_from = false;
    int opt, status = 1;

    optind = 0; /* glibc: start afresh for the command's own options */
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'f') {
            env.sender = optarg;
            have_from = true;
        } else if (opt == 't') {
            const char **grown = realloc(env.rcpts, (env.nrcpts + 1) * sizeof(*grown));
            if (grown == NULL)
                return 1;
            env.rcpts = grown;
            env.rcpts[env.nrcpts++] = optarg;
        } else if (opt == 'j') {
            as_json = true;
        } else if (opt == 'o') {
            out_path = optarg;
        } else {
            free(env.rcpts);
            fprintf(stderr, "usage: sendwatch [-c FILE] test MESSAGE.eml [--from A] "
                            "[--to B]... [--json] [--out FILE]\n");
            return 2;
        }
    }
    if (optind + 1 != argc) {
        free(env.rcpts);
        fprintf(stderr,
                "usage: sendwatch [-c FILE] test MESSAGE.eml [--from A] [--to B]... "
                "[--json] [--out FILE]\n");
        return 2;
    }
    const char *path = argv[optind];
    struct config *cfg = commands_load_config(config_path);
    struct rules *rules = NULL;
    struct spool *sp = NULL;
    struct inspection in = {0};
    char err[1024], *private_dir = NULL;
    struct store *users = NULL;
    struct encrypt_policy *policy = NULL;
    struct test_sealing sealing = {0};
    int out_fd = -1;

    if (cfg == NULL)
        goto done;
    rules = commands_load_rules(cfg, err, sizeof(err));
    if (rules != NULL)
        policy = commands_load_policy(cfg, err, sizeof(err));
    if (rules == NULL || policy == NULL) {
        fprintf(stderr, "sendwatch: %s\n", err);
        goto done;
    }
    /* Opened before the drop, never over an existing file or a link. */
    if (out_path != NULL &&
        (out_fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0600)) < 0) {
        fprintf(stderr, "sendwatch: %s: cannot create it: %m%s\n", out_path,
                errno == EEXIST ? " (--out never overwrites a file)" : "");
        goto done;
    }
    FILE *fp = fopen(path, "rbe");
    if (fp == NULL) {
        fprintf(stderr, "sendwatch: %s: cannot open: %m\n", path);
        goto done;
    }
    bool was_root = geteuid() == 0 || getuid() == 0; /* root's TMPDIR is not trusted */
    if (drop_for_test(cfg) != 0 ||
        use_private_temp_dir(cfg, was_root, &private_dir) != 0) {
        fclose(fp);
        goto done;
    }
    if (open_users(cfg, &users) != 0) {
        fclose(fp);
        goto done;
    }
    view_init();
    sp = read_message(cfg, fp, path);
    fclose(fp);
    if (sp == NULL)
        goto done;

    /* One view: without an envelope, its header addresses stand in for it
     * (borrowed from the view, which lives until inspect_free()). */
    const char **header_rcpts = NULL;
    int rc = inspect_view(cfg, sp, &in, err, sizeof(err));
    if (rc == 0 && !have_from)
        env.sender = view_header_from(in.view);
    if (rc == 0 && env.nrcpts == 0) {
        size_t n = view_header_rcpt_count(in.view);
        header_rcpts = calloc(n ? n : 1, sizeof(*header_rcpts));
        for (size_t i = 0; header_rcpts != NULL && i < n; i++)
            header_rcpts[i] = view_header_rcpt_at(in.view, i);
        env.rcpts = header_rcpts;
        env.nrcpts = header_rcpts ? n : 0;
    }
    if (rc == 0)
        rc = inspect_evaluate(cfg, rules, policy, users, spool_size(sp), env.sender,
                              env.rcpts, env.nrcpts, &in, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "sendwatch: %s: %s\n", path, err);
    } else if (in.verdict.error[0] != '\0') {
        fprintf(stderr, "sendwatch: %s: %s (the milter would answer 451)\n", path,
                in.verdict.error);
    } else {
        int written = seal_for_test(policy, path, sp, &in, env.nrcpts, out_fd, &sealing);
        if (as_json)
            print_json(stdout, path, spool_size(sp), &env, &in, &sealing);
        else
            print_text(stdout, path, spool_size(sp), &env, &in, &sealing);
        status = written == 0 ? 0 : 1;
    }
    encrypt_result_clear(&sealing.result);
    inspect_free(&in);
    if (header_rcpts != NULL) {
        free(header_rcpts);
        env.rcpts = NULL;
    }
done:
    if (out_fd >= 0 && close(out_fd) != 0 && status == 0) {
        fprintf(stderr, "sendwatch: %s: %m\n", out_path);
        status = 1;
    }
    if (out_fd >= 0 && status != 0)
        fprintf(stderr, "sendwatch: %s is left as it is (empty, or cut short)\n",
                out_path);
    encrypt_policy_free(policy);
    free(env.rcpts);
    spool_free(sp);
    store_close(users);
    if (private_dir != NULL)
        rmdir(private_dir); /* spill files are anonymous: it is empty */
    free(private_dir);
    rules_free(rules);
    config_free(cfg);
    return status;
}
