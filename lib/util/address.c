/* address - see address.h. */
#include "address.h"

#include <stdio.h>
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

/* After snprintf() returned N into OUT: empties OUT when it did not fit.  True. */
static bool fit(char *out, size_t outlen, int n)
{
    if (n < 0 || (size_t)n >= outlen)
        out[0] = '\0';
    return true;
}

bool address_destination(const char *address, char *out, size_t outlen)
{
    if (outlen > 0)
        out[0] = '\0';
    if (address[0] == '@') { /* "@a,@b:user@domain": the route goes */
        const char *colon = strchr(address, ':');
        if (colon == NULL)
            return false;
        const char *rest = colon + 1;
        if (!address_destination(rest, out, outlen))
            fit(out, outlen, snprintf(out, outlen, "%s", rest));
        return true;
    }
    const char *at = strrchr(address, '@');
    if (at == NULL)
        return false;
    size_t local_len = (size_t)(at - address);
    const char *local = address;
    if (local_len >= 2 && local[0] == '"' && local[local_len - 1] == '"') {
        local++; /* dequoted, as resolve_dequoted_address does */
        local_len -= 2;
    }
    const char *inner_at = memchr(local, '@', local_len);
    if (inner_at != NULL)
        return fit(out, outlen, snprintf(out, outlen, "%.*s", (int)local_len, local));
    const char *percent = NULL;
    for (size_t i = 0; i < local_len; i++)
        if (local[i] == '%')
            percent = local + i;
    if (percent != NULL)
        return fit(out, outlen,
                   snprintf(out, outlen, "%.*s@%.*s", (int)(percent - local), local,
                            (int)(local_len - (size_t)(percent - local) - 1),
                            percent + 1));
    const char *bang = memchr(local, '!', local_len);
    if (bang != NULL)
        return fit(out, outlen,
                   snprintf(out, outlen, "%.*s@%.*s",
                            (int)(local_len - (size_t)(bang - local) - 1), bang + 1,
                            (int)(bang - local), local));
    return false;
}
