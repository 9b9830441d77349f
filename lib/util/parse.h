/*
 * parse - one parser per kind of value an admin writes: numbers, sizes,
 * durations, names, node names, domains, mail addresses and the command
 * line's points in time.  sendwatch.conf, the rules files and the sendwatch command all
 * call these, so one text means one thing everywhere.
 *
 * Contract: each function takes a NUL-terminated value and returns 0 when
 * it is valid, storing the result (if any) in its out-parameter, or -1
 * when it is not, leaving the out-parameter untouched and writing one line
 * to WHY (WHYLEN bytes, NUL-terminated; WHY may be NULL): what was
 * expected, then what is wrong, with the column of a bad character within
 * the value (1-based), e.g.
 *     expected a number and a unit s, m, h or d; 'x' at column 3 is not a unit
 * The reason names neither the value nor where it came from: the caller
 * adds its own "FILE:LINE: bad value for NAME: ..." around it.  Ranges
 * (1m to 60m, 0 to 1g...) are the caller's; these check syntax and
 * overflow.  No state, no allocation, never logs: safe from any thread.
 */
#ifndef SENDWATCH_PARSE_H
#define SENDWATCH_PARSE_H

#include <stddef.h>
#include <time.h>

/* A whole number in decimal digits only (no sign, no spaces); overflow is an error. */
int parse_number(const char *s, unsigned long long *n, char *why, size_t whylen);

/*
 * A size in bytes: digits with an optional suffix k, m or g (or K, M, G),
 * powers of 1024: "512", "64k", "10M", "1g".  Overflow is an error.
 */
int parse_size(const char *s, unsigned long long *bytes, char *why, size_t whylen);

/*
 * A duration: digits and one unit, s (seconds), m (minutes), h (hours) or
 * d (days): "90s", "10m", "2h", "1d".  The unit is required: a bare number
 * is refused, because "10" meant minutes in rules and seconds on the
 * command line, and any other unit ("10x", "10M", "10min") is refused too.
 * Overflow is an error.
 */
int parse_duration(const char *s, unsigned long long *seconds, char *why, size_t whylen);

/* A name (user, group, syslog name, rule, folder): one or more of [A-Za-z0-9._-]. */
int parse_name(const char *s, char *why, size_t whylen);

#define PARSE_DOMAIN_SUBDOMAINS 0x1 /* ".example.com" (its subdomains) is allowed too */

/*
 * A domain name: letters, digits, '-' and '.', at most 253 characters, not
 * starting or ending with '.', no empty label ("a..b").  FLAGS: 0 or
 * PARSE_DOMAIN_SUBDOMAINS.
 */
int parse_domain(const char *s, unsigned flags, char *why, size_t whylen);

#define PARSE_NODE_NAME_MAX 63 /* characters of a node name, without the NUL */

/*
 * A node name (node_name: this host in the links of notices,
 * web_base_url/n/NODE/hold/TOKEN, and a field of their signed token):
 * one DNS label - letters, digits and '-', 1 to PARSE_NODE_NAME_MAX
 * characters, not starting or ending with '-'.  No '.' ("mx1", not
 * "mx1.corp.example"): the token's fields are split on '.'.  The config
 * and the token (token_make, token_verify) both check it here, so a name
 * the config accepts always makes links.
 */
int parse_node_name(const char *s, char *why, size_t whylen);

#define PARSE_ADDRESS_LOCAL_ALONE 0x1 /* "postmaster": a local-part alone will do */
#define PARSE_ADDRESS_MAX         254 /* characters of an address, without the NUL */

/*
 * A plain mail address, local-part@domain, at most PARSE_ADDRESS_MAX
 * characters: no quoting, comments, brackets or display names.  The
 * local-part uses the characters of RFC 5322's dot-atom (letters, digits,
 * '.' and !#$%&'*+-/=?^_`{|}~), dots anywhere; the domain is checked by
 * parse_domain().  For addresses a rule names (forward, sender is...).
 * FLAGS: 0 or PARSE_ADDRESS_LOCAL_ALONE.
 */
int parse_address(const char *s, unsigned flags, char *why, size_t whylen);

/*
 * The strict form, for every address that becomes a command-line
 * argument (sendmail's recipients and its -f sender, notice_sender): an
 * RFC 5322 addr-spec without its obsolete and quoted forms.  The
 * local-part is a dot-atom - atext (letters, digits and
 * !#$%&'*+-/=?^_`{|}~) in runs joined by single dots, no leading,
 * trailing or doubled '.' - and does not start with '-' (it would read as
 * an option); no quotes, backslashes, brackets, ',', ';', ':', '(', ')',
 * '<', '>', spaces, control or non-ASCII bytes.  Then '@' and a domain as
 * parse_domain() takes it (no address literal, no trailing '.').  At most
 * PARSE_ADDRESS_MAX characters.  FLAGS: 0, or PARSE_ADDRESS_LOCAL_ALONE for
 * a local-part without '@domain' (sendmail adds myorigin).
 */
int parse_addr_spec(const char *s, unsigned flags, char *why, size_t whylen);

#define PARSE_WHEN_MAX_AHEAD (100LL * 365 * 24 * 3600) /* 100 years */

/*
 * A point in time for the command line: "now" (NOW), "+DURATION" from NOW
 * (parse_duration: "+90s", "+10m", "+2h", "+1d") or seconds since the
 * epoch.  Either form may be at most PARSE_WHEN_MAX_AHEAD seconds after
 * NOW; an epoch in the past is allowed (it means at once).
 */
int parse_when(const char *s, time_t now, time_t *at, char *why, size_t whylen);

#endif
