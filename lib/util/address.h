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
 * last '@', compared without regard to ASCII case.  No '@', or no
 * DOMAINS: not internal.
 * XXX Postfix's percent hack, bang paths and quoted local parts can route
 * "bob%evil.example@corp.example" off-site (POSTFIX-FACTS.md); such
 * addresses are still judged by their last '@' here.
 */
bool address_is_internal(const char *address, const char *const *domains);

#endif
