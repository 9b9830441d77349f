/*
 * nullmilter - the benchmark's floor: a libmilter milter that reads every
 * byte of every message and changes nothing.
 *
 * It negotiates the same protocol steps as sendwatch-milter (no HELO, no
 * DATA, no unknown commands, no replies to headers and body chunks), so the
 * difference between the two is what sendwatch does with the bytes, not
 * how many round trips the milter protocol costs.
 *
 * usage: nullmilter unix:/path/to/socket
 * Runs in the foreground; SIGTERM stops it.  Not installed.
 */
#include <libmilter/mfapi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct null_message {
    unsigned long protocol; /* SMFIP_* agreed in negotiate */
    uint64_t bytes;
    uint32_t checksum; /* so the compiler cannot skip reading the bytes */
};

static void null_consume(struct null_message *m, const unsigned char *p, size_t len)
{
    uint32_t sum = m->checksum;

    for (size_t i = 0; i < len; i++)
        sum = sum * 31 + p[i];
    m->checksum = sum;
    m->bytes += len;
}

static struct null_message *null_get(SMFICTX *ctx)
{
    struct null_message *m = smfi_getpriv(ctx);

    if (m == NULL) {
        m = calloc(1, sizeof(*m));
        smfi_setpriv(ctx, m);
    }
    return m;
}

static sfsistat null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                               unsigned long f2, unsigned long f3, unsigned long *pf0,
                               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    struct null_message *m = null_get(ctx);
    (void)f0;
    (void)f2;
    (void)f3;
    if (m == NULL)
        return SMFIS_TEMPFAIL;
    *pf0 = 0;
    *pf1 = m->protocol =
        f1 & (SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NR_HDR |
              SMFIP_NR_EOH | SMFIP_NR_BODY | SMFIP_HDR_LEADSPC);
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

static sfsistat null_envfrom(SMFICTX *ctx, char **argv)
{
    struct null_message *m = null_get(ctx);

    if (m == NULL)
        return SMFIS_TEMPFAIL;
    m->bytes = 0;
    m->checksum = 0;
    null_consume(m, (const unsigned char *)argv[0], strlen(argv[0]));
    return SMFIS_CONTINUE;
}

static sfsistat null_header(SMFICTX *ctx, char *name, char *value)
{
    struct null_message *m = null_get(ctx);

    null_consume(m, (const unsigned char *)name, strlen(name));
    null_consume(m, (const unsigned char *)value, strlen(value));
    return (m->protocol & SMFIP_NR_HDR) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat null_eoh(SMFICTX *ctx)
{
    return (null_get(ctx)->protocol & SMFIP_NR_EOH) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
    struct null_message *m = null_get(ctx);

    null_consume(m, chunk, len);
    return (m->protocol & SMFIP_NR_BODY) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat null_eom(SMFICTX *ctx)
{
    (void)smfi_getsymval(ctx, "i");
    return SMFIS_CONTINUE;
}

static sfsistat null_close(SMFICTX *ctx)
{
    free(smfi_getpriv(ctx));
    smfi_setpriv(ctx, NULL);
    return SMFIS_CONTINUE;
}

int main(int argc, char **argv)
{
    struct smfiDesc desc = {
        .xxfi_name = "nullmilter",
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = 0,
        .xxfi_envfrom = null_envfrom,
        .xxfi_header = null_header,
        .xxfi_eoh = null_eoh,
        .xxfi_body = null_body,
        .xxfi_eom = null_eom,
        .xxfi_close = null_close,
        .xxfi_negotiate = null_negotiate,
    };

    if (argc != 2) {
        fprintf(stderr, "usage: nullmilter unix:/path/to/socket\n");
        return 2;
    }
    umask(0); /* a bench-only socket in a private directory: Postfix must connect */
    if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS ||
        smfi_opensocket(true) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: cannot listen on %s\n", argv[1]);
        return 1;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
