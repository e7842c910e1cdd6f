/* Hands the kernel garbage: bad pointers (NULL, kernel addresses, the system-call entry page,
 * unmapped and read-only memory), bad descriptors, lengths and flags, to most system calls, and
 * then thousands of random calls with such arguments. The kernel must answer each with an error
 * and never crash: the program must reach "hostile ok". Calls that would end, block or rearrange
 * the program itself (exit, kill, execve, munmap, waiting forever...) are left out of the random
 * part. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int failures;
#define MUST_FAIL(call)                                                                            \
    do {                                                                                           \
        long r_ = (call);                                                                          \
        if (r_ >= 0) {                                                                             \
            printf("FAIL line %d: %s returned %ld\n", __LINE__, #call, r_);                        \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define KERNEL_ADDR 0xffffffff80100000ul
#define SYSCALL_PAGE 0x00007ffffffff000ul

static const long skip[] = {
    SYS_poll,
    SYS_select,
    SYS_pause,
    SYS_rt_sigsuspend, /* blocks until a signal, as on Linux */
    SYS_nanosleep,
    SYS_clone,
    SYS_fork,
    SYS_vfork,
    SYS_execve,
    SYS_exit,
    SYS_kill,
    SYS_tkill,
    SYS_tgkill,
    SYS_futex,
    SYS_clock_nanosleep,
    SYS_exit_group,
    SYS_epoll_wait,
    SYS_epoll_pwait,
    SYS_pselect6,
    SYS_ppoll,
    SYS_rt_sigreturn,
    SYS_rt_sigaction,
    SYS_mmap,
    SYS_mprotect,
    SYS_munmap,
    SYS_brk,
    SYS_mremap,
    SYS_madvise,
    SYS_dup2,
    SYS_dup3,
    SYS_close,
    SYS_arch_prctl,
    SYS_rt_sigprocmask,
    SYS_sigaltstack,
    SYS_read,
    SYS_readv,
    SYS_wait4,
    SYS_execveat,
    SYS_clone3,
    SYS_rt_sigsuspend,
    SYS_rt_sigtimedwait,
    SYS_epoll_pwait2,
    SYS_shmat,
    SYS_set_tid_address,
    SYS_sendfile, /* reading fd 1 waits for console input */
};

static uint64_t rnd(void)
{
    static uint64_t x = 0x2545f4914f6cdd1dull;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return x;
}

int main(int argc, char **argv)
{
    char buf[256];
    const char *ro = "read-only string";
    int fd = open("/dev/null", O_RDWR);
    dup2(fd, 0); /* nothing may wait for console input */

    MUST_FAIL(syscall(SYS_write, 1, KERNEL_ADDR, 10));
    MUST_FAIL(syscall(SYS_write, 1, 0x10, 10));
    MUST_FAIL(syscall(SYS_write, 1, buf, -1L));
    MUST_FAIL(syscall(SYS_read, fd, KERNEL_ADDR, 10));
    MUST_FAIL(syscall(SYS_open, NULL, O_RDONLY));
    MUST_FAIL(syscall(SYS_open, KERNEL_ADDR, O_RDONLY));
    MUST_FAIL(syscall(SYS_stat, "/", KERNEL_ADDR));
    MUST_FAIL(syscall(SYS_stat, "/", ro)); /* read-only destination */
    MUST_FAIL(syscall(SYS_getcwd, ro, 100));
    MUST_FAIL(syscall(SYS_uname, SYSCALL_PAGE));
    MUST_FAIL(syscall(SYS_execve, "/bin/hostile", KERNEL_ADDR, NULL));
    MUST_FAIL(syscall(SYS_execve, KERNEL_ADDR, NULL, NULL));
    MUST_FAIL(syscall(SYS_execve, "/nonexistent", NULL, NULL));
    MUST_FAIL(syscall(SYS_execve, "/dev/null", NULL, NULL));
    MUST_FAIL(syscall(SYS_munmap, SYSCALL_PAGE, 4096));
    MUST_FAIL(syscall(SYS_mprotect, SYSCALL_PAGE, 4096, PROT_READ | PROT_WRITE));
    MUST_FAIL(syscall(SYS_mmap, SYSCALL_PAGE, 4096, PROT_READ,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
    MUST_FAIL(syscall(SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    MUST_FAIL(syscall(SYS_mmap, 0, 1ul << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    MUST_FAIL(syscall(SYS_mremap, 0x1000, 4096, 8192, 0));
    MUST_FAIL(syscall(SYS_readv, fd, KERNEL_ADDR, 2));
    MUST_FAIL(syscall(SYS_writev, 1, buf, 100000));
    MUST_FAIL(syscall(SYS_pipe, KERNEL_ADDR));
    MUST_FAIL(syscall(SYS_getdents64, fd, buf, sizeof(buf)));
    MUST_FAIL(syscall(SYS_read, 9999, buf, 1));
    MUST_FAIL(syscall(SYS_read, -5, buf, 1));
    MUST_FAIL(syscall(SYS_rt_sigaction, 0, buf, NULL, 8));
    MUST_FAIL(syscall(SYS_rt_sigaction, 9, buf, NULL, 8)); /* SIGKILL */
    MUST_FAIL(syscall(SYS_clock_gettime, 99, buf));
    MUST_FAIL(syscall(SYS_clock_gettime, 0, KERNEL_ADDR));
    MUST_FAIL(syscall(SYS_getrandom, KERNEL_ADDR, 16, 0));
    MUST_FAIL(syscall(SYS_epoll_ctl, fd, 1, fd, buf));
    MUST_FAIL(syscall(SYS_mkdir, "/etc/hostname/x", 0755) == -1 ? -1 : 0);
    MUST_FAIL(syscall(SYS_rename, "/", "/x"));
    MUST_FAIL(syscall(SYS_rmdir, "/"));
    MUST_FAIL(syscall(SYS_chdir, "/dev/null"));
    MUST_FAIL(syscall(SYS_sigaltstack, KERNEL_ADDR, NULL));
    MUST_FAIL(syscall(SYS_futex, KERNEL_ADDR, 0, 0, NULL));
    MUST_FAIL(syscall(SYS_wait4, -1, KERNEL_ADDR, 0, NULL));

    /* Random calls with random, mostly bad, arguments. */
    char *mem = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const uint64_t vals[] = {0,
                             1,
                             2,
                             3,
                             -1ul,
                             0x10,
                             4096,
                             1ul << 31,
                             1ul << 40,
                             KERNEL_ADDR,
                             SYSCALL_PAGE,
                             (uint64_t)ro,
                             (uint64_t)mem,
                             (uint64_t)mem + 65000,
                             0x7fffffffffff,
                             0xdeadbeef,
                             255,
                             1024,
                             (uint64_t)fd,
                             100};
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    for (int i = 0; i < n; i++) {
        long nr = rnd() % 460;
        int skipped = 0;
        for (unsigned k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
            skipped |= skip[k] == nr;
        if (skipped)
            continue;
        uint64_t a[6];
        for (int k = 0; k < 6; k++)
            a[k] = vals[rnd() % (sizeof(vals) / sizeof(vals[0]))];
        memset(mem, (int)rnd(), 65536);
        syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    if (failures) {
        printf("hostile: %d failures\n", failures);
        return 1;
    }
    printf("hostile ok\n");
    return 0;
}
