/*
 * address - what sendwatch asks of a mail address.
 *
 * address_is_internal() is the one definition of "internal" in sendwatch:
 * the rules' direction, the hold scope and the notices' "outside" marks all
 * use it.  Pure functions; thread-safe; never log.
 */
#ifndef SENDWATCH_ADDRESS_H
#define SENDWATCH_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Is ADDRESS in one of DOMAINS (NULL-terminated; ".example.com" covers its
 * subdomains, "example.com" only itself)?  The domain is what follows the
 * '@', compared without regard to ASCII case.  No '@', or no DOMAINS: not
 * internal.
 *
 * Fails closed on addresses that Postfix may route elsewhere than their
 * last '@' says (POSTFIX-FACTS.md): with its defaults allow_percent_hack,
 * swap_bangpath and resolve_dequoted_address, "bob%evil.example@corp.example",
 * "evil.example!bob@corp.example" and "\"bob@evil.example\"@corp.example"
 * leave for evil.example when corp.example is local to Postfix.  So an
 * address whose local part holds '%', '!' or an '@' (quoted or not), or
 * that starts with a source route ("@relay:bob@corp.example"), is never
 * internal.
 */
bool address_is_internal(const char *address, const char *const *domains);

/*
 * Where Postfix sends ADDRESS next when its domain is local to it and the
 * address is one of those above: "bob%evil.example@corp.example" (the last
 * '%' becomes '@'), "evil.example!bob@corp.example" (site!user becomes
 * user@site), "\"bob@evil.example\"@corp.example" (the dequoted local
 * part), "@relay:bob@corp.example" (the source route dropped, then the
 * same again).  One step, as a rule sees it.  Writes it to OUT (OUTLEN > 0
 * bytes; it is never longer than ADDRESS) and returns true, with OUT empty
 * when it did not fit; false (OUT empty) for an address that routes by its
 * last '@' alone.
 */
bool address_destination(const char *address, char *out, size_t outlen);

#endif
