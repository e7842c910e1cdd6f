/* Pipes, fork/wait, dup2, poll, select, epoll and eventfd. Prints "pipes ok" at the end. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            printf("FAIL line %d: %s (errno %d)\n", __LINE__, #c, errno);                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

int main(void)
{
    int p[2];
    char buf[256];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], "abc", 3) == 3);
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    CHECK(poll(pf, 2, 0) == 2 && (pf[0].revents & POLLIN) && (pf[1].revents & POLLOUT));
    CHECK(read(p[0], buf, sizeof(buf)) == 3 && memcmp(buf, "abc", 3) == 0);
    CHECK(poll(pf, 1, 10) == 0);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval tv = {0, 1000};
    CHECK(select(p[0] + 1, &rd, NULL, NULL, &tv) == 0);

    /* fork: the child writes into the pipe and exits 7; the parent reads and reaps it. */
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 1);
        printf("from the child %d\n", getpid());
        fflush(stdout);
        _exit(7);
    }
    CHECK(pid > 1);
    close(p[1]);
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    CHECK(n > 0);
    buf[n > 0 ? n : 0] = 0;
    CHECK(strncmp(buf, "from the child", 14) == 0);
    CHECK(read(p[0], buf, 1) == 0); /* every writer closed: end of file */
    CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD);
    close(p[0]);

    /* A child killed by a signal. */
    pid = fork();
    if (pid == 0)
        *(volatile int *)0 = 1;
    CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == 11);

    /* eventfd and epoll. */
    int efd = eventfd(0, EFD_NONBLOCK);
    CHECK(efd >= 0);
    uint64_t v = 0;
    CHECK(read(efd, &v, 8) == -1 && errno == EAGAIN);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out[4];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == -1 && errno == EEXIST);
    CHECK(epoll_wait(ep, out, 4, 0) == 0);
    v = 5;
    CHECK(write(efd, &v, 8) == 8);
    CHECK(epoll_wait(ep, out, 4, 10) == 1 && out[0].data.u64 == 42 && (out[0].events & EPOLLIN));
    CHECK(read(efd, &v, 8) == 8 && v == 5);
    CHECK(epoll_wait(ep, out, 4, 5) == 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL) == 0);
    close(ep);
    close(efd);

    if (failures) {
        printf("pipes: %d failures\n", failures);
        return 1;
    }
    printf("pipes ok\n");
    return 0;
}
