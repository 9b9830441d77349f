/* privilege - see privilege.h. */
#include "privilege.h"

#include "errbuf.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int privilege_lookup(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    int rc = getpwnam_r(user, &pw, buf, sizeof(buf), &found);

    if (found == NULL) {
        errbuf_set(err, errlen, "unknown user \"%s\"%s%s", user, rc ? ": " : "",
                   rc ? strerror(rc) : "");
        return -1;
    }
    *uid = pw.pw_uid;
    *gid = pw.pw_gid;
    return 0;
}

int privilege_lookup_group(const char *group, gid_t *gid, char *err, size_t errlen)
{
    struct group gr, *found = NULL;
    char buf[16384];
    int rc = getgrnam_r(group, &gr, buf, sizeof(buf), &found);

    if (found == NULL) {
        errbuf_set(err, errlen, "unknown group \"%s\"%s%s", group, rc ? ": " : "",
                   rc ? strerror(rc) : "");
        return -1;
    }
    *gid = gr.gr_gid;
    return 0;
}

int privilege_drop(const char *user, char *err, size_t errlen)
{
    uid_t uid;
    gid_t gid;

    if (geteuid() != 0 && getuid() != 0)
        return 0;
    if (privilege_lookup(user, &uid, &gid, err, errlen) != 0)
        return -1;
    if (uid == 0) {
        errbuf_set(err, errlen, "run_user \"%s\" is root; refusing to run as root", user);
        return -1;
    }
    if (initgroups(user, gid) != 0 || setgid(gid) != 0) {
        errbuf_set(err, errlen, "cannot set groups of \"%s\": %s", user, strerror(errno));
        return -1;
    }
    if (setuid(uid) != 0) {
        errbuf_set(err, errlen, "cannot switch to user \"%s\": %s", user,
                   strerror(errno));
        return -1;
    }
    /* Prove the drop is permanent: neither ID may be root, nor can we get back. */
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid ||
        setuid(0) == 0 || seteuid(0) == 0) {
        errbuf_set(err, errlen, "privileges of \"%s\" could not be verified", user);
        return -1;
    }
    return 0;
}
