/* Bulk TCP transfer and round trips, for the network benchmark (bench/net.py):
 *   netperf send HOST PORT BYTES [TIMES]  connect, send BYTES, half-close, wait for the peer's
 *                                         close; TIMES connections one after another
 *   netperf recv PORT [TIMES]             accept, read to end of file, close; TIMES connections
 *   netperf rr HOST PORT COUNT [SIZE]     COUNT round trips of SIZE bytes through an echo server
 * Each transfer prints one line "send|recv bytes=N usec=T", rr prints "rr count=N usec=T" with the
 * median round trip. An ordinary Linux program: the host runs the same binary. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char buf[256 * 1024];

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static struct sockaddr_in addr_of(const char *host, const char *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
    if (!host)
        return a;
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "netperf: bad address %s\n", host);
        exit(2);
    }
    return a;
}

static int connect_to(struct sockaddr_in *a)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        die("socket");
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    /* The listener may still be starting (a guest booting): retry refused connections 10 s. */
    for (int tries = 0; connect(s, (struct sockaddr *)a, sizeof(*a)) < 0; tries++) {
        if (errno != ECONNREFUSED || tries == 1000)
            die("connect");
        close(s);
        usleep(10000);
        s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return s;
}

static int do_send(struct sockaddr_in *a, long long bytes, int times)
{
    for (int i = 0; i < times; i++) {
        int s = connect_to(a);
        long long t0 = now_us(), left = bytes;
        while (left > 0) {
            ssize_t w = send(s, buf, left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf),
                             MSG_NOSIGNAL);
            if (w < 0)
                die("send");
            left -= w;
        }
        shutdown(s, SHUT_WR);
        struct timeval tv = {60, 0}; /* a receiver that vanished must not hang us */
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while (recv(s, buf, sizeof(buf), 0) > 0) /* the receiver closes when it has it all */
            ;
        printf("send bytes=%lld usec=%lld\n", bytes, now_us() - t0);
        fflush(stdout);
        close(s);
    }
    return 0;
}

static int do_recv(struct sockaddr_in *a, int times)
{
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (ls < 0)
        die("socket");
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *)a, sizeof(*a)) < 0)
        die("bind");
    if (listen(ls, 4) < 0)
        die("listen");
    printf("netperf: listening on port %d\n", ntohs(a->sin_port));
    fflush(stdout);
    for (int i = 0; times == 0 || i < times; i++) {
        int s = accept(ls, NULL, NULL);
        if (s < 0)
            die("accept");
        long long t0 = now_us(), got = 0;
        ssize_t r;
        while ((r = recv(s, buf, sizeof(buf), 0)) > 0)
            got += r;
        if (r < 0)
            die("recv");
        printf("recv bytes=%lld usec=%lld\n", got, now_us() - t0);
        fflush(stdout);
        close(s);
    }
    return 0;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static int do_rr(struct sockaddr_in *a, int count, size_t size)
{
    if (count <= 0 || size == 0 || size > sizeof(buf))
        return 2;
    int s = connect_to(a);
    long long *t = calloc((size_t)count, sizeof(*t));
    if (!t)
        die("calloc");
    memset(buf, 'r', size);
    for (int i = 0; i < count; i++) {
        long long t0 = now_us();
        if (send(s, buf, size, MSG_NOSIGNAL) != (ssize_t)size)
            die("send");
        for (size_t got = 0; got < size;) {
            ssize_t r = recv(s, buf + got, size - got, 0);
            if (r <= 0)
                die("recv");
            got += (size_t)r;
        }
        t[i] = now_us() - t0;
    }
    close(s);
    qsort(t, (size_t)count, sizeof(*t), cmp_ll);
    printf("rr count=%d usec=%lld\n", count, t[count / 2]);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    memset(buf, 'x', sizeof(buf));
    if (argc >= 5 && !strcmp(argv[1], "send")) {
        struct sockaddr_in a = addr_of(argv[2], argv[3]);
        return do_send(&a, atoll(argv[4]), argc > 5 ? atoi(argv[5]) : 1);
    }
    if (argc >= 3 && !strcmp(argv[1], "recv")) {
        struct sockaddr_in a = addr_of(NULL, argv[2]);
        return do_recv(&a, argc > 3 ? atoi(argv[3]) : 1);
    }
    if (argc >= 5 && !strcmp(argv[1], "rr")) {
        struct sockaddr_in a = addr_of(argv[2], argv[3]);
        return do_rr(&a, atoi(argv[4]), argc > 5 ? (size_t)atol(argv[5]) : 1);
    }
    fprintf(stderr, "usage: netperf send HOST PORT BYTES [TIMES] | recv PORT [TIMES] | "
                    "rr HOST PORT COUNT [SIZE]\n");
    return 2;
}
