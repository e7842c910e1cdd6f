/* motevm-jailer: Firecracker's jailer for motevm. Same flags and the same steps, in order:
 * close fds, build the chroot <base>/<exec-name>/<id>/root, copy the binary (and, because motevm
 * links Debian's shared libcjson and libseccomp, its loader and libraries), rlimits, cgroups,
 * join the netns, new mount namespace + pivot_root, device nodes, (daemonize, new pid ns), drop
 * to uid/gid, exec. Firecracker's docs/jailer.md describes the original. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

#include "vmm/jail/cgroup.h"
#include "vmm/jail/libs.h"

#define JAIL_DEFAULT_BASE "/srv/jailer"
#define JAIL_ID_MAX 64
#define JAIL_LIST_MAX 16

struct jail_opts {
    const char *id, *exec_file, *base, *netns;
    long uid, gid;
    int cgroup_version;
    const char *cgroups[JAIL_LIST_MAX];
    int ncgroups;
    const char *rlimits[JAIL_LIST_MAX];
    int nrlimits;
    bool daemonize, new_pid_ns;
    char **exec_args;           /* after "--" */
    int nexec_args;
};

static const char usage[] =
    "usage: motevm-jailer --id ID --exec-file PATH --uid UID --gid GID\n"
    "                     [--chroot-base-dir DIR] [--netns PATH] [--cgroup FILE=VALUE]...\n"
    "                     [--cgroup-version 1|2] [--resource-limit fsize|no-file=N]...\n"
    "                     [--daemonize] [--new-pid-ns] [-- ARGS FOR THE EXEC FILE]\n";

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    fputs("motevm-jailer: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static long parse_num(const char *flag, const char *s, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 0 || v > max)
        die("%s: must be an integer 0-%ld, not \"%s\"", flag, max, s);
    return v;
}

static void parse_flags(int argc, char **argv, struct jail_opts *o)
{
    *o = (struct jail_opts){ .base = JAIL_DEFAULT_BASE, .uid = -1, .gid = -1,
                             .cgroup_version = 1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            o->exec_args = argv + i + 1;
            o->nexec_args = argc - i - 1;
            break;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (!strcmp(a, "--version")) {
            puts("motevm-jailer v0.1.0 (firecracker-jailer-compatible)");
            exit(0);
        }
        if (!strcmp(a, "--daemonize")) {
            o->daemonize = true;
            continue;
        }
        if (!strcmp(a, "--new-pid-ns")) {
            o->new_pid_ns = true;
            continue;
        }
        if (i + 1 >= argc || !argv[i + 1][0])
            die("%s: missing value (see --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--id"))
            o->id = v;
        else if (!strcmp(a, "--exec-file"))
            o->exec_file = v;
        else if (!strcmp(a, "--uid"))
            o->uid = parse_num(a, v, 0xfffffffe);
        else if (!strcmp(a, "--gid"))
            o->gid = parse_num(a, v, 0xfffffffe);
        else if (!strcmp(a, "--chroot-base-dir"))
            o->base = v;
        else if (!strcmp(a, "--netns"))
            o->netns = v;
        else if (!strcmp(a, "--cgroup-version"))
            o->cgroup_version = parse_num(a, v, 2);
        else if (!strcmp(a, "--cgroup") && o->ncgroups < JAIL_LIST_MAX)
            o->cgroups[o->ncgroups++] = v;
        else if (!strcmp(a, "--resource-limit") && o->nrlimits < JAIL_LIST_MAX)
            o->rlimits[o->nrlimits++] = v;
        else
            die("%s: unknown flag (see --help)", a);
    }
    if (!o->id || !o->exec_file || o->uid < 0 || o->gid < 0)
        die("--id, --exec-file, --uid and --gid are required (see --help)");
    size_t n = strlen(o->id);
    if (n > JAIL_ID_MAX || strspn(o->id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-") != n)
        die("--id %s: at most %d letters, digits and '-'", o->id, JAIL_ID_MAX);
    if (o->cgroup_version != 1 && o->cgroup_version != 2)
        die("--cgroup-version: must be 1 or 2");
    if (o->base[0] != '/')
        die("--chroot-base-dir %s: must be an absolute path", o->base);
}

static void mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    if (strlen(path) >= sizeof(buf))
        die("%s: path too long", path);
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, mode) && errno != EEXIST)
            die("mkdir %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, mode) && errno != EEXIST)
        die("mkdir %s: %s", buf, strerror(errno));
}

static void copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (in < 0 || fstat(in, &st) || !S_ISREG(st.st_mode))
        die("--exec-file %s: %s", src, in < 0 ? strerror(errno) : "not a regular file");
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    if (out < 0)
        die("%s: %s", dst, strerror(errno));
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, n) != n)
            die("%s: write: %s", dst, strerror(errno));
    if (n < 0 || fchmod(out, 0755))
        die("%s: %s", dst, strerror(errno));
    close(in);
    close(out);
}

static void set_rlimit(const char *spec)
{
    const char *eq = strchr(spec, '=');
    int res;
    if (eq && !strncmp(spec, "fsize=", 6))
        res = RLIMIT_FSIZE;
    else if (eq && !strncmp(spec, "no-file=", 8))
        res = RLIMIT_NOFILE;
    else
        die("--resource-limit %s: must be fsize=N or no-file=N", spec);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(eq + 1, &end, 10);
    if (errno || *end || end == eq + 1)
        die("--resource-limit %s: N must be an integer", spec);
    struct rlimit rl = { v, v };
    if (setrlimit(res, &rl))
        die("--resource-limit %s: %s", spec, strerror(errno));
}

/* A new mount namespace whose root is the chroot (pivot_root(2), as Firecracker's jailer). */
static void enter_chroot(const char *root)
{
    if (unshare(CLONE_NEWNS))
        die("unshare(CLONE_NEWNS): %s", strerror(errno));
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL))
        die("mount / MS_SLAVE: %s", strerror(errno));
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL))
        die("bind mount %s: %s", root, strerror(errno));
    if (chdir(root))
        die("chdir %s: %s", root, strerror(errno));
    if (mkdir("old_root", 0700) && errno != EEXIST)
        die("mkdir old_root: %s", strerror(errno));
    if (syscall(SYS_pivot_root, ".", "old_root"))
        die("pivot_root %s: %s", root, strerror(errno));
    if (chdir("/"))
        die("chdir /: %s", strerror(errno));
    if (umount2("old_root", MNT_DETACH))
        die("umount old_root: %s", strerror(errno));
    if (rmdir("old_root"))
        die("rmdir old_root: %s", strerror(errno));
}

static void make_node(const char *path, unsigned major, unsigned minor, mode_t mode, uid_t uid,
                      gid_t gid)
{
    unlink(path);
    if (mknod(path, S_IFCHR | mode, makedev(major, minor)))
        die("mknod %s (%u, %u): %s", path, major, minor, strerror(errno));
    if (chown(path, uid, gid) || chmod(path, mode))   /* chmod: mknod's mode went through umask */
        die("chown %s: %s", path, strerror(errno));
}

static unsigned long long us_of(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (unsigned long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
    unsigned long long start_us = us_of(CLOCK_MONOTONIC);
    unsigned long long start_cpu_us = us_of(CLOCK_PROCESS_CPUTIME_ID);
    struct jail_opts o;
    char root[4096], exec_path[4096], err[512];

    parse_flags(argc, argv, &o);
    /* 1. Only stdin, stdout and stderr go through. */
    if (close_range(3, ~0U, 0))
        die("close_range: %s", strerror(errno));
    /* 2. The chroot: <base>/<exec-name>/<id>/root. */
    const char *slash = strrchr(o.exec_file, '/');
    const char *exec_name = slash ? slash + 1 : o.exec_file;
    if (!*exec_name)
        die("--exec-file %s: no file name", o.exec_file);
    if (snprintf(root, sizeof(root), "%s/%s/%s/root", o.base, exec_name, o.id) >=
        (int)sizeof(root))
        die("chroot path too long");
    mkdir_p(root, 0755);
    /* 3. The binary, copied in (a hard link would let the jail change the original). */
    if (snprintf(exec_path, sizeof(exec_path), "%s/%s", root, exec_name) >=
        (int)sizeof(exec_path))
        die("chroot path too long");
    copy_file(o.exec_file, exec_path);
    /* A dynamically linked binary also needs its loader and libraries, at the paths the loader
     * searches (Firecracker's is static and needs none). */
    if (jail_copy_libs(o.exec_file, root, err, sizeof(err)))
        die("--exec-file %s: %s", o.exec_file, err);
    /* 4. Resource limits. */
    for (int i = 0; i < o.nrlimits; i++)
        set_rlimit(o.rlimits[i]);
    /* 5. cgroups, with this process moved in (the exec keeps the pid). */
    for (int i = 0; i < o.ncgroups; i++)
        if (cgroup_apply(o.cgroup_version, exec_name, o.id, o.cgroups[i], getpid(), err,
                         sizeof(err)))
            die("%s", err);
    /* 6. The network namespace. */
    if (o.netns) {
        int fd = open(o.netns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET))
            die("--netns %s: %s", o.netns, strerror(errno));
        close(fd);
    }
    /* 7. New mount namespace, pivot_root into the chroot. */
    enter_chroot(root);
    /* 8. Device nodes the monitor opens, owned by the jailed uid/gid. */
    mkdir_p("/dev/net", 0755);
    make_node("/dev/kvm", 10, 232, 0600, o.uid, o.gid);
    make_node("/dev/net/tun", 10, 200, 0600, o.uid, o.gid);
    make_node("/dev/null", 1, 3, 0666, 0, 0);
    make_node("/dev/urandom", 1, 9, 0444, 0, 0);
    /* The jail's root and /run belong to the jailed user, who creates its API socket there
     * (motevm's default, as firecracker's, is /run/firecracker.socket). */
    mkdir_p("/run", 0755);
    if (chown("/", o.uid, o.gid) || chown("/run", o.uid, o.gid))
        die("chown the chroot: %s", strerror(errno));
    /* 9. Daemonize: a new session, stdio to /dev/null. */
    if (o.daemonize) {
        if (setsid() < 0 && getpid() != getsid(0))
            die("setsid: %s", strerror(errno));
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
            die("/dev/null: %s", strerror(errno));
        if (null > 2)
            close(null);
    }
    /* 10. A new pid namespace: the monitor is its init; the jailer writes its pid and leaves. */
    if (o.new_pid_ns) {
        if (unshare(CLONE_NEWPID))
            die("unshare(CLONE_NEWPID): %s", strerror(errno));
        pid_t child = fork();
        if (child < 0)
            die("fork: %s", strerror(errno));
        if (child > 0) {
            char pidfile[300];
            FILE *f = snprintf(pidfile, sizeof(pidfile), "/%s.pid", exec_name) <
                              (int)sizeof(pidfile) ? fopen(pidfile, "w") : NULL;
            if (f) {
                fprintf(f, "%d\n", (int)child);
                fclose(f);
            }
            exit(0);
        }
    }
    /* 11. Drop privileges. */
    gid_t gid = o.gid;
    if (setgroups(1, &gid) || setgid(o.gid) || setuid(o.uid))
        die("dropping to uid %ld gid %ld: %s", o.uid, o.gid, strerror(errno));
    /* 12. Exec, with Firecracker's timing flags first. */
    char **args = calloc(o.nexec_args + 10, sizeof(char *));
    char a_start[32], a_cpu[32], a_parent[32], self[300];
    int n = 0;
    if (snprintf(self, sizeof(self), "/%s", exec_name) >= (int)sizeof(self))
        die("--exec-file: file name too long");
    snprintf(a_start, sizeof(a_start), "%llu", start_us);
    snprintf(a_cpu, sizeof(a_cpu), "%llu", us_of(CLOCK_PROCESS_CPUTIME_ID) - start_cpu_us);
    snprintf(a_parent, sizeof(a_parent), "%llu", 0ULL);
    args[n++] = self;
    args[n++] = "--id";
    args[n++] = (char *)o.id;
    args[n++] = "--start-time-us";
    args[n++] = a_start;
    args[n++] = "--start-time-cpu-us";
    args[n++] = a_cpu;
    args[n++] = "--parent-cpu-time-us";
    args[n++] = a_parent;
    for (int i = 0; i < o.nexec_args; i++)
        args[n++] = o.exec_args[i];
    execv(self, args);
    die("exec %s: %s", self, strerror(errno));
}
