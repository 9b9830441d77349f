/*
 * view_smime - what an S/MIME part wraps, internal to the view.
 *
 * OpenSSL's CMS decoder and zlib live behind this module.  Given the
 * decoded body of an application/pkcs7-mime part (or of a *.p7m file), the
 * DER or BER of a CMS ContentInfo, view_smime_open() says what it is and
 * writes the content anyone can read into a spool:
 *  - SignedData (opaque signed mail), DigestedData, AuthenticatedData,
 *    Data: the encapsulated content as it stands.  No signature, digest or
 *    MAC is checked: the view inspects what the recipient gets, it vouches
 *    for nothing;
 *  - CompressedData (RFC 3274): the content inflated with zlib - not with
 *    CMS_uncompress(), which Debian's OpenSSL (built without zlib) lacks,
 *    and which has no cap - never past MAX_OUT bytes;
 *  - EnvelopedData, AuthEnvelopedData, EncryptedData: encrypted, nothing
 *    written;
 *  - anything else: not a CMS structure this module opens.
 * What is written is normally a MIME entity (RFC 8551); when the content
 * type inside is itself signed or compressed data, it is another
 * ContentInfo to open in turn.
 *
 * A pure function of its arguments: thread-safe, never logs.  OpenSSL's
 * error queue (per thread) is left empty.  The ContentInfo, content
 * included, is held in memory while it is decoded, since OpenSSL decodes
 * CMS from memory only: an S/MIME part costs its decoded size once more,
 * bounded by Postfix's message_size_limit.
 */
#ifndef SENDWATCH_VIEW_SMIME_H
#define SENDWATCH_VIEW_SMIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spool.h"

enum view_smime_status {
    VIEW_SMIME_CONTENT,   /* the whole content was written */
    VIEW_SMIME_CUT,       /* compressed: inflated past a cap; OUT holds the start */
    VIEW_SMIME_BROKEN,    /* compressed: the content does not inflate (not zlib,
                           * cut short); OUT holds what did */
    VIEW_SMIME_EMPTY,     /* signed data without content: certs-only, or a
                           * detached signature */
    VIEW_SMIME_ENCRYPTED, /* enveloped, auth-enveloped or encrypted data */
    VIEW_SMIME_NOT_CMS,   /* no ContentInfo, or of a type not opened here */
    VIEW_SMIME_ERROR,     /* out of memory, or OUT could not be written: ERR */
};

struct view_smime_content {
    bool compressed; /* CompressedData: OUT was inflated */
    /* NULL: OUT is a MIME entity.  Else OUT is another ContentInfo, of this
     * smime-type: "signed-data" or "compressed-data". */
    const char *nested;
};

/*
 * Opens DER (LEN bytes) and appends its content to OUT; with OUT NULL it
 * only says what DER is (the content then counts as written).  MAX_OUT
 * caps what compressed data inflates to.  *WHAT is filled for
 * VIEW_SMIME_CONTENT, _CUT and _BROKEN; ERR for VIEW_SMIME_ERROR.
 */
enum view_smime_status view_smime_open(const void *der, size_t len, struct spool *out,
                                       uint64_t max_out, struct view_smime_content *what,
                                       char *err, size_t errlen);

#endif
