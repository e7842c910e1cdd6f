/* Files on an ext4 disk, through ordinary system calls (tests/integration/test_ext4_qemu.py):
 * reads what the host put in the image, then writes, renames, unlinks, truncates, makes
 * directories and links, fsyncs. Prints "ext4io: ok" or the first failure; exit status 0 or 1. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what)
{
    printf("ext4io: FAILED %s: %s\n", what, strerror(errno));
    return 1;
}

static unsigned char host_byte(unsigned long i)
{
    return (unsigned char)(i * 131 + (i >> 12));
}

/* "durable": write and fsync a file, say so, then wait to be killed (the host checks the disk). */
static int durable(void)
{
    static unsigned char buf[1 << 20];
    int fd = open("/durable.bin", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0)
        return fail("create /durable.bin");
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (unsigned char)((k * sizeof(buf) + i) * 29 + 1);
        if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
            return fail("write");
    }
    if (fsync(fd))
        return fail("fsync");
    printf("ext4io: synced\n");
    fflush(stdout);
    for (;;)
        sleep(1);
}

/* "mounts": a second disk on /data (--mount=/dev/vdb:/data) next to the ext4 root. */
static int mounts(void)
{
    char s[64];
    int fd = open("/data/hello.txt", O_RDONLY);
    if (fd < 0 || read(fd, s, sizeof(s)) != 20 || memcmp(s, "hello from the host\n", 20))
        return fail("read /data/hello.txt");
    close(fd);
    fd = open("/data/new.txt", O_CREAT | O_WRONLY, 0600);
    if (fd < 0 || write(fd, "second disk\n", 12) != 12 || fsync(fd))
        return fail("write /data/new.txt");
    close(fd);
    if (rename("/data/new.txt", "/moved.txt") == 0 || errno != EXDEV)
        return fail("rename across mounts is EXDEV");
    if (link("/data/new.txt", "/linked.txt") == 0 || errno != EXDEV)
        return fail("link across mounts is EXDEV");
    if (mkdir("/data/made-here", 0755) || mkdir("/on-root", 0755))
        return fail("mkdir on both");
    printf("ext4io: ok\n");
    return 0;
}

int main(int argc, char **argv)
{
    static unsigned char buf[1 << 20];
    char s[256];
    if (argc > 1 && !strcmp(argv[1], "durable"))
        return durable();
    if (argc > 1 && !strcmp(argv[1], "mounts"))
        return mounts();
    int fd = open("/hello.txt", O_RDONLY);
    if (fd < 0 || read(fd, s, sizeof(s)) != 20 || memcmp(s, "hello from the host\n", 20))
        return fail("read /hello.txt");
    close(fd);
    fd = open("/data/pattern.bin", O_RDONLY);
    if (fd < 0)
        return fail("open pattern");
    unsigned long total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != host_byte(total + i))
                return fail("pattern content");
        total += n;
    }
    close(fd);
    if (total != (1 << 20) + 123)
        return fail("pattern size");
    struct stat st;
    if (stat("/data/sparse", &st) || st.st_size != (5L << 30) + 9)
        return fail("stat sparse");
    fd = open("/data/sparse", O_RDONLY);
    if (fd < 0 || pread(fd, s, 9, 5L << 30) != 9 || memcmp(s, "far away\n", 9))
        return fail("read past 4 GiB");
    close(fd);
    if (readlink("/links/slow", s, sizeof(s)) < 20)
        return fail("readlink");
    fd = open("/links/fast", O_RDONLY);
    if (fd < 0 || read(fd, s, 5) != 5 || memcmp(s, "hello", 5))
        return fail("through a symlink");
    close(fd);
    DIR *d = opendir("/big");
    int entries = 0;
    while (d && readdir(d))
        entries++;
    if (!d || entries != 502)
        return fail("readdir /big");
    closedir(d);
    /* changes */
    if (mkdir("/out", 0755) || mkdir("/out/sub", 0700))
        return fail("mkdir");
    fd = open("/out/written.bin", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0)
        return fail("create");
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = (unsigned char)((k * sizeof(buf) + i) * 17 + 3);
        if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
            return fail("write");
    }
    if (fsync(fd) || fdatasync(fd))
        return fail("fsync");
    close(fd);
    if (rename("/out/written.bin", "/out/renamed.bin"))
        return fail("rename");
    if (unlink("/data/tobedeleted"))
        return fail("unlink");
    if (truncate("/data/pattern.bin", 1000))
        return fail("truncate");
    if (symlink("../renamed.bin", "/out/sub/link") || link("/out/renamed.bin", "/out/hard"))
        return fail("symlink, link");
    if (rmdir("/deep/a/b/c/d/e/f/g") == 0 || errno != ENOTEMPTY)
        return fail("rmdir of a full directory");
    fd = open("/out/sub/link", O_RDONLY);
    if (fd < 0 || read(fd, s, 4) != 4 || s[0] != 3)
        return fail("read back through the new link");
    close(fd);
    printf("ext4io: ok\n");
    return 0;
}
