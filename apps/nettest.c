/* The socket calls' contract, checked against what Linux answers: errno values, readiness in
 * poll/select/epoll, options, addresses, SIGPIPE. Needs a peer: HOST runs a TCP listener on PORT
 * that answers "hello from host\n" to a line and closes, and nothing listens on PORT+1.
 * HOST "self": a thread of this program is that peer, on 127.0.0.1 (loopback only).
 * Usage: nettest HOST PORT    Prints one line per failure and "nettest: N failures" at the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
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

static volatile int sigpipes;
static void on_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}

static struct sockaddr_in any_port(int port)
{
    return (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
}

static void test_creation(void)
{
    ERRNO(socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT);
    ERRNO(socket(AF_INET, 99, 0), EINVAL);
    ERRNO(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
    ERRNO(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
    ERRNO(socket(AF_INET, SOCK_STREAM | 0x100000, 0), EINVAL);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK(s >= 0);
    CHECK(fcntl(s, F_GETFL) & O_NONBLOCK);
    CHECK(fcntl(s, F_GETFD) & FD_CLOEXEC);
    int type = 0;
    socklen_t len = sizeof(type);
    CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);
    close(s);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(s >= 0 && getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM);
    ERRNO(listen(s, 1), EOPNOTSUPP);
    close(s);
    ERRNO(bind(0, (struct sockaddr *)&(struct sockaddr_in){.sin_family = AF_INET}, 16), ENOTSOCK);
    ERRNO(bind(999, (struct sockaddr *)&(struct sockaddr_in){.sin_family = AF_INET}, 16), EBADF);
}

static void test_bind_listen(void)
{
    int a = socket(AF_INET, SOCK_STREAM, 0), b = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = any_port(7070);
    ERRNO(bind(a, (struct sockaddr *)&sa, 4), EINVAL);
    ERRNO(bind(a, (struct sockaddr *)1, sizeof(sa)), EFAULT);
    CHECK(bind(a, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    ERRNO(bind(a, (struct sockaddr *)&sa, sizeof(sa)), EINVAL); /* already bound */
    CHECK(listen(a, 4) == 0);
    ERRNO(bind(b, (struct sockaddr *)&sa, sizeof(sa)), EADDRINUSE);
    struct sockaddr_in got;
    socklen_t len = sizeof(got);
    CHECK(getsockname(a, (struct sockaddr *)&got, &len) == 0 && len == sizeof(got) &&
          got.sin_family == AF_INET && ntohs(got.sin_port) == 7070);
    ERRNO(getpeername(a, (struct sockaddr *)&got, &len), ENOTCONN);
    ERRNO(getsockname(a, (struct sockaddr *)&got, (socklen_t *)1), EFAULT);
    /* Nothing pending: a non-blocking accept says EAGAIN, poll says nothing. */
    fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
    ERRNO(accept(a, NULL, NULL), EAGAIN);
    struct pollfd p = {a, POLLIN, 0};
    CHECK(poll(&p, 1, 20) == 0);
    ERRNO(accept(b, NULL, NULL), EINVAL); /* not listening */
    close(a);
    close(b);
    /* Port 0: the stack picks one. */
    a = socket(AF_INET, SOCK_STREAM, 0);
    sa = any_port(0);
    CHECK(bind(a, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    len = sizeof(got);
    CHECK(getsockname(a, (struct sockaddr *)&got, &len) == 0 && ntohs(got.sin_port) != 0);
    close(a);
    /* Options. */
    a = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1, v = 0;
    len = sizeof(v);
    CHECK(setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
    CHECK(getsockopt(a, SOL_SOCKET, SO_REUSEADDR, &v, &len) == 0 && v == 1);
    CHECK(setsockopt(a, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0);
    CHECK(getsockopt(a, SOL_SOCKET, SO_KEEPALIVE, &v, &len) == 0 && v == 1);
    CHECK(setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
    CHECK(getsockopt(a, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1);
    CHECK(getsockopt(a, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v > 0);
    CHECK(getsockopt(a, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 && v > 0);
    CHECK(getsockopt(a, SOL_SOCKET, SO_ERROR, &v, &len) == 0 && v == 0);
    ERRNO(setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, 2), EINVAL);
    ERRNO(setsockopt(a, SOL_SOCKET, SO_REUSEADDR, (void *)1, sizeof(one)), EFAULT);
    ERRNO(getsockopt(a, 12345, 1, &v, &len), EOPNOTSUPP);
    ERRNO(getsockopt(a, SOL_SOCKET, 12345, &v, &len), ENOPROTOOPT);
    /* Unconnected stream sockets. */
    char c;
    ERRNO(recv(a, &c, 1, 0), ENOTCONN);
    ERRNO(send(a, "x", 1, MSG_NOSIGNAL), EPIPE);
    ERRNO(shutdown(a, SHUT_RDWR), ENOTCONN);
    close(a);
}

static void test_connect(const struct sockaddr_in *host, const struct sockaddr_in *closed)
{
    /* A closed port: the peer's RST is ECONNREFUSED, blocking or not. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ERRNO(connect(s, (const struct sockaddr *)closed, sizeof(*closed)), ECONNREFUSED);
    close(s);
    s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ERRNO(connect(s, (const struct sockaddr *)closed, sizeof(*closed)), EINPROGRESS);
    struct pollfd p = {s, POLLOUT, 0};
    CHECK(poll(&p, 1, 5000) == 1 && (p.revents & (POLLOUT | POLLERR)));
    int err = 0;
    socklen_t len = sizeof(err);
    CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == ECONNREFUSED);
    CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0); /* read clears */
    close(s);

    /* The host's listener: a line each way, then its close is end of file. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    ERRNO(connect(s, (const struct sockaddr *)&(struct sockaddr_in){.sin_family = 1000}, 16),
          EAFNOSUPPORT);
    CHECK(connect(s, (const struct sockaddr *)host, sizeof(*host)) == 0);
    ERRNO(connect(s, (const struct sockaddr *)host, sizeof(*host)), EISCONN);
    struct sockaddr_in peer, me;
    len = sizeof(peer);
    CHECK(getpeername(s, (struct sockaddr *)&peer, &len) == 0 &&
          peer.sin_addr.s_addr == host->sin_addr.s_addr && peer.sin_port == host->sin_port);
    len = sizeof(me);
    CHECK(getsockname(s, (struct sockaddr *)&me, &len) == 0 && me.sin_port != 0 &&
          me.sin_addr.s_addr != 0);
    struct iovec iov[2] = {{"hello from ", 11}, {"guest\n", 6}};
    CHECK(writev(s, iov, 2) == 17);
    char buf[64] = {0};
    size_t got = 0;
    while (got < 16) {
        ssize_t r = read(s, buf + got, sizeof(buf) - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    CHECK(got == 16 && !strcmp(buf, "hello from host\n"));
    char c;
    CHECK(recv(s, &c, 1, 0) == 0); /* the host closed */
    /* Writing to a connection the peer reset: EPIPE, and SIGPIPE unless MSG_NOSIGNAL. */
    int rc = 0;
    for (int i = 0; i < 50 && rc >= 0; i++) {
        rc = (int)send(s, buf, 16, MSG_NOSIGNAL);
        usleep(10000);
    }
    CHECK(rc == -1 && (errno == EPIPE || errno == ECONNRESET));
    close(s);

    /* shutdown(SHUT_WR) then write: EPIPE with a SIGPIPE; MSG_NOSIGNAL: none. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(s, (const struct sockaddr *)host, sizeof(*host)) == 0);
    CHECK(shutdown(s, SHUT_WR) == 0);
    int before = sigpipes;
    ERRNO(write(s, "x", 1), EPIPE);
    CHECK(sigpipes == before + 1);
    ERRNO(send(s, "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK(sigpipes == before + 1);
    /* The host answers even a half-closed peer; recvmsg reads it. */
    got = 0;
    memset(buf, 0, sizeof(buf));
    struct iovec riov = {buf, sizeof(buf) - 1};
    struct msghdr mh = {.msg_iov = &riov, .msg_iovlen = 1};
    ssize_t r = recvmsg(s, &mh, MSG_WAITALL);
    CHECK(r == 16 && !strcmp(buf, "hello from host\n"));
    close(s);

    /* epoll and select see a connected socket writable. */
    s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(s, (const struct sockaddr *)host, sizeof(*host)) == 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = s};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0);
    CHECK(epoll_wait(ep, &ev, 1, 1000) == 1 && (ev.events & EPOLLOUT) && !(ev.events & EPOLLIN));
    CHECK(send(s, "ping\n", 5, 0) == 5);
    /* The answer arrives: epoll wakes for EPOLLIN within the timeout. */
    ev.events = EPOLLIN;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev) == 0);
    CHECK(epoll_wait(ep, &ev, 1, 5000) == 1 && (ev.events & EPOLLIN));
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(s, &rd);
    struct timeval tv = {5, 0};
    CHECK(select(s + 1, &rd, NULL, NULL, &tv) == 1 && FD_ISSET(s, &rd));
    fcntl(s, F_SETFL, O_NONBLOCK);
    CHECK(recv(s, buf, sizeof(buf), MSG_PEEK) > 0);
    while (recv(s, buf, sizeof(buf), 0) > 0)
        ;
    close(ep);
    close(s);
}

static void test_udp(const struct sockaddr_in *host)
{
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    char c;
    fcntl(u, F_SETFL, O_NONBLOCK);
    ERRNO(recv(u, &c, 1, 0), EAGAIN);
    struct sockaddr_in sa = any_port(7071);
    CHECK(bind(u, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    int v = socket(AF_INET, SOCK_DGRAM, 0);
    ERRNO(bind(v, (struct sockaddr *)&sa, sizeof(sa)), EADDRINUSE);
    ERRNO(send(v, "x", 1, 0), EDESTADDRREQ);
    CHECK(connect(v, (const struct sockaddr *)host, sizeof(*host)) == 0);
    struct sockaddr_in peer;
    socklen_t len = sizeof(peer);
    CHECK(getpeername(v, (struct sockaddr *)&peer, &len) == 0 && peer.sin_port == host->sin_port);
    close(u);
    close(v);
}

/* The peer of "self": what the host's listener does (tests/integration/netpeer.py). */
static void *peer(void *arg)
{
    int ls = *(int *)arg;
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[128];
        size_t got = 0;
        while (got < sizeof(buf) && !memchr(buf, '\n', got)) {
            ssize_t r = recv(c, buf + got, sizeof(buf) - got, 0);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        send(c, "hello from host\n", 16, MSG_NOSIGNAL);
        close(c);
    }
}

static int start_peer(int port)
{
    static int ls;
    ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = any_port(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 8) < 0) {
        perror("nettest: peer");
        return -1;
    }
    pthread_t t;
    return pthread_create(&t, NULL, peer, &ls) ? -1 : 0;
}

/* Datagrams over loopback: vectors both ways, MSG_PEEK, MSG_TRUNC, FIONREAD, timeouts. */
static void test_udp_loopback(void)
{
    struct sockaddr_in a = any_port(7072), b = any_port(0), from;
    a.sin_addr.s_addr = b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int u = socket(AF_INET, SOCK_DGRAM, 0), v = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(bind(u, (struct sockaddr *)&a, sizeof(a)) == 0);
    CHECK(bind(v, (struct sockaddr *)&b, sizeof(b)) == 0);
    socklen_t len = sizeof(b);
    CHECK(getsockname(v, (struct sockaddr *)&b, &len) == 0 && b.sin_port != 0);
    struct stat st;
    CHECK(fstat(u, &st) == 0 && S_ISSOCK(st.st_mode));
    /* One datagram from two buffers (sendmsg), read back in two (recvmsg). */
    struct iovec out[2] = {{"hello ", 6}, {"datagram", 8}};
    struct msghdr mh = {.msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = out,
                        .msg_iovlen = 2};
    CHECK(sendmsg(v, &mh, 0) == 14);
    struct pollfd p = {u, POLLIN, 0};
    CHECK(poll(&p, 1, 2000) == 1 && (p.revents & POLLIN));
    int avail = 0;
    CHECK(ioctl(u, FIONREAD, &avail) == 0 && avail == 14);
    char x[4], y[32];
    len = sizeof(from);
    CHECK(recvfrom(u, y, sizeof(y), MSG_PEEK, (struct sockaddr *)&from, &len) == 14 &&
          from.sin_port == b.sin_port && len == sizeof(from));
    struct iovec in[2] = {{x, 4}, {y, sizeof(y)}};
    memset(y, 0, sizeof(y));
    struct msghdr rh = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = in,
                        .msg_iovlen = 2};
    CHECK(recvmsg(u, &rh, 0) == 14 && !memcmp(x, "hell", 4) && !strcmp(y, "o datagram") &&
          rh.msg_namelen == sizeof(from) && from.sin_port == b.sin_port && rh.msg_flags == 0);
    /* Too small a buffer: the rest is lost, MSG_TRUNC says so (and returns the real size). */
    CHECK(sendto(v, "0123456789", 10, 0, (struct sockaddr *)&a, sizeof(a)) == 10);
    CHECK(sendto(v, "abcdef", 6, 0, (struct sockaddr *)&a, sizeof(a)) == 6);
    struct iovec small = {x, 4};
    struct msghdr th = {.msg_iov = &small, .msg_iovlen = 1};
    CHECK(recvmsg(u, &th, 0) == 4 && (th.msg_flags & MSG_TRUNC) && !memcmp(x, "0123", 4));
    CHECK(recv(u, x, 2, MSG_TRUNC) == 6 && !memcmp(x, "ab", 2));
    /* A receive timeout ends a blocking read with EAGAIN. */
    struct timeval tv = {0, 100000}, got;
    CHECK(setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
    len = sizeof(got);
    CHECK(getsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0 && got.tv_usec == 100000);
    ERRNO(recv(u, x, 1, 0), EAGAIN);
    /* connect() then write()/read() as a file; AF_UNSPEC dissolves the association. */
    CHECK(connect(v, (struct sockaddr *)&a, sizeof(a)) == 0);
    CHECK(write(v, "w", 1) == 1 && read(u, x, sizeof(x)) == 1 && x[0] == 'w');
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    CHECK(connect(v, &unspec, sizeof(unspec)) == 0);
    ERRNO(send(v, "x", 1, 0), EDESTADDRREQ);
    ERRNO(sendto(v, y, 70000, 0, (struct sockaddr *)&a, sizeof(a)), EMSGSIZE);
    close(u);
    close(v);
}

/* A stream over loopback: readv/writev, MSG_WAITALL, FIONREAD, O_NONBLOCK by fcntl. */
static void test_tcp_loopback(void)
{
    struct sockaddr_in a = any_port(7073);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ls = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(ls, 1) == 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
    struct sockaddr_in peer;
    socklen_t len = sizeof(peer);
    int s = accept4(ls, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    CHECK(s >= 0 && len == sizeof(peer) && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    CHECK(fcntl(s, F_GETFD) & FD_CLOEXEC);
    struct iovec out[3] = {{"one ", 4}, {"two ", 4}, {"three", 5}};
    CHECK(writev(c, out, 3) == 13);
    char p1[3], p2[16] = {0};
    struct iovec in[2] = {{p1, 3}, {p2, 10}};
    CHECK(readv(s, in, 2) == 13 && !memcmp(p1, "one", 3) && !strcmp(p2, " two three"));
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK);
    ERRNO(read(s, p2, sizeof(p2)), EAGAIN);
    CHECK(send(c, "abcd", 4, 0) == 4);
    struct pollfd p = {s, POLLIN, 0};
    CHECK(poll(&p, 1, 2000) == 1);
    int avail = 0;
    CHECK(ioctl(s, FIONREAD, &avail) == 0 && avail == 4);
    fcntl(s, F_SETFL, fcntl(s, F_GETFL) & ~O_NONBLOCK);
    CHECK(recv(s, p2, 4, MSG_WAITALL) == 4 && !memcmp(p2, "abcd", 4));
    close(c); /* end of file on the other side */
    CHECK(poll(&p, 1, 2000) == 1 && (p.revents & POLLIN));
    CHECK(read(s, p2, sizeof(p2)) == 0);
    close(s);
    close(ls);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: nettest HOST PORT\n");
        return 2;
    }
    signal(SIGPIPE, on_sigpipe);
    struct sockaddr_in host = any_port(atoi(argv[2])), closed = any_port(atoi(argv[2]) + 1);
    if (!strcmp(argv[1], "self")) {
        if (start_peer(atoi(argv[2])) < 0)
            return 2;
        argv[1] = "127.0.0.1";
    }
    if (inet_pton(AF_INET, argv[1], &host.sin_addr) != 1)
        return 2;
    closed.sin_addr = host.sin_addr;
    test_creation();
    test_bind_listen();
    test_connect(&host, &closed);
    test_udp(&host);
    test_udp_loopback();
    test_tcp_loopback();
    printf("nettest: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
