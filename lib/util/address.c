/* address - see address.h. */
#include "address.h"

#include <string.h>
#include <strings.h>

bool address_is_internal(const char *address, const char *const *domains)
{
    const char *at = strrchr(address, '@');
    if (at == NULL || domains == NULL)
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
