/* view_smime - see view_smime.h. */
#include "view_smime.h"

#include <limits.h>
#include <openssl/asn1.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <string.h>
#include <zlib.h>

#include "errbuf.h"

/* Inflates IN (LEN bytes, a zlib stream) onto OUT, never past CAP bytes. */
static enum view_smime_status view_smime_inflate(const unsigned char *in, size_t len,
                                                 struct spool *out, uint64_t cap,
                                                 char *err, size_t errlen)
{
    unsigned char buf[65536];
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit(&zs) != Z_OK) {
        errbuf_set(err, errlen, "out of memory");
        return VIEW_SMIME_ERROR;
    }
    enum view_smime_status status = VIEW_SMIME_BROKEN;
    uint64_t total = 0;
    for (;;) {
        if (zs.avail_in == 0 && len > 0) {
            zs.next_in = (Bytef *)in; /* zlib's API is not const; it only reads */
            zs.avail_in = len > UINT_MAX ? UINT_MAX : (uInt)len;
            in += zs.avail_in;
            len -= zs.avail_in;
        }
        zs.next_out = buf;
        zs.avail_out = sizeof(buf);
        int rc = inflate(&zs, Z_NO_FLUSH);
        size_t n = sizeof(buf) - zs.avail_out;
        bool cut = n > cap - total;
        if (cut)
            n = (size_t)(cap - total);
        if (n > 0 && spool_write(out, buf, n, err, errlen) != 0) {
            status = VIEW_SMIME_ERROR;
            break;
        }
        total += n;
        if (cut) {
            status = VIEW_SMIME_CUT;
            break;
        }
        if (rc == Z_STREAM_END) {
            status = VIEW_SMIME_CONTENT;
            break;
        }
        if (rc == Z_MEM_ERROR) {
            errbuf_set(err, errlen, "out of memory");
            status = VIEW_SMIME_ERROR;
        }
        if (rc != Z_OK)
            break; /* not zlib, or cut short: BROKEN */
    }
    inflateEnd(&zs);
    return status;
}

/* Whether content of type NID carries its content in the clear. */
static bool view_smime_clear(int nid)
{
    return nid == NID_pkcs7_data || nid == NID_pkcs7_signed || nid == NID_pkcs7_digest ||
           nid == NID_id_smime_ct_authData || nid == NID_id_smime_ct_compressedData;
}

enum view_smime_status view_smime_open(const void *der, size_t len, struct spool *out,
                                       uint64_t max_out, struct view_smime_content *what,
                                       char *err, size_t errlen)
{
    const unsigned char *p = der;
    enum view_smime_status status = VIEW_SMIME_NOT_CMS;

    ERR_set_mark();
    CMS_ContentInfo *cms =
        len <= LONG_MAX ? d2i_CMS_ContentInfo(NULL, &p, (long)len) : NULL;
    int nid = cms ? OBJ_obj2nid(CMS_get0_type(cms)) : NID_undef;
    if (nid == NID_pkcs7_enveloped || nid == NID_pkcs7_encrypted ||
        nid == NID_id_smime_ct_authEnvelopedData || nid == NID_pkcs7_signedAndEnveloped) {
        status = VIEW_SMIME_ENCRYPTED;
    } else if (view_smime_clear(nid)) {
        ASN1_OCTET_STRING **content = CMS_get0_content(cms);
        const unsigned char *bytes =
            content && *content ? ASN1_STRING_get0_data(*content) : NULL;
        size_t n = bytes ? (size_t)ASN1_STRING_length(*content) : 0;
        int inner = nid == NID_pkcs7_data ? NID_pkcs7_data
                                          : OBJ_obj2nid(CMS_get0_eContentType(cms));
        what->compressed = nid == NID_id_smime_ct_compressedData;
        what->nested = inner == NID_pkcs7_signed                 ? "signed-data"
                       : inner == NID_id_smime_ct_compressedData ? "compressed-data"
                                                                 : NULL;
        if (bytes == NULL)
            status = VIEW_SMIME_EMPTY;
        else if (out == NULL)
            status = VIEW_SMIME_CONTENT;
        else if (what->compressed)
            status = view_smime_inflate(bytes, n, out, max_out, err, errlen);
        else
            status = spool_write(out, bytes, n, err, errlen) == 0 ? VIEW_SMIME_CONTENT
                                                                  : VIEW_SMIME_ERROR;
    }
    CMS_ContentInfo_free(cms);
    ERR_pop_to_mark();
    return status;
}
