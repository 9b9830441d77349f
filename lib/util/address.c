/* address - see address.h. */
#include "address.h"

#include <string.h>
#include <strings.h>

/*
 * Could Postfix route ADDRESS (local part: LOCAL_LEN bytes) by something
 * else than the domain after its last '@'?  Percent hack, bang path, an
 * '@' in the local part (quoted: resolve_dequoted_address), a source route.
 */
static bool address_reroutable(const char *address, size_t local_len)
{
    return address[0] == '@' || memchr(address, '%', local_len) != NULL ||
           memchr(address, '!', local_len) != NULL ||
           memchr(address, '@', local_len) != NULL;
}

bool address_is_internal(const char *address, const char *const *domains)
{
    const char *at = strrchr(address, '@');
    if (at == NULL || domains == NULL ||
        address_reroutable(address, (size_t)(at - address)))
        return false;
    const char *domain = at + 1;
    size_t dl = strlen(domain);
    for (size_t i = 0; domains[i] != NULL; i++) {
        const char *d = domains[i];
        if (d[0] == '.') {
            size_t n = strlen(d);
            if (dl > n && strcasecmp(domain + dl - n, d) == 0)
                return true;
        } else if (strcasecmp(domain, d) == 0) {
            return true;
        }
    }
    return false;
}
