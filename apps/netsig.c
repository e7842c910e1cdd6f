/* Signals against blocking socket calls and poll/select/epoll_wait, checked against what Linux
 * does (signal(7), "Interruption of system calls ... by signal handlers"): a forked child sends
 * SIGUSR1 to the parent while it waits. A handler without SA_RESTART: the call fails with EINTR.
 * With SA_RESTART: accept, recv and connect go on waiting (then the child completes them), unless
 * a timeout (SO_RCVTIMEO) is set; poll, select and epoll_wait fail with EINTR anyway; a blocked
 * send that moved some bytes returns their count; ppoll/pselect/epoll_pwait wait under the mask
 * they are given. SIGTERM and SIGKILL left at their default end
 * a child blocked in accept, recv or poll with that signal. Loopback only (127.0.0.1).
 * Usage: netsig PORT    Prints one line per failure and "netsig: N failures" at the end. */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures, checks;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(c)) {                                                                                \
            printf("FAIL line %d: %s (errno %d %s)\n", __LINE__, #c, errno, strerror(errno));     \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)
#define ERRNO(call, e) CHECK((call) == -1 && errno == (e))

static int port;
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static void handler(bool restart)
{
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    handled = 0;
}

static struct sockaddr_in addr(int p)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int listener(int p, int backlog)
{
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = addr(p);
    if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, backlog)) {
        printf("FAIL: listener on port %d: %s\n", p, strerror(errno));
        failures++;
    }
    return l;
}

static int connect_to(int p, bool nonblock)
{
    int s = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    struct sockaddr_in a = addr(p);
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS) {
        close(s);
        return -1;
    }
    return s;
}

/* A child that sends SIGUSR1 to the parent `times` times, every 100 ms (forever when times is
 * 0: the parent kills it once its call has returned; a signal that comes before the parent
 * blocks is caught then, and the next one finds it blocked), then runs then() and exits. */
static pid_t pester(int times, void (*then)(int), int arg)
{
    pid_t parent = getpid(), c = fork();
    if (c == 0) {
        for (int i = 0; times == 0 || i < times; i++) {
            usleep(100000);
            kill(parent, SIGUSR1);
        }
        if (then)
            then(arg);
        _exit(0);
    }
    return c;
}

static void reap(pid_t c, bool kill_it)
{
    if (kill_it)
        kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

static void then_connect(int p)
{
    int s = connect_to(p, false);
    usleep(200000); /* the parent accepts while this end is open */
    close(s);
}

static void then_send(int fd)
{
    if (write(fd, "x", 1) != 1)
        _exit(1);
}

static void test_accept(void)
{
    int l = listener(port, 4);
    handler(false);
    pid_t c = pester(0, NULL, 0);
    ERRNO(accept(l, NULL, NULL), EINTR);
    CHECK(handled > 0);
    reap(c, true);

    handler(true);
    c = pester(3, then_connect, port);
    int a = accept(l, NULL, NULL);
    CHECK(a >= 0 && handled >= 1); /* restarted through the signals, then the child came */
    close(a);
    reap(c, false);
    close(l);
}

static void test_recv(void)
{
    int l = listener(port + 1, 4), s = connect_to(port + 1, false), a = accept(l, NULL, NULL);
    char b[8];
    CHECK(s >= 0 && a >= 0);
    handler(false);
    pid_t c = pester(0, NULL, 0);
    ERRNO(recv(a, b, sizeof(b), 0), EINTR);
    CHECK(handled > 0);
    reap(c, true);

    handler(false);
    c = pester(0, NULL, 0);
    ERRNO(read(a, b, sizeof(b)), EINTR);
    reap(c, true);

    handler(true);
    c = pester(3, then_send, s);
    CHECK(recv(a, b, sizeof(b), 0) == 1 && b[0] == 'x' && handled >= 1);
    reap(c, false);

    /* SA_RESTART, but a receive timeout: EINTR (Linux's sock_intr_errno). */
    struct timeval tv = {.tv_sec = 20};
    CHECK(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
    handler(true);
    c = pester(0, NULL, 0);
    ERRNO(recv(a, b, sizeof(b), 0), EINTR);
    CHECK(handled > 0);
    reap(c, true);
    close(s);
    close(a);
    close(l);
}

/* A send bigger than both buffers, to a peer that does not read: the signal ends it with the
 * count of what went. */
static void test_send(void)
{
    int l = listener(port + 2, 4), s = connect_to(port + 2, false), a = accept(l, NULL, NULL);
    int small = 16384;
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    setsockopt(a, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    size_t len = 8 << 20;
    char *big = calloc(1, len);
    handler(false);
    pid_t c = pester(0, NULL, 0);
    ssize_t n = send(s, big, len, 0);
    CHECK(n > 0 && (size_t)n < len && handled > 0);
    reap(c, true);
    free(big);
    close(s);
    close(a);
    close(l);
}

/* A listener whose accept queue is full drops SYNs (Linux and lwIP alike): a connect to it
 * waits for an answer that does not come. */
static void test_connect_blackhole(void)
{
    int l = listener(port + 3, 0), q[2];
    for (int i = 0; i < 2; i++)
        q[i] = connect_to(port + 3, true);
    usleep(300000); /* their handshakes fill the queue */
    handler(false);
    pid_t c = pester(0, NULL, 0);
    int s = connect_to(port + 3, false);
    CHECK(s < 0 && errno == EINTR && handled > 0);
    reap(c, true);
    for (int i = 0; i < 2; i++)
        close(q[i]);
    close(l);
}

static void test_poll_select_epoll(void)
{
    int l = listener(port + 4, 4);
    for (int restart = 0; restart < 2; restart++) {
        handler(restart);
        pid_t c = pester(0, NULL, 0);
        struct pollfd p = {.fd = l, .events = POLLIN};
        ERRNO(poll(&p, 1, -1), EINTR);
        CHECK(handled > 0);
        reap(c, true);

        handler(restart);
        c = pester(0, NULL, 0);
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(l, &rd);
        ERRNO(select(l + 1, &rd, NULL, NULL, NULL), EINTR);
        reap(c, true);

        handler(restart);
        int ep = epoll_create1(0);
        struct epoll_event ev = {.events = EPOLLIN}, out;
        epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
        c = pester(0, NULL, 0);
        ERRNO(epoll_wait(ep, &out, 1, 10000), EINTR);
        CHECK(handled > 0);
        reap(c, true);
        close(ep);
    }
    close(l);
}

/* SIGUSR1 blocked but for the wait (ppoll, pselect, epoll_pwait's mask): it interrupts the wait,
 * its handler runs, and the mask is back as it was afterwards. */
static void test_wait_masks(void)
{
    int l = listener(port + 6, 4), ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
    sigset_t usr1, none, cur;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&none);
    for (int call = 0; call < 3; call++) {
        handler(false);
        sigprocmask(SIG_BLOCK, &usr1, NULL);
        pid_t c = pester(0, NULL, 0);
        struct pollfd p = {.fd = l, .events = POLLIN};
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(l, &rd);
        if (call == 0)
            ERRNO(ppoll(&p, 1, NULL, &none), EINTR);
        else if (call == 1)
            ERRNO(pselect(l + 1, &rd, NULL, NULL, NULL, &none), EINTR);
        else
            ERRNO(epoll_pwait(ep, &out, 1, -1, &none), EINTR);
        CHECK(handled > 0);
        CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0 && sigismember(&cur, SIGUSR1));
        reap(c, true);
        sigprocmask(SIG_UNBLOCK, &usr1, NULL); /* what came after the wait runs the handler */
    }
    /* Nothing pending, a timeout: the call times out and the mask is restored at once. */
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    struct pollfd p = {.fd = l, .events = POLLIN};
    struct timespec ts = {0, 50000000};
    CHECK(ppoll(&p, 1, &ts, &none) == 0);
    CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0 && sigismember(&cur, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    close(ep);
    close(l);
}

/* A child blocked in accept, recv or poll, its signals at their default: sig ends it. */
static void test_default_ends(int sig)
{
    for (int what = 0; what < 3; what++) {
        int l = listener(port + 5, 4), s = connect_to(port + 5, false), a = accept(l, NULL, NULL);
        pid_t c = fork();
        if (c == 0) {
            char b[4];
            struct pollfd p = {.fd = l, .events = POLLIN};
            signal(SIGUSR1, SIG_DFL);
            if (what == 0)
                accept(l, NULL, NULL);
            else if (what == 1)
                recv(a, b, sizeof(b), 0);
            else
                poll(&p, 1, -1);
            _exit(0);
        }
        usleep(300000);
        kill(c, sig);
        int st = 0;
        CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == sig);
        close(s);
        close(a);
        close(l);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: netsig PORT\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    port = atoi(argv[1]);
    test_accept();
    test_recv();
    test_send();
    test_connect_blackhole();
    test_poll_select_epoll();
    test_wait_masks();
    test_default_ends(SIGTERM);
    test_default_ends(SIGKILL);
    printf("netsig: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
