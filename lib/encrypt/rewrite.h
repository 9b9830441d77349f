/*
 * rewrite - a message whose chosen attachments are replaced by one
 * password-protected zip (seal.h), every other byte as it was.
 *
 * The message is parsed with GMime from the caller's spool.  Its leaf
 * parts are offered to the caller in document order (rewrite_choose_fn);
 * the chosen ones are decoded, sealed into one zip, and the body is
 * written anew: the first chosen part's bytes, from the line after its
 * boundary delimiter to the end of its content, are replaced by a new
 * part (application/zip, its name encoded by GMime, base64); each other
 * chosen part is cut with the delimiter line before it.  Headers, the
 * preamble and epilogue, every other part and every delimiter stay
 * byte-identical, so the result needs only smfi_replacebody().
 *
 * What is rewritten is checked before it is given: the new message is
 * parsed again and must hold the same parts, less the chosen ones, plus
 * the zip, each kept part with the same content bytes.  Anything else -
 * and any message whose structure is not plainly one multipart tree (a
 * single-part message, a chosen part whose delimiter cannot be found) -
 * is an error: the caller fails closed.
 *
 * Not thread-safe per message; messages may be rewritten in parallel.
 * Nothing is logged, and the password goes nowhere but into the zip.
 */
#ifndef SENDWATCH_REWRITE_H
#define SENDWATCH_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "seal.h"
#include "spool.h"

struct rewrite_options {
    enum seal_method method;
    enum seal_names names;
    const char *password;
    const char *zip_name; /* UTF-8: the zip attachment's file name */
    const char *temp_dir;
    size_t memory_limit; /* bytes of a spool kept in RAM */
    /* Called now and then while the zip is written (seal_set_progress()); may be NULL. */
    void (*progress)(void *ctx);
    void *progress_ctx;
};

/* A leaf part of the message, as the caller sees it to choose. */
struct rewrite_leaf {
    size_t index;     /* in document order, from 0 */
    const char *type; /* "text/csv" */
    const char *name; /* its file name, UTF-8 decoded; NULL when none */
    bool attachment;  /* Content-Disposition: attachment, or a file name */
};

/* Whether LEAF goes into the zip. */
typedef bool (*rewrite_choose_fn)(void *ctx, const struct rewrite_leaf *leaf);

struct rewrite_result {
    size_t sealed;          /* parts that went into the zip */
    uint64_t zip_size;      /* bytes of the zip, before base64 */
    uint64_t body_start;    /* where MESSAGE's body starts: what BODY replaces */
    size_t names_kept_utf8; /* see seal_names_kept_utf8() */
    bool refused;           /* -1 for what the message is (its structure, an attachment
                             * that does not decode): a retry would fail the same */
};

/*
 * Rewrites MESSAGE (headers and body, as received).  Returns 0 with the new
 * body (from the first byte after the blank line that ends the headers)
 * appended to BODY; 1 when CHOOSE took no part (BODY untouched); -1 with
 * ERR filled (a message that cannot be rewritten safely, a zip error, a
 * full disk).  RESULT says what was done.
 */
int rewrite_seal(struct spool *message, const struct rewrite_options *options,
                 rewrite_choose_fn choose, void *ctx, struct spool *body,
                 struct rewrite_result *result, char *err, size_t errlen);

#endif
