/* Timers: alarm, setitimer/getitimer, timerfd (with epoll), timer_create. Prints only what is
 * the same on Linux and on Mote: timings are checked against generous ranges and printed as
 * "ok" or "FAILED". */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static volatile int alarms, usr1s;
static int failures;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void on_usr1(int sig)
{
    (void)sig;
    usr1s++;
}

static void check(const char *what, int good)
{
    printf("%s: %s\n", what, good ? "ok" : "FAILED");
    if (!good)
        failures++;
}

static void check_err(const char *what, long rc, int err)
{
    int e = errno;
    printf("%s: %ld %s\n", what, rc, rc < 0 ? strerror(e) : "");
    if (rc >= 0 || e != err)
        failures++;
}

static long long now_ms(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, ms % 1000 * 1000000};
    while (nanosleep(&t, &t) && errno == EINTR)
        ;
}

static void test_alarm(void)
{
    check("alarm(0) with none armed returns 0", alarm(0) == 0);
    alarm(5);
    check("alarm(0) returns the 5 seconds left", alarm(0) == 5);

    int p[2];
    pipe(p);
    alarms = 0;
    struct itimerval v = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &v, NULL);
    char c;
    long long t0 = now_ms(CLOCK_MONOTONIC);
    ssize_t n = read(p[0], &c, 1);
    long long dt = now_ms(CLOCK_MONOTONIC) - t0;
    check("SIGALRM interrupts a blocking pipe read with EINTR", n == -1 && errno == EINTR);
    check("one SIGALRM, after 40-2000 ms", alarms == 1 && dt >= 40 && dt < 2000);
    close(p[0]);
    close(p[1]);

    alarms = 0;
    v = (struct itimerval){{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &v, NULL);
    struct timespec ts = {5, 0}, rem;
    int rc = nanosleep(&ts, &rem);
    check("SIGALRM interrupts nanosleep with EINTR and time left",
          rc == -1 && errno == EINTR && alarms == 1 && rem.tv_sec >= 3);
}

static void test_busy_loop(void)
{
    alarms = 0;
    struct itimerval v = {{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &v, NULL);
    for (volatile long i = 0; !alarms && i < 2000000000; i++) /* no system call in the loop */
        ;
    check("SIGALRM reaches a process computing in user mode", alarms == 1);
}

static void test_periodic_itimer(void)
{
    alarms = 0;
    struct itimerval v = {{0, 20000}, {0, 20000}}, g;
    setitimer(ITIMER_REAL, &v, NULL);
    getitimer(ITIMER_REAL, &g);
    check("getitimer: interval 20 ms, value 1..20 ms",
          g.it_interval.tv_sec == 0 && g.it_interval.tv_usec == 20000 && g.it_value.tv_sec == 0 &&
              g.it_value.tv_usec > 0 && g.it_value.tv_usec <= 20000);
    long long t0 = now_ms(CLOCK_MONOTONIC);
    while (alarms < 3)
        pause();
    long long dt = now_ms(CLOCK_MONOTONIC) - t0;
    struct itimerval zero = {{0, 0}, {0, 0}}, old;
    setitimer(ITIMER_REAL, &zero, &old);
    check("3 ticks of a 20 ms periodic itimer in 40-3000 ms", dt >= 40 && dt < 3000);
    check("setitimer returns the old interval", old.it_interval.tv_usec == 20000);
    getitimer(ITIMER_REAL, &g);
    check("disarmed: getitimer reads zero", g.it_value.tv_sec == 0 && g.it_value.tv_usec == 0);
    int a = alarms;
    sleep_ms(60);
    check("no SIGALRM once disarmed", alarms == a);

    v = (struct itimerval){{1, 0}, {100, 0}};
    check("ITIMER_VIRTUAL and ITIMER_PROF are accepted",
          setitimer(ITIMER_VIRTUAL, &v, NULL) == 0 && setitimer(ITIMER_PROF, &v, NULL) == 0);
    getitimer(ITIMER_PROF, &g);
    check("getitimer(ITIMER_PROF) reads the interval", g.it_interval.tv_sec == 1);
    setitimer(ITIMER_VIRTUAL, &zero, NULL);
    setitimer(ITIMER_PROF, &zero, NULL);

    check_err("setitimer(99)", setitimer(99, &v, NULL), EINVAL);
    v = (struct itimerval){{0, 0}, {0, 1000000}};
    check_err("setitimer usec = 1000000", setitimer(ITIMER_REAL, &v, NULL), EINVAL);
    check_err("setitimer bad pointer", setitimer(ITIMER_REAL, (void *)8, NULL), EFAULT);
    check_err("getitimer bad pointer", getitimer(ITIMER_REAL, (void *)8), EFAULT);
}

static void test_timerfd(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    check("timerfd_create", fd >= 0);
    uint64_t count;
    check_err("nonblocking read with nothing expired", read(fd, &count, 8), EAGAIN);
    struct itimerspec s = {{0, 10000000}, {0, 10000000}}, g;
    check("timerfd_settime 10 ms periodic", timerfd_settime(fd, 0, &s, NULL) == 0);
    timerfd_gettime(fd, &g);
    check("timerfd_gettime: interval 10 ms",
          g.it_interval.tv_sec == 0 && g.it_interval.tv_nsec == 10000000 && g.it_value.tv_nsec > 0);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    int n = epoll_wait(ep, &out, 1, 2000);
    check("epoll_wait wakes for the timerfd",
          n == 1 && out.data.u64 == 42 && (out.events & EPOLLIN));
    check("read gives a count >= 1", read(fd, &count, 8) == 8 && count >= 1);
    sleep_ms(55);
    ssize_t r = read(fd, &count, 8);
    check("about 5 expiries in 55 ms (2..12)", r == 8 && count >= 2 && count <= 12);
    check_err("read with a 4-byte buffer", read(fd, &count, 4), EINVAL);
    struct itimerspec zero = {{0, 0}, {0, 0}};
    timerfd_settime(fd, 0, &zero, &g);
    check("settime returns the old setting", g.it_interval.tv_nsec == 10000000);
    timerfd_gettime(fd, &g);
    check("disarmed: gettime reads zero", g.it_value.tv_sec == 0 && g.it_value.tv_nsec == 0);
    n = epoll_wait(ep, &out, 1, 30);
    check("disarmed: epoll_wait times out", n == 0);
    close(ep);
    close(fd);

    /* Blocking reads: relative one-shot, then absolute on CLOCK_REALTIME. */
    fd = timerfd_create(CLOCK_MONOTONIC, 0);
    s = (struct itimerspec){{0, 0}, {0, 20000000}};
    timerfd_settime(fd, 0, &s, NULL);
    long long t0 = now_ms(CLOCK_MONOTONIC);
    r = read(fd, &count, 8);
    long long dt = now_ms(CLOCK_MONOTONIC) - t0;
    check("blocking read: one expiry after 15-2000 ms",
          r == 8 && count == 1 && dt >= 15 && dt < 2000);
    close(fd);

    fd = timerfd_create(CLOCK_REALTIME, 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    s = (struct itimerspec){{0, 0}, {now.tv_sec, now.tv_nsec}};
    s.it_value.tv_nsec += 30000000;
    if (s.it_value.tv_nsec >= 1000000000) {
        s.it_value.tv_sec++;
        s.it_value.tv_nsec -= 1000000000;
    }
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL);
    t0 = now_ms(CLOCK_MONOTONIC);
    r = read(fd, &count, 8);
    dt = now_ms(CLOCK_MONOTONIC) - t0;
    check("TFD_TIMER_ABSTIME on CLOCK_REALTIME: one expiry after 20-2000 ms",
          r == 8 && count == 1 && dt >= 20 && dt < 2000);
    s = (struct itimerspec){{0, 0}, {1, 0}}; /* 1970: already passed */
    timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL);
    check("an absolute time in the past expires at once", read(fd, &count, 8) == 8 && count == 1);

    /* SIGALRM interrupts a blocking timerfd read. */
    s = (struct itimerspec){{0, 0}, {10, 0}};
    timerfd_settime(fd, 0, &s, NULL);
    alarms = 0;
    struct itimerval v = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &v, NULL);
    r = read(fd, &count, 8);
    check("SIGALRM interrupts a blocking timerfd read with EINTR",
          r == -1 && errno == EINTR && alarms == 1);

    check_err("timerfd_create(clock 99)", timerfd_create(99, 0), EINVAL);
    check_err("timerfd_create(bad flags)", timerfd_create(CLOCK_MONOTONIC, 0x1234), EINVAL);
    s = (struct itimerspec){{0, 0}, {0, 1000000000}};
    check_err("timerfd_settime nsec = 1e9", timerfd_settime(fd, 0, &s, NULL), EINVAL);
    s = (struct itimerspec){{0, 0}, {-1, 0}};
    check_err("timerfd_settime sec = -1", timerfd_settime(fd, 0, &s, NULL), EINVAL);
    s = (struct itimerspec){{0, 0}, {1, 0}};
    check_err("timerfd_settime bad flags", timerfd_settime(fd, 0x100, &s, NULL), EINVAL);
    check_err("timerfd_settime bad pointer", timerfd_settime(fd, 0, (void *)8, NULL), EFAULT);
    check_err("timerfd_gettime bad pointer", timerfd_gettime(fd, (void *)8), EFAULT);
    int p[2];
    pipe(p);
    check_err("timerfd_settime on a pipe", timerfd_settime(p[0], 0, &s, NULL), EINVAL);
    check_err("timerfd_gettime on a pipe", timerfd_gettime(p[0], &g), EINVAL);
    check_err("timerfd_settime on fd 999", timerfd_settime(999, 0, &s, NULL), EBADF);
    close(p[0]);
    close(p[1]);
    close(fd);
}

static void test_posix_timer(void)
{
    struct sigevent sev;
    memset(&sev, 0, sizeof(sev));
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    timer_t t;
    check("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &t) == 0);
    struct itimerspec s = {{0, 15000000}, {0, 15000000}}, g;
    check("timer_settime 15 ms periodic", timer_settime(t, 0, &s, NULL) == 0);
    timer_gettime(t, &g);
    check("timer_gettime: interval 15 ms", g.it_interval.tv_nsec == 15000000);
    while (usr1s < 3)
        pause();
    check("timer_delete", timer_delete(t) == 0);
    int u = usr1s;
    sleep_ms(50);
    check("3 SIGUSR1s, none after timer_delete", u == 3 && usr1s == 3);
    check_err("timer_create(clock 99)", timer_create(99, &sev, &t), EINVAL);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "die")) { /* SIGALRM's default action ends the process */
        struct itimerval v = {{0, 0}, {0, 20000}};
        setitimer(ITIMER_REAL, &v, NULL);
        for (;;)
            pause();
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm; /* no SA_RESTART: blocking calls fail with EINTR */
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    test_alarm();
    test_busy_loop();
    test_periodic_itimer();
    test_timerfd();
    test_posix_timer();
    printf(failures ? "timers FAILED\n" : "timers ok\n");
    return failures != 0;
}
