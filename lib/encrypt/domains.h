/*
 * domains - what the admin wants for mail to each recipient domain
 * (encrypt_domains_file): lines of "DOMAIN ACTION", "#" comments and blank
 * lines; the action is "encrypt" or "none" (partners whose mail servers
 * strip or refuse encrypted zips).  A line covers its domain and every
 * subdomain; the most specific line wins, so "example.com none" and
 * "secure.example.com encrypt" mean what they say.  A third action, a
 * download link, can join once the web service exists: the actions are an
 * enum, and the parser names what it does not know.
 *
 * Every problem is an error with "FILE:LINE: message" (a bad domain, an
 * unknown action, a domain twice): a table that loads is exactly what the
 * admin wrote.  Domains compare without regard to ASCII case or a trailing
 * dot.  Immutable once loaded: any number of threads may look up.
 */
#ifndef SENDWATCH_DOMAINS_H
#define SENDWATCH_DOMAINS_H

#include <stddef.h>

enum domains_action {
    DOMAINS_UNLISTED, /* no line covers the domain: the policy's default */
    DOMAINS_ENCRYPT,
    DOMAINS_NONE,
};

struct domains;

/* Parses TEXT (LEN bytes) as the file NAME.  NULL with ERR filled on any problem. */
struct domains *domains_parse(const char *text, size_t len, const char *name, char *err,
                              size_t errlen);

/* Reads and parses the file PATH.  NULL with ERR filled. */
struct domains *domains_load(const char *path, char *err, size_t errlen);

/* What the most specific line covering DOMAIN says (DOMAINS_UNLISTED: none). */
enum domains_action domains_lookup(const struct domains *d, const char *domain);

/* "encrypt", "none" or "unlisted". */
const char *domains_action_name(enum domains_action a);

/* How many lines the table has. */
size_t domains_count(const struct domains *d);

void domains_free(struct domains *d);

#endif
