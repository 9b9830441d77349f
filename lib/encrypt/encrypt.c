/* encrypt - see encrypt.h. */
#include "encrypt.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "rewrite.h"

void encrypt_zip_name(const char *template_text, const char *first, const char *queue_id,
                      time_t now, char *out, size_t len)
{
    GString *s = g_string_new(NULL);
    for (const char *c = template_text; *c; c++) {
        if (strncmp(c, "{first}", 7) == 0) {
            const char *base = first != NULL && *first ? first : "attachments";
            const char *dot = strrchr(base, '.');
            size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
            for (size_t i = 0; i < n; i++)
                g_string_append_c(s, (unsigned char)base[i] < 0x20 || base[i] == 0x7f ||
                                             base[i] == '/' || base[i] == '\\'
                                         ? '_'
                                         : base[i]);
            c += 6;
        } else if (strncmp(c, "{date}", 6) == 0) {
            struct tm tm;
            char date[16];
            strftime(date, sizeof(date), "%Y%m%d", localtime_r(&now, &tm));
            g_string_append(s, date);
            c += 5;
        } else if (strncmp(c, "{queue_id}", 10) == 0) {
            g_string_append(s, queue_id != NULL ? queue_id : "");
            c += 9;
        } else {
            g_string_append_c(s, *c);
        }
    }
    /* Cut at a character boundary, never inside a UTF-8 sequence. */
    size_t n = s->len < len ? s->len : len - 1;
    while (n > 0 && n < s->len && ((unsigned char)s->str[n] & 0xc0) == 0x80)
        n--;
    memcpy(out, s->str, n);
    out[n] = '\0';
    g_string_free(s, TRUE);
}

struct choice {
    const struct encrypt_policy *p;
    const struct view *view;
    GPtrArray *files, *left;
    const struct encrypt_request *req;
    char *zip_name; /* the result's */
    size_t zip_name_len;
    bool refuse; /* an encrypted archive met with "reject" */
    char refused_name[200];
};

/* Whether every part of the message itself named NAME is an encrypted archive. */
static bool already_encrypted(const struct view *view, const char *name)
{
    bool seen = false;
    for (size_t i = 0; i < view_attachment_count(view); i++) {
        const struct view_attachment *a = view_attachment_at(view, i);
        if (a->depth != 0 || strcmp(a->name, name) != 0)
            continue;
        if (!a->encrypted)
            return false;
        seen = true;
    }
    return seen;
}

static bool choose(void *ctx, const struct rewrite_leaf *leaf)
{
    struct choice *c = ctx;
    const struct config *cfg = encrypt_policy_config(c->p);
    if (!leaf->attachment || g_ascii_strncasecmp(leaf->type, "message/", 8) == 0 ||
        !encrypt_policy_targets(c->p, leaf->name, leaf->type))
        return false;
    enum encrypt_already already = encrypt_policy_settings(c->p)->already;
    if (leaf->name != NULL && already_encrypted(c->view, leaf->name)) {
        if (already == ENCRYPT_ALREADY_REJECT) {
            c->refuse = true;
            snprintf(c->refused_name, sizeof(c->refused_name), "%s", leaf->name);
            return false;
        }
        if (already == ENCRYPT_ALREADY_LEAVE) {
            g_ptr_array_add(c->left, g_strdup(leaf->name));
            return false;
        }
    }
    g_ptr_array_add(c->files, leaf->name != NULL
                                  ? g_strdup(leaf->name)
                                  : g_strdup_printf("attachment-%zu", leaf->index + 1));
    if (c->files->len == 1)
        encrypt_zip_name(cfg->encrypt_zip_name, g_ptr_array_index(c->files, 0),
                         c->req->queue_id, c->req->now, c->zip_name, c->zip_name_len);
    return true;
}

/* A GPtrArray of g_strdup'ed strings as a malloc'ed array of malloc'ed strings. */
static char **take_list(GPtrArray *a, size_t *n)
{
    char **list = calloc(a->len + 1, sizeof(*list));
    *n = 0;
    for (guint i = 0; list != NULL && i < a->len; i++)
        if ((list[*n] = strdup(g_ptr_array_index(a, i))) != NULL)
            (*n)++;
    return list;
}

enum encrypt_outcome encrypt_message(const struct encrypt_policy *p,
                                     const struct view *view, struct spool *message,
                                     const struct encrypt_request *req,
                                     struct spool *body, struct encrypt_result *out,
                                     char *err, size_t errlen)
{
    const struct config *cfg = encrypt_policy_config(p);
    struct choice c = {
        .p = p,
        .view = view,
        .files = g_ptr_array_new_with_free_func(g_free),
        .left = g_ptr_array_new_with_free_func(g_free),
    };
    enum encrypt_outcome rc;

    memset(out, 0, sizeof(*out));
    if (req->password != NULL) {
        size_t n = strlen(req->password);
        if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
            errbuf_set(err, errlen,
                       "the sender's own password is not %d to %d characters",
                       PASSWORD_MIN, PASSWORD_MAX);
            rc = ENCRYPT_FAILED;
            goto done;
        }
        memcpy(out->password, req->password, n + 1);
    } else if (password_new(out->password, cfg->password_length) != 0) {
        errbuf_set(err, errlen, "cannot make a password: the CSPRNG failed");
        rc = ENCRYPT_FAILED;
        goto done;
    }
    /* The zip's name needs the first file's name: choose() writes it into
     * OUT->zip_name when it takes that file, before the zip's part is made. */
    c.req = req;
    c.zip_name = out->zip_name;
    c.zip_name_len = sizeof(out->zip_name);
    struct rewrite_options o = {
        .method = encrypt_policy_settings(p)->method,
        .names = encrypt_policy_settings(p)->names,
        .password = out->password,
        .zip_name = out->zip_name,
        .temp_dir = cfg->temp_dir,
        .memory_limit = cfg->message_memory_limit,
        .progress = req->progress,
        .progress_ctx = req->progress_ctx,
    };
    struct rewrite_result rr;
    char why[512];
    int r = rewrite_seal(message, &o, choose, &c, body, &rr, why, sizeof(why));
    out->left = take_list(c.left, &out->nleft);
    if (c.refuse) {
        errbuf_set(err, errlen,
                   "the attachment \"%s\" is an encrypted archive already, and "
                   "encrypt_already_encrypted = reject",
                   c.refused_name);
        rc = ENCRYPT_REFUSED;
        goto done;
    }
    if (r < 0) {
        errbuf_set(err, errlen, "%s", why);
        rc = rr.refused ? ENCRYPT_REFUSED : ENCRYPT_FAILED;
        goto done;
    }
    out->files = take_list(c.files, &out->nfiles);
    if (r == 1) {
        rc = ENCRYPT_NOTHING;
        goto done;
    }
    out->zip_size = rr.zip_size;
    out->body_start = rr.body_start;
    out->kept_utf8 = rr.names_kept_utf8;
    rc = ENCRYPT_DONE;
done:
    g_ptr_array_free(c.files, TRUE);
    g_ptr_array_free(c.left, TRUE);
    return rc;
}

bool encrypt_size_fits(const struct config *cfg, uint64_t size, size_t nrecipients)
{
    uint64_t envelope = 1024 + 300 * (uint64_t)nrecipients;
    return cfg->message_size_limit == 0 ||
           size + envelope <= (uint64_t)cfg->message_size_limit;
}

void encrypt_result_clear(struct encrypt_result *out)
{
    for (size_t i = 0; i < out->nfiles; i++)
        free(out->files[i]);
    for (size_t i = 0; i < out->nleft; i++)
        free(out->left[i]);
    free(out->files);
    free(out->left);
    out->files = out->left = NULL;
    out->nfiles = out->nleft = 0;
    password_wipe(out->password, sizeof(out->password));
}
