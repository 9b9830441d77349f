/* privilege - see privilege.h. */
#include "privilege.h"

#include "errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
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

int privilege_as_user(const char *user, const char *group, int (*fn)(void *ctx),
                      void *ctx, char *err, size_t errlen)
{
    uid_t uid;
    gid_t gid, egid;

    if (geteuid() != 0)
        return fn(ctx);
    if (privilege_lookup(user, &uid, &gid, err, errlen) != 0)
        return -1;
    egid = gid;
    if (group != NULL && privilege_lookup_group(group, &egid, err, errlen) != 0)
        return -1;

    gid_t saved_egid = getegid();
    int nsaved = getgroups(0, NULL);
    gid_t *saved = nsaved >= 0 ? calloc((size_t)nsaved + 1, sizeof(*saved)) : NULL;
    if (saved == NULL || (nsaved = getgroups(nsaved, saved)) < 0) {
        free(saved);
        errbuf_set(err, errlen, "cannot read this process's groups: %s", strerror(errno));
        return -1;
    }
    /* Groups first: once the euid is not root they cannot be changed. */
    if (initgroups(user, gid) != 0 || setegid(egid) != 0 || seteuid(uid) != 0) {
        errbuf_set(err, errlen, "cannot act as \"%s\": %s", user, strerror(errno));
        int back = seteuid(0) == 0 && setegid(saved_egid) == 0 &&
                   setgroups((size_t)nsaved, saved) == 0;
        free(saved);
        return back ? -1 : -2;
    }
    int rc = fn(ctx);
    int fn_errno = errno;
    if (seteuid(0) != 0 || setegid(saved_egid) != 0 ||
        setgroups((size_t)nsaved, saved) != 0) {
        errbuf_set(err, errlen, "cannot become root again after acting as \"%s\": %s",
                   user, strerror(errno));
        rc = -2;
    }
    free(saved);
    errno = fn_errno;
    return rc;
}

struct access_question {
    const char *path;
    int mode;
    int answer_errno;
};

static int ask_access(void *ctx)
{
    struct access_question *q = ctx;
    /* AT_EACCESS: the effective IDs that privilege_as_user set, not the real ones. */
    q->answer_errno = faccessat(AT_FDCWD, q->path, q->mode, AT_EACCESS) == 0 ? 0 : errno;
    return 0;
}

int privilege_user_can(const char *user, const char *path, int mode, char *why,
                       size_t whylen, char *err, size_t errlen)
{
    struct access_question q = {path, mode, 0};
    int rc = privilege_as_user(user, NULL, ask_access, &q, err, errlen);
    if (rc != 0)
        return rc; /* -1, or -2: root is lost, the caller must exit */
    if (q.answer_errno != 0) {
        errbuf_set(why, whylen, "%s", strerror(q.answer_errno));
        return 0;
    }
    return 1;
}
