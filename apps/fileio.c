/* File I/O on the ramfs: create, write, read back, seek, positioned I/O, directories, links,
 * rename, unlink, getdents, stat; each check prints on failure, "fileio ok" at the end.
 * Built with musl (fileio) and glibc (fileio-glibc). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            printf("FAIL line %d: %s (errno %d)\n", __LINE__, #c, errno);                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp/fio";
    char buf[8192];
    CHECK(mkdir(dir, 0755) == 0);
    CHECK(mkdir(dir, 0755) == -1 && errno == EEXIST);
    CHECK(chdir(dir) == 0);
    CHECK(getcwd(buf, sizeof(buf)) && strcmp(buf, dir) == 0);

    int fd = open("a.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "hello world\n", 12) == 12);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(read(fd, buf, sizeof(buf)) == 12 && memcmp(buf, "hello world\n", 12) == 0);
    CHECK(pwrite(fd, "HELLO", 5, 0) == 5);
    CHECK(pread(fd, buf, 5, 6) == 5 && memcmp(buf, "world", 5) == 0);
    CHECK(lseek(fd, 100000, SEEK_SET) == 100000 && write(fd, "x", 1) == 1);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 100001 && S_ISREG(st.st_mode));
    CHECK(pread(fd, buf, 10, 50000) == 10 && buf[0] == 0 && buf[9] == 0);
    CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
    CHECK(close(fd) == 0);
    CHECK(close(fd) == -1 && errno == EBADF);

    /* A big file: many pages, written in pieces, read back whole. */
    fd = open("big", O_CREAT | O_WRONLY, 0600);
    for (int i = 0; i < 300; i++) {
        memset(buf, 'a' + i % 26, 4000);
        CHECK(write(fd, buf, 4000) == 4000);
    }
    close(fd);
    CHECK(stat("big", &st) == 0 && st.st_size == 1200000);
    fd = open("big", O_RDONLY);
    long sum = 0, n;
    while ((n = read(fd, buf, 3333)) > 0)
        for (long i = 0; i < n; i++)
            sum += buf[i];
    close(fd);
    long want = 0;
    for (int i = 0; i < 300; i++)
        want += 4000L * ('a' + i % 26);
    CHECK(sum == want);

    CHECK(link("a.txt", "b.txt") == 0);
    CHECK(stat("b.txt", &st) == 0 && st.st_nlink == 2);
    CHECK(symlink("a.txt", "c.lnk") == 0);
    CHECK(readlink("c.lnk", buf, sizeof(buf)) == 5 && memcmp(buf, "a.txt", 5) == 0);
    CHECK(lstat("c.lnk", &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat("c.lnk", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 5);
    CHECK(rename("b.txt", "d.txt") == 0);
    CHECK(access("b.txt", F_OK) == -1 && errno == ENOENT);
    CHECK(mkdir("sub", 0700) == 0 && rename("d.txt", "sub/e.txt") == 0);
    CHECK(rmdir("sub") == -1 && errno == ENOTEMPTY);
    CHECK(open("nonexistent/x", O_RDONLY) == -1 && errno == ENOENT);
    CHECK(open("a.txt/x", O_RDONLY) == -1 && errno == ENOTDIR);
    CHECK(open("sub", O_WRONLY) == -1 && errno == EISDIR);
    CHECK(open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0600) == -1 && errno == EEXIST);

    int count = 0, seen_sub = 0;
    DIR *d = opendir(".");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        count++;
        if (strcmp(e->d_name, "sub") == 0 && e->d_type == DT_DIR)
            seen_sub = 1;
    }
    closedir(d);
    CHECK(count == 6 && seen_sub); /* . .. a.txt big c.lnk sub */

    CHECK(unlink("sub/e.txt") == 0 && rmdir("sub") == 0);
    CHECK(unlink("c.lnk") == 0 && unlink("big") == 0);
    /* An unlinked file stays readable through an open descriptor. */
    fd = open("a.txt", O_RDONLY);
    CHECK(unlink("a.txt") == 0);
    CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "HELLO", 5) == 0);
    close(fd);
    CHECK(chdir("/") == 0 && rmdir(dir) == 0);

    /* Devices and /proc. */
    fd = open("/dev/zero", O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, 16) == 16 && buf[7] == 0);
    close(fd);
    fd = open("/dev/null", O_WRONLY);
    CHECK(fd >= 0 && write(fd, buf, 100) == 100);
    close(fd);
    FILE *f = fopen("/proc/meminfo", "r");
    CHECK(f && fgets(buf, sizeof(buf), f) && strncmp(buf, "MemTotal:", 9) == 0);
    if (f)
        fclose(f);
    n = readlink("/proc/self/exe", buf, sizeof(buf));
    CHECK(n > 0);
    if (n > 0)
        printf("exe=%.*s\n", (int)n, buf);

    if (failures) {
        printf("fileio: %d failures\n", failures);
        return 1;
    }
    printf("fileio ok\n");
    return 0;
}
