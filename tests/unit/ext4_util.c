/* Host helpers for the ext4 tests: see ext4_util.h. */
#include "ext4_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

void *ext4_malloc(size_t size);
void ext4_mfree(void *p);
void *ext4_malloc(size_t size)
{
    return calloc(1, size ? size : 1);
}
void ext4_mfree(void *p)
{
    free(p);
}

static int fd_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct filedev *d = ctx;
    ssize_t n = pread(d->fd, buf, len, (off_t)off);
    if (n < 0)
        return -EIO;
    if ((size_t)n < len)
        memset((char *)buf + n, 0, len - (size_t)n);
    return 0;
}
static int fd_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct filedev *d = ctx;
    return pwrite(d->fd, buf, len, (off_t)off) == (ssize_t)len ? 0 : -EIO;
}
static int fd_flush(void *ctx)
{
    struct filedev *d = ctx;
    d->flushes++;
    if (d->real_flush && fdatasync(d->fd))
        return -EIO;
    return 0;
}
static void fd_now(void *ctx, int64_t *sec, uint32_t *nsec)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *sec = ts.tv_sec;
    *nsec = (uint32_t)ts.tv_nsec;
}

int filedev_open(struct filedev *d, const char *path)
{
    memset(d, 0, sizeof(*d));
    d->fd = open(path, O_RDWR);
    if (d->fd < 0)
        return -errno;
    struct stat st;
    fstat(d->fd, &st);
    d->dev = (struct ext4_dev){ fd_read, fd_write, fd_flush, fd_now, d, (uint64_t)st.st_size };
    return 0;
}

void filedev_close(struct filedev *d)
{
    close(d->fd);
}

struct ext4_fs *mount_image(struct filedev *d, const char *path, unsigned flags)
{
    if (filedev_open(d, path))
        return NULL;
    const char *c = getenv("EXT4_CACHE_BLOCKS");
    struct ext4_mount_opts o = { .flags = flags, .cache_blocks = c ? (unsigned)atoi(c) : 512 };
    struct ext4_fs *fs;
    char why[128];
    int err = ext4_mount(&d->dev, &o, &fs, why, sizeof(why));
    if (err) {
        fprintf(stderr, "mount %s: %d %s\n", path, err, why);
        filedev_close(d);
        return NULL;
    }
    return fs;
}

int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

int make_image(const char *img, const char *type, unsigned bs, unsigned mib, const char *dir,
               const char *extra)
{
    unlink(img);
    char d[1100] = "";
    if (dir)
        snprintf(d, sizeof(d), "-d %s", dir);
    return sh("mke2fs -q -F -t %s -b %u %s %s %s %uM >/dev/null 2>&1", type, bs, extra, d, img,
              mib);
}

int fsck_clean(const char *img)
{
    int st = sh("e2fsck -fn %s >/tmp/ext4-fsck.out 2>&1", img);
    if (st)
        sh("cat /tmp/ext4-fsck.out >&2");
    return st;
}

char *temp_dir(const char *tag)
{
    char *p = malloc(256);
    snprintf(p, 256, "/tmp/ext4-%s-XXXXXX", tag);
    return mkdtemp(p);
}

void cleanup_dir(const char *dir)
{
    if (dir && !strncmp(dir, "/tmp/ext4-", 10))
        sh("rm -rf '%s'", dir);
}

static void put_file(const char *path, uint64_t size, unsigned seed)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    char buf[65536];
    uint64_t done = 0;
    uint32_t x = seed * 2654435761u + 1;
    while (done < size) {
        size_t n = (size_t)(size - done < sizeof(buf) ? size - done : sizeof(buf));
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (char)(x >> 16);
        }
        if (write(fd, buf, n) != (ssize_t)n)
            abort();
        done += n;
    }
    close(fd);
}

static void put_at(const char *path, uint64_t off, const char *data, size_t len, uint64_t size)
{
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    if (pwrite(fd, data, len, (off_t)off) != (ssize_t)len || ftruncate(fd, (off_t)size))
        abort();
    close(fd);
}

void make_tree(const char *root)
{
    char p[4096];
    static const uint64_t sizes[] = { 0, 1, 100, 1023, 1024, 1025, 4095, 4096, 4097, 12288,
                                      49152, 49153, 100000, 300000, 1048579, 5u << 20 };
    sh("mkdir -p %s/files %s/sparse %s/links %s/big", root, root, root, root);
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        snprintf(p, sizeof(p), "%s/files/f%u_%llu", root, i, (unsigned long long)sizes[i]);
        put_file(p, sizes[i], i + 1);
    }
    snprintf(p, sizeof(p), "%s/sparse/holes", root);
    put_at(p, 1 << 20, "middle", 6, 3 << 20);
    put_at(p, (3 << 20) - 5, "end!!", 5, 3 << 20);
    snprintf(p, sizeof(p), "%s/sparse/past4g", root);
    put_at(p, (5ull << 30) + 12345, "data past four GiB", 18, (5ull << 30) + 40000);
    put_at(p, 7, "start", 5, (5ull << 30) + 40000);
    snprintf(p, sizeof(p), "%s/sparse/allhole", root);
    put_at(p, 0, "", 0, 10 << 20);
    /* deep directories */
    char deep[4096];
    int n = snprintf(deep, sizeof(deep), "%s/deep", root);
    for (int i = 0; i < 30; i++)
        n += snprintf(deep + n, sizeof(deep) - (size_t)n, "/d%02d", i);
    sh("mkdir -p %s && echo bottom > %s/leaf", deep, deep);
    /* long names */
    char name[256];
    memset(name, 'n', 255);
    name[255] = '\0';
    snprintf(p, sizeof(p), "%s/%s", root, name);
    put_file(p, 777, 99);
    name[254] = 'd';
    sh("mkdir -p %s/files/%s && echo x > %s/files/%s/x", root, name, root, name);
    /* symlinks: fast (< 60 bytes), slow, dangling, a chain, to a directory */
    sh("cd %s/links && ln -s ../files/f2_100 fast && ln -s %0200d slow_dangling && "
       "ln -s ../files/../files/../files/../files/../files/../files/../files/../files/f3_1023 slow "
       "&& ln -s fast chain && ln -s ../deep dirlink && ln ../files/f4_1024 hard1 && "
       "ln ../files/f4_1024 hard2", root, 7);
    /* a hash-indexed directory */
    for (int i = 0; i < 2000; i++) {
        snprintf(p, sizeof(p), "%s/big/entry-with-a-longish-name-%05d", root, i);
        if (i % 100 == 0)
            put_file(p, (uint64_t)i, (unsigned)i);
        else
            close(open(p, O_CREAT | O_WRONLY, 0600));
    }
    sh("mkfifo %s/fifo", root);
}

static int diff(const char *what, const char *path)
{
    fprintf(stderr, "ext4 compare: %s: %s\n", what, path);
    return 1;
}

/* Compares file contents: whole for small files; by the host's data ranges for large ones. */
static int compare_data(struct ext4_fs *fs, ext4_ino_t ino, const char *hp, uint64_t size)
{
    int fd = open(hp, O_RDONLY);
    if (fd < 0)
        return diff("open host", hp);
    static char a[1 << 20], b[1 << 20];
    int bad = 0;
    uint64_t off = 0;
    while (off < size && !bad) {
        off_t data = lseek(fd, (off_t)off, SEEK_DATA);
        if (data < 0)
            break;
        off_t hole = lseek(fd, data, SEEK_HOLE);
        if (hole < 0 || (uint64_t)hole > size)
            hole = (off_t)size;
        /* a little of the hole before the data reads as zeros */
        if ((uint64_t)data > off) {
            size_t z = (size_t)((uint64_t)data - off < 4096 ? (uint64_t)data - off : 4096);
            long n = ext4_read(fs, ino, (uint64_t)data - z, b, z);
            for (long i = 0; i < n; i++)
                if (b[i])
                    bad = diff("hole not zero", hp);
            if (n != (long)z)
                bad = diff("short read in hole", hp);
        }
        for (uint64_t o = (uint64_t)data; o < (uint64_t)hole && !bad;) {
            size_t len = (size_t)((uint64_t)hole - o < sizeof(a) ? (uint64_t)hole - o : sizeof(a));
            if (pread(fd, a, len, (off_t)o) != (ssize_t)len)
                bad = diff("host read", hp);
            long n = ext4_read(fs, ino, o, b, len);
            if (n != (long)len || memcmp(a, b, len))
                bad = diff("content", hp);
            o += len;
        }
        off = (uint64_t)hole;
    }
    close(fd);
    return bad;
}

int compare_tree(struct ext4_fs *fs, const char *ep, const char *hp)
{
    struct stat hs;
    if (lstat(hp, &hs))
        return diff("host lstat", hp);
    ext4_ino_t ino;
    int err = ext4_resolve(fs, ep, false, &ino);
    if (err) {
        fprintf(stderr, "resolve %s: %d\n", ep, err);
        return diff("missing in ext4", ep);
    }
    struct ext4_stat es;
    if (ext4_stat(fs, ino, &es))
        return diff("stat", ep);
    if ((es.mode & 0170000) != (hs.st_mode & S_IFMT))
        return diff("type", ep);
    if (!S_ISDIR(hs.st_mode) && es.size != (uint64_t)hs.st_size)
        return diff("size", ep);
    if (strcmp(ep, "/") && (es.mode & 07777) != (hs.st_mode & 07777))
        return diff("mode", ep);
    if (!S_ISDIR(hs.st_mode) && es.nlink != hs.st_nlink)
        return diff("link count", ep);
    if (S_ISREG(hs.st_mode))
        return compare_data(fs, ino, hp, es.size);
    if (S_ISLNK(hs.st_mode)) {
        char a[4096], b[4096];
        ssize_t n = readlink(hp, a, sizeof(a) - 1);
        long m = ext4_readlink(fs, ino, b, sizeof(b));
        if (n < 0 || m != n || memcmp(a, b, (size_t)n))
            return diff("symlink target", ep);
        return 0;
    }
    if (!S_ISDIR(hs.st_mode))
        return 0;
    /* every host entry exists in ext4 and matches; ext4 has no others */
    int bad = 0;
    unsigned hcount = 0, ecount = 0;
    DIR *d = opendir(hp);
    struct dirent *de;
    while ((de = readdir(d)) && bad < 5) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        hcount++;
        char *e2 = malloc(8192), *h2 = malloc(8192);
        snprintf(e2, 8192, "%s/%s", strcmp(ep, "/") ? ep : "", de->d_name);
        snprintf(h2, 8192, "%s/%s", hp, de->d_name);
        bad += compare_tree(fs, e2, h2);
        free(e2);
        free(h2);
    }
    closedir(d);
    uint64_t pos = 0;
    struct ext4_dirent_info ent;
    while ((err = ext4_readdir(fs, ino, &pos, &ent)) == 1)
        if (strcmp(ent.name, ".") && strcmp(ent.name, "..") &&
            !(ino == ext4_root(fs) && !strcmp(ent.name, "lost+found")))
            ecount++;
    if (err < 0)
        bad += diff("readdir error", ep);
    if (ecount != hcount && !bad) {
        fprintf(stderr, "%u vs %u entries\n", ecount, hcount);
        bad += diff("entry count", ep);
    }
    return bad;
}
