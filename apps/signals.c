/* Signals a program sends itself: a handler with siginfo, a blocked signal left pending until
 * unblocked, SIGPIPE ignored and handled, a handler on the alternate stack; then abort() with a
 * handler that returns, which must still end the program with SIGABRT (134). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            printf("FAIL line %d: %s (errno %d)\n", __LINE__, #c, errno);                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static volatile int got[65], last_code;
static char altstack[16384];
static volatile int on_alt;

static void handler(int sig, siginfo_t *si, void *uc)
{
    got[sig]++;
    last_code = si->si_signo;
    char probe;
    on_alt = (uintptr_t)&probe >= (uintptr_t)altstack &&
             (uintptr_t)&probe < (uintptr_t)altstack + sizeof(altstack);
}

static void on(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigaction(sig, &sa, NULL);
}

int main(void)
{
    on(SIGUSR1, 0);
    CHECK(raise(SIGUSR1) == 0 && got[SIGUSR1] == 1 && last_code == SIGUSR1);
    CHECK(kill(getpid(), SIGUSR1) == 0 && got[SIGUSR1] == 2);

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    on(SIGUSR2, 0);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR2);
    CHECK(got[SIGUSR2] == 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(got[SIGUSR2] == 1);

    int p[2];
    pipe(p);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE);
    on(SIGPIPE, 0);
    CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE && got[SIGPIPE] == 1);

    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
    CHECK(sigaltstack(&ss, NULL) == 0);
    stack_t cur;
    CHECK(sigaltstack(NULL, &cur) == 0 && cur.ss_flags == 0 && cur.ss_sp == altstack);
    on(SIGUSR1, SA_ONSTACK);
    raise(SIGUSR1);
    CHECK(got[SIGUSR1] == 3 && on_alt);

    if (failures) {
        printf("signals: %d failures\n", failures);
        return 1;
    }
    printf("signals ok\n");
    fflush(stdout);
    on(SIGABRT, 0);
    abort();
}
