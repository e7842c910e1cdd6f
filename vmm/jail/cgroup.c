/* The jailer's cgroups; see cgroup.h. Mount points come from /proc/mounts: for v1 the "cgroup"
 * mount whose options name the controller, for v2 the one "cgroup2" mount (kernel
 * Documentation/admin-guide/cgroup-v1/cgroups.rst, cgroup-v2.rst). */
#include "vmm/jail/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int errf(char *err, size_t errlen, int rc, const char *fmt, const char *a,
                const char *b)
{
    snprintf(err, errlen, fmt, a, b);
    return rc;
}

/* Mount point of the v1 controller (or of cgroup2 when version is 2) into out. */
static int find_mount(int version, const char *controller, char *out, size_t len)
{
    FILE *f = setmntent("/proc/mounts", "r");
    struct mntent *m;
    int rc = -ENOENT;
    if (!f)
        return -errno;
    while ((m = getmntent(f))) {
        bool hit = version == 2 ? !strcmp(m->mnt_type, "cgroup2")
                                : !strcmp(m->mnt_type, "cgroup") && hasmntopt(m, controller);
        if (hit && strlen(m->mnt_dir) < len) {
            strcpy(out, m->mnt_dir);
            rc = 0;
            break;
        }
    }
    endmntent(f);
    return rc;
}

/* out = a/b; -ENAMETOOLONG when it does not fit. */
static int join(char *out, size_t len, const char *a, const char *b)
{
    int n = snprintf(out, len, "%s/%s", a, b);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int write_file(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, value, strlen(value));
    int rc = n == (ssize_t)strlen(value) ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return rc;
}

static int read_file(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return n;
}

/* v1 cpuset: a new group starts with empty cpus/mems and refuses tasks; copy the parent's. */
static void inherit_cpuset(const char *parent, const char *dir)
{
    static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
    char src[512], dst[512], val[256];
    for (int i = 0; i < 2; i++) {
        if (join(src, sizeof(src), parent, files[i]) || join(dst, sizeof(dst), dir, files[i]))
            return;
        if (read_file(dst, val, sizeof(val)) > 1)
            continue;
        if (read_file(src, val, sizeof(val)) > 0)
            write_file(dst, val);
    }
}

int cgroup_apply(int version, const char *exec_name, const char *id, const char *setting,
                 pid_t pid, char *err, size_t errlen)
{
    char file[128], controller[64], mnt[256], dir[512], path[700], pidbuf[32];
    const char *eq = strchr(setting, '=');
    const char *dot = strchr(setting, '.');
    int rc;

    if (!eq || !dot || dot > eq || eq == setting || (size_t)(eq - setting) >= sizeof(file) ||
        (size_t)(dot - setting) >= sizeof(controller) || strchr(setting, '/'))
        return errf(err, errlen, -EINVAL, "--cgroup %s: must be <controller>.<file>=<value>",
                    setting, NULL);
    memcpy(file, setting, eq - setting);
    file[eq - setting] = '\0';
    memcpy(controller, setting, dot - setting);
    controller[dot - setting] = '\0';

    if ((rc = find_mount(version, controller, mnt, sizeof(mnt))))
        return errf(err, errlen, rc, "--cgroup %s: no cgroup%s mount for this controller",
                    setting, version == 2 ? "2" : " v1");
    if (join(dir, sizeof(dir), mnt, exec_name))
        return errf(err, errlen, -ENAMETOOLONG, "--cgroup %s: path too long", setting, NULL);
    if (mkdir(dir, 0755) && errno != EEXIST)
        return errf(err, errlen, -errno, "--cgroup: mkdir %s: %s", dir, strerror(errno));
    if (version == 1 && !strcmp(controller, "cpuset"))
        inherit_cpuset(mnt, dir);
    if (version == 2) {
        /* The controller must be enabled for the children of each level. */
        char plus[80];
        snprintf(plus, sizeof(plus), "+%s", controller);
        if (!join(path, sizeof(path), mnt, "cgroup.subtree_control"))
            write_file(path, plus);
        if (!join(path, sizeof(path), dir, "cgroup.subtree_control"))
            write_file(path, plus);
    }
    char parent[512];
    strcpy(parent, dir);
    if (join(dir, sizeof(dir), parent, id))
        return errf(err, errlen, -ENAMETOOLONG, "--cgroup %s: path too long", setting, NULL);
    if (mkdir(dir, 0755) && errno != EEXIST)
        return errf(err, errlen, -errno, "--cgroup: mkdir %s: %s", dir, strerror(errno));
    if (version == 1 && !strcmp(controller, "cpuset"))
        inherit_cpuset(parent, dir);

    if (join(path, sizeof(path), dir, file))
        return errf(err, errlen, -ENAMETOOLONG, "--cgroup %s: path too long", setting, NULL);
    if ((rc = write_file(path, eq + 1)))
        return errf(err, errlen, rc, "--cgroup: %s: %s", path, strerror(-rc));
    if (join(path, sizeof(path), dir, version == 2 ? "cgroup.procs" : "tasks"))
        return -ENAMETOOLONG;
    snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
    if ((rc = write_file(path, pidbuf)))
        return errf(err, errlen, rc, "--cgroup: %s: %s", path, strerror(-rc));
    return 0;
}
