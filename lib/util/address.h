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

#endif
