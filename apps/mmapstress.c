/* The mmap family under stress: many anonymous mappings of mixed sizes, partial unmaps (splits),
 * mprotect of middle pages, mremap growing and moving, file-backed private maps, MAP_FIXED over
 * existing maps, and a guarded page that must fault. Prints "mmap ok" at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
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
    const long pg = 4096;
    enum { N = 200 };
    if (argc > 1 && strcmp(argv[1], "oom") == 0) {
        /* More memory than the VM has, filled by the kernel (read from /dev/zero): the program
         * must be ended with a report, the kernel must not mind. */
        size_t len = 1ul << 30;
        char *big = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int z = open("/dev/zero", O_RDONLY);
        for (size_t n = 0; n < len; n += 1 << 20)
            if (read(z, big + n, 1 << 20) <= 0)
                return 3;
        printf("all read?\n");
        return 4;
    }
    static char *maps[N];
    static size_t sizes[N];
    unsigned seed = 12345;
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < N; i++) {
            seed = seed * 1103515245 + 12345;
            sizes[i] = (1 + seed % 16) * pg;
            maps[i] =
                mmap(NULL, sizes[i], PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            CHECK(maps[i] != MAP_FAILED);
            CHECK(maps[i][0] == 0 && maps[i][sizes[i] - 1] == 0);
            memset(maps[i], i & 0xff, sizes[i]);
        }
        for (int i = 0; i < N; i++) {
            CHECK(maps[i][sizes[i] / 2] == (char)(i & 0xff));
            if (sizes[i] >= 3 * pg) {
                /* Punch a hole in the middle: two regions remain. */
                CHECK(munmap(maps[i] + pg, pg) == 0);
                CHECK(maps[i][0] == (char)(i & 0xff) && maps[i][2 * pg] == (char)(i & 0xff));
                CHECK(munmap(maps[i], pg) == 0 && munmap(maps[i] + 2 * pg, sizes[i] - 2 * pg) == 0);
            } else {
                CHECK(munmap(maps[i], sizes[i]) == 0);
            }
        }
    }

    /* mprotect splits a region; the read-only page keeps its data. */
    char *p = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 7, 8 * pg);
    CHECK(mprotect(p + 2 * pg, pg, PROT_READ) == 0);
    CHECK(p[2 * pg] == 7 && p[3 * pg] == 7);
    CHECK(mprotect(p + 2 * pg, pg, PROT_READ | PROT_WRITE) == 0);
    p[2 * pg] = 9;
    CHECK(mprotect(p, 3 * pg, 0x100) == -1 && errno == EINVAL);

    /* mremap: grow in place or move, contents kept. */
    char *q = mremap(p, 8 * pg, 64 * pg, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED && q[0] == 7 && q[2 * pg] == 9 && q[63 * pg] == 0);
    q = mremap(q, 64 * pg, 2 * pg, 0);
    CHECK(q != MAP_FAILED && q[pg] == 7);
    CHECK(munmap(q, 2 * pg) == 0);
    CHECK(munmap(NULL, 0) == -1 && errno == EINVAL);

    /* A file mapped privately: its bytes, then writes that stay private. */
    int fd = open("/tmp/mapped", O_CREAT | O_RDWR, 0600);
    char line[100];
    for (int i = 0; i < 2000; i++) {
        int n = snprintf(line, sizeof(line), "line %d\n", i);
        write(fd, line, n);
    }
    off_t size = lseek(fd, 0, SEEK_END);
    char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(m != MAP_FAILED && memcmp(m, "line 0\nline 1\n", 14) == 0);
    CHECK(m[size - 1] == '\n');
    m[0] = 'L';
    char c;
    CHECK(pread(fd, &c, 1, 0) == 1 && c == 'l');
    char *m2 = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
    CHECK(m2 != MAP_FAILED && memcmp(m2, m + pg, 64) == 0);
    CHECK(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED && errno == EINVAL);
    close(fd);

    /* MAP_FIXED replaces what was there; MAP_FIXED_NOREPLACE refuses. */
    char *f = mmap(m, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(f == m && f[0] == 0);
    CHECK(mmap(m, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | 0x100000, -1, 0) == MAP_FAILED &&
          errno == EEXIST);
    /* madvise(DONTNEED) on anonymous memory reads zeroes again. */
    f[5] = 1;
    CHECK(madvise(f, pg, MADV_DONTNEED) == 0 && f[5] == 0);

    /* brk grows and shrinks (the system call: musl's sbrk refuses to move the break). */
    char *b0 = (char *)syscall(SYS_brk, 0);
    CHECK((char *)syscall(SYS_brk, b0 + (1 << 20)) == b0 + (1 << 20));
    b0[(1 << 20) - 1] = 1;
    CHECK((char *)syscall(SYS_brk, b0) == b0);

    if (failures) {
        printf("mmap: %d failures\n", failures);
        return 1;
    }
    printf("mmap ok\n");
    fflush(stdout);
    /* Last: a PROT_NONE page must fault (the test expects SIGSEGV and status 139). */
    if (argc > 1) {
        char *g = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("touching %p\n", (void *)g);
        fflush(stdout);
        return g[0];
    }
    return 0;
}
