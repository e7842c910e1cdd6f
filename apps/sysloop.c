/* The cost of one system call: runs N of one kind (getpid, clock_gettime, a 1-byte write to
 * /dev/null, open+close of /dev/null, fork + the child's _exit + waitpid) and prints the time per
 * call. Runs unchanged on the host,
 * for comparison (bench/syscall.py). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    const char *kind = argc > 2 ? argv[2] : "getpid";
    int fd = open("/dev/null", O_WRONLY);
    struct timespec ts;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        if (!strcmp(kind, "getpid"))
            syscall(SYS_getpid);
        else if (!strcmp(kind, "clock"))
            syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
        else if (!strcmp(kind, "write"))
            syscall(SYS_write, fd, "x", 1);
        else if (!strcmp(kind, "open"))
            close(open("/dev/null", O_RDONLY));
        else if (!strcmp(kind, "fork")) {
            pid_t pid = fork();
            if (pid == 0)
                _exit(0);
            waitpid(pid, NULL, 0);
        }
        else
            return 2;
    }
    double t1 = now();
    printf("sysloop %s n=%ld ns_per_call=%.1f\n", kind, n, n ? (t1 - t0) / n : 0.0);
    return 0;
}
