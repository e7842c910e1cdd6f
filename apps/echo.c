/* TCP and UDP echo on one port: every byte a TCP peer sends comes back, every UDP datagram is
 * sent back to its sender. poll() over the listener, the UDP socket and the connections.
 * Usage: echo [-n CONNECTIONS] [PORT]   (port 7 by default; -n: exit 0 once that many TCP
 * connections have closed)
 * An ordinary Linux program: it runs on the host as well as on Mote. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 130

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* Writes all of buf (the socket is blocking). */
static int write_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long limit = -1, closed = 0;
    int opt;
    while ((opt = getopt(argc, argv, "n:")) != -1) {
        if (opt == 'n')
            limit = atol(optarg);
        else
            goto usage;
    }
    if (argc - optind > 1) {
    usage:
        fprintf(stderr, "usage: echo [-n CONNECTIONS] [PORT]\n");
        return 2;
    }
    int port = argc > optind ? atoi(argv[optind]) : 7;
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1;

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0)
        die("socket tcp");
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("bind tcp");
    if (listen(ls, 16) < 0)
        die("listen");
    int us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (us < 0)
        die("socket udp");
    if (bind(us, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("bind udp");
    printf("echo: tcp and udp port %d\n", port);
    fflush(stdout);

    static char buf[65536];
    struct pollfd fds[MAX_FDS] = {{ls, POLLIN, 0}, {us, POLLIN, 0}};
    int nfds = 2;
    while (limit < 0 || closed < limit) {
        if (poll(fds, (nfds_t)nfds, -1) < 0) {
            if (errno == EINTR)
                continue;
            die("poll");
        }
        if (fds[0].revents & POLLIN) {
            int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0)
                perror("accept4");
            else if (nfds == MAX_FDS)
                close(c);
            else
                fds[nfds++] = (struct pollfd){c, POLLIN, 0};
        }
        if (fds[1].revents & POLLIN) {
            struct sockaddr_in from;
            socklen_t fl = sizeof(from);
            ssize_t r = recvfrom(us, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
            if (r >= 0 && sendto(us, buf, (size_t)r, 0, (struct sockaddr *)&from, fl) != r)
                perror("sendto");
        }
        for (int i = 2; i < nfds; i++) {
            if (!fds[i].revents)
                continue;
            ssize_t r = recv(fds[i].fd, buf, sizeof(buf), 0);
            if (r > 0 && write_all(fds[i].fd, buf, (size_t)r) == 0)
                continue;
            if (r < 0 && errno == EINTR)
                continue;
            close(fds[i].fd);
            fds[i--] = fds[--nfds];
            closed++;
        }
    }
    printf("echo: %ld connections served\n", closed);
    return 0;
}
