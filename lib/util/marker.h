/*
 * marker - the header sendwatch-milter adds to mail it holds:
 * "X-Sendwatch-Hold: QUEUE_ID".  Postfix's milter_header_checks turn it
 * into HOLD (contrib/postfix), smtp_header_checks strip it on the way
 * out, and the root helper acts only on queue files that carry it with
 * their own queue ID.  Header-only, so the helper need not link the state
 * layer.
 */
#ifndef SENDWATCH_MARKER_H
#define SENDWATCH_MARKER_H

#define MARKER_HEADER "X-Sendwatch-Hold"

#endif
