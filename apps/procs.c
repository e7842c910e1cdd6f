/* Processes that run side by side: ping-pong through pipes, waitpid (WNOHANG, -1, a pid), exit
 * statuses, SIGCHLD, kill of a child (in user mode, blocked in a pipe, asleep, in poll), SIGPIPE
 * and EPIPE, end of file once every writer closed, fork in a loop (pages back where they
 * started), vfork + execve, exit_group of a process with threads, fork of a process with threads,
 * orphans. Prints one line per part (the same on Linux) and "procs ok" at the end; exits 1 at the
 * first failed check. `procs leak` also checks free memory (on Mote: /proc/meminfo's MemFree);
 * `procs NAME` runs one part. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            printf("FAIL %s:%d: %s (errno %d)\n", __FILE__, __LINE__, #c, errno);                 \
            fflush(stdout);                                                                        \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static volatile sig_atomic_t chld;

static void on_chld(int sig)
{
    chld++;
}

static long mem_free_kib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long v = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemFree: %ld kB", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

static void pingpong(void)
{
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        unsigned v;
        close(a[1]);
        close(b[0]);
        while (read(a[0], &v, sizeof(v)) == sizeof(v)) {
            v++;
            if (write(b[1], &v, sizeof(v)) != sizeof(v))
                _exit(2);
        }
        _exit(0); /* end of file: the parent closed its end */
    }
    close(a[0]);
    close(b[1]);
    unsigned v = 0;
    int rounds = 0;
    for (; rounds < 1000; rounds++) {
        unsigned sent = v;
        CHECK(write(a[1], &v, sizeof(v)) == sizeof(v));
        CHECK(read(b[0], &v, sizeof(v)) == sizeof(v));
        CHECK(v == sent + 1);
        v++;
    }
    close(a[1]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(b[0]);
    printf("pingpong %d rounds, last %u\n", rounds, v);
}

static void wnohang(void)
{
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(go[1]);
        _exit(read(go[0], &c, 1) == 1 ? 42 : 3); /* blocks until the parent says go */
    }
    close(go[0]);
    int st = -1;
    pid_t r = waitpid(pid, &st, WNOHANG);
    CHECK(write(go[1], "g", 1) == 1);
    CHECK(waitpid(-1, &st, 0) == pid);
    printf("wnohang before the end: %d; then exited %d, status %d\n", r, WIFEXITED(st),
           WEXITSTATUS(st));
    CHECK(r == 0);
    CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD);
    close(go[1]);
}

static void sigchld(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    /* Without SA_RESTART a blocked wait ends with EINTR if SIGCHLD comes first... or returns the
     * child, whichever Linux sees first; both are right. */
    sa.sa_flags = 0;
    CHECK(sigaction(SIGCHLD, &sa, NULL) == 0);
    pid = fork();
    if (pid == 0) {
        usleep(20000);
        _exit(0);
    }
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) == -1 && errno == EINTR)
        ;
    CHECK(r == pid);
    signal(SIGCHLD, SIG_DFL);
    printf("SIGCHLD handled %d times\n", (int)chld);
    CHECK(chld == 2);
}

static int killed_by(pid_t pid)
{
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFSIGNALED(st));
    return WTERMSIG(st);
}

static void kills(void)
{
    /* A child computing in user mode, one blocked on a pipe, one asleep. */
    pid_t spin = fork();
    if (spin == 0)
        for (volatile unsigned long i = 0;; i++)
            ;
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t reader = fork();
    if (reader == 0) {
        char c;
        close(p[1]);
        read(p[0], &c, 1);
        _exit(0);
    }
    close(p[0]);
    pid_t sleeper = fork();
    if (sleeper == 0) {
        sleep(100);
        _exit(0);
    }
    int pp[2];
    CHECK(pipe(pp) == 0);
    pid_t poller = fork();
    if (poller == 0) {
        struct pollfd pf = {pp[0], POLLIN, 0};
        close(pp[1]);
        poll(&pf, 1, -1);
        _exit(0);
    }
    close(pp[0]);
    usleep(30000); /* let them get there */
    CHECK(kill(spin, SIGKILL) == 0);
    CHECK(kill(reader, SIGTERM) == 0);
    CHECK(kill(sleeper, SIGTERM) == 0);
    CHECK(kill(poller, SIGTERM) == 0);
    int a = killed_by(spin), b = killed_by(reader), c = killed_by(sleeper);
    int d = killed_by(poller);
    close(p[1]);
    close(pp[1]);
    printf("killed: spinning %d, reading %d, sleeping %d, polling %d\n", a, b, c, d);
    CHECK(a == SIGKILL && b == SIGTERM && c == SIGTERM && d == SIGTERM);
    CHECK(kill(spin, 0) == -1 && errno == ESRCH);

    /* A handler in the child runs for a signal from the parent, then the child goes on. */
    int q[2];
    CHECK(pipe(q) == 0);
    pid_t h = fork();
    if (h == 0) {
        chld = 0;
        signal(SIGUSR1, on_chld);
        close(q[0]);
        CHECK(write(q[1], "r", 1) == 1); /* ready */
        while (!chld)
            ;
        _exit(77);
    }
    close(q[1]);
    char r;
    CHECK(read(q[0], &r, 1) == 1);
    close(q[0]);
    CHECK(kill(h, SIGUSR1) == 0);
    int st;
    CHECK(waitpid(h, &st, 0) == h && WIFEXITED(st));
    printf("SIGUSR1 handler in the child, then exit %d\n", WEXITSTATUS(st));
    CHECK(WEXITSTATUS(st) == 77);
}

static void sigpipe(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    close(p[0]);
    pid_t pid = fork();
    if (pid == 0) {
        write(p[1], "x", 1);
        _exit(0);
    }
    int sig = killed_by(pid);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    long n = write(p[1], "x", 1);
    int e = errno;
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);
    printf("writer with no reader: %s; ignored: %ld %s\n", strsignal(sig), n, strerror(e));
    CHECK(sig == SIGPIPE && n == -1 && e == EPIPE);
}

static void writers_eof(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            close(p[0]);
            usleep(10000 * (i + 1));
            char line[64];
            int n = snprintf(line, sizeof(line), "writer %d\n", i);
            CHECK(write(p[1], line, n) == n);
            _exit(0);
        }
    }
    close(p[1]);
    char buf[256];
    size_t got = 0;
    long n;
    while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
        got += n;
    buf[got] = 0;
    close(p[0]);
    int st;
    while (wait(&st) > 0)
        ;
    /* Their order is the scheduler's (the sleeps make "writer 0" first almost always). */
    bool both = strstr(buf, "writer 0\n") && strstr(buf, "writer 1\n");
    printf("read until every writer closed: %zu bytes, both writers: %d\n", got, both);
    CHECK(n == 0 && got == 18 && both);
}

/* A big write into a pipe waits for the reader (the pipe holds 64 KiB). */
static void big_write(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    static char data[300000];
    memset(data, 'z', sizeof(data));
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        _exit(write(p[1], data, sizeof(data)) == (long)sizeof(data) ? 0 : 1);
    }
    close(p[1]);
    size_t got = 0;
    long n;
    char buf[4096];
    while ((n = read(p[0], buf, sizeof(buf))) > 0)
        got += n;
    close(p[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("one write of %zu bytes read whole\n", got);
    CHECK(got == sizeof(data));
}

/* 200 forks and reaps, four times: after the first (the heap has grown to what a fork needs),
 * free memory must not go down round after round. */
static void fork_loop(int leak)
{
    long free_after[4];
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 200; i++) {
            pid_t pid = fork();
            CHECK(pid >= 0);
            if (pid == 0)
                _exit(i & 0x7f);
            int st;
            CHECK(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == (i & 0x7f));
        }
        free_after[round] = mem_free_kib();
    }
    printf("forked and reaped 200 children 4 times\n");
    if (leak) {
        printf("MemFree after each round: %ld %ld %ld %ld kB\n", free_after[0], free_after[1],
               free_after[2], free_after[3]);
        CHECK(free_after[0] > 0 && free_after[3] >= free_after[1]);
    }
}

static void vfork_exec(const char *self)
{
    static volatile int shared;
    shared = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        shared = 1; /* the parent's memory: it sees this once we exec */
        execl(self, self, "exec-child", (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    int seen = shared, st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    printf("vfork: parent saw %d, exec'd child exited %d\n", seen, WEXITSTATUS(st));
    CHECK(seen == 1 && WEXITSTATUS(st) == 5);
}

static void *spin_thread(void *arg)
{
    for (volatile unsigned long i = 0;; i++)
        ;
    return NULL;
}

static void *block_thread(void *arg)
{
    char c;
    read(*(int *)arg, &c, 1);
    return NULL;
}

static void *sleep_thread(void *arg)
{
    sleep(100);
    return NULL;
}

static void threads(void)
{
    /* exit_group of a child with threads running, blocked and asleep. */
    pid_t pid = fork();
    if (pid == 0) {
        int p[2];
        CHECK(pipe(p) == 0);
        pthread_t t;
        CHECK(pthread_create(&t, NULL, spin_thread, NULL) == 0);
        CHECK(pthread_create(&t, NULL, block_thread, &p[0]) == 0);
        CHECK(pthread_create(&t, NULL, sleep_thread, NULL) == 0);
        usleep(20000);
        exit(3);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    int status = WEXITSTATUS(st);

    /* fork in a process with a thread: the child has only the caller's. */
    pthread_t t;
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(pthread_create(&t, NULL, block_thread, &p[0]) == 0);
    pid = fork();
    if (pid == 0)
        _exit(4);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st));
    CHECK(write(p[1], "x", 1) == 1);
    CHECK(pthread_join(t, NULL) == 0);
    close(p[0]);
    close(p[1]);
    printf("threads: exit_group status %d, fork with a thread status %d\n", status,
           WEXITSTATUS(st));
    CHECK(status == 3 && WEXITSTATUS(st) == 4);
}

static void orphan(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t was = getpid();
        if (fork() == 0) {
            while (getppid() == was)
                usleep(1000);
            int reparented = 1;
            write(p[1], &reparented, sizeof(reparented));
            _exit(0);
        }
        _exit(0);
    }
    close(p[1]);
    int st, got = 0;
    CHECK(waitpid(mid, &st, 0) == mid);
    CHECK(read(p[0], &got, sizeof(got)) == sizeof(got));
    close(p[0]);
    printf("orphan reparented: %d\n", got);
    CHECK(got == 1);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
        return 5;
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *only = argc > 1 && strcmp(argv[1], "leak") != 0 ? argv[1] : NULL;
#define PART(name, call)                                                                           \
    if (!only || strcmp(only, name) == 0)                                                          \
        call;
    PART("pingpong", pingpong());
    PART("wnohang", wnohang());
    PART("sigchld", sigchld());
    PART("kills", kills());
    PART("sigpipe", sigpipe());
    PART("eof", writers_eof());
    PART("bigwrite", big_write());
    PART("forkloop", fork_loop(argc > 1 && strcmp(argv[1], "leak") == 0));
    PART("vfork", vfork_exec(argv[0]));
    PART("threads", threads());
    PART("orphan", orphan());
    printf("procs ok\n");
    return 0;
}
