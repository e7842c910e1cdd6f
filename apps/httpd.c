/* A small HTTP/1.1 file server: one thread, epoll (level-triggered), non-blocking sockets,
 * keep-alive, GET and HEAD of files under a directory, Content-Length, 404/400/405/501.
 * Usage: httpd [-n REQUESTS] PORT DIR   (-n: exit 0 after serving that many responses)
 * An ordinary Linux program: it runs on the host as well as on Mote. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CONN 1024
#define REQ_MAX 8192
#define OUT_MAX 65536

struct conn {
    int fd;
    char req[REQ_MAX];
    size_t reqlen;
    char head[512];
    size_t headlen, headoff;
    int file;             /* the body's file, or -1 */
    off_t fileoff, fileend;
    const char *body;     /* a short in-memory body (error pages) */
    size_t bodylen, bodyoff;
    int keepalive;
    int writing;
};

static const char *root;
static long served, limit = -1;
static int ep;
static char outbuf[OUT_MAX];

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static void conn_close(struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    if (c->file >= 0)
        close(c->file);
    free(c);
}

static const char *mime(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && (!strcmp(dot, ".html") || !strcmp(dot, ".htm")))
        return "text/html";
    if (dot && !strcmp(dot, ".txt"))
        return "text/plain";
    return "application/octet-stream";
}

static void respond_error(struct conn *c, int code, const char *reason, int head_only)
{
    static char body[128];
    if (code != 404) { /* requests we could not take: say what came */
        char line[80];
        size_t n = strcspn(c->req, "\r\n");
        snprintf(line, sizeof(line), "%.*s", (int)(n < 60 ? n : 60), c->req);
        fprintf(stderr, "httpd: %d for \"%s\" (%zu bytes buffered)\n", code, line, c->reqlen);
    }
    int n = snprintf(body, sizeof(body), "%d %s\n", code, reason);
    c->body = body;
    c->bodylen = head_only ? 0 : (size_t)n;
    c->bodyoff = 0;
    c->headlen = (size_t)snprintf(c->head, sizeof(c->head),
                                  "HTTP/1.1 %d %s\r\nServer: mote-httpd\r\nContent-Type: "
                                  "text/plain\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n",
                                  code, reason, n, c->keepalive ? "keep-alive" : "close");
}

/* Parses one complete request at the start of c->req (ending at end); sets up the response. */
static void handle_request(struct conn *c, char *end)
{
    *end = 0;
    char method[16], target[1024], version[16];
    if (sscanf(c->req, "%15s %1023s %15s", method, target, version) != 3) {
        c->keepalive = 0;
        respond_error(c, 400, "Bad Request", 0);
        return;
    }
    c->keepalive = !strcmp(version, "HTTP/1.1");
    for (char *l = strstr(c->req, "\r\n"); l && l < end; l = strstr(l + 2, "\r\n")) {
        if (!strncasecmp(l + 2, "Connection:", 11)) {
            const char *v = l + 13;
            while (*v == ' ')
                v++;
            if (!strncasecmp(v, "close", 5))
                c->keepalive = 0;
            else if (!strncasecmp(v, "keep-alive", 10))
                c->keepalive = 1;
        }
    }
    int head_only = !strcmp(method, "HEAD");
    if (strcmp(method, "GET") && !head_only) {
        respond_error(c, 501, "Not Implemented", 0);
        return;
    }
    char *q = strchr(target, '?');
    if (q)
        *q = 0;
    if (target[0] != '/' || strstr(target, "..")) {
        respond_error(c, 400, "Bad Request", head_only);
        return;
    }
    char path[2048];
    snprintf(path, sizeof(path), "%s%s%s", root, target,
             target[strlen(target) - 1] == '/' ? "index.html" : "");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        respond_error(c, 404, "Not Found", head_only);
        return;
    }
    c->headlen = (size_t)snprintf(c->head, sizeof(c->head),
                                  "HTTP/1.1 200 OK\r\nServer: mote-httpd\r\nContent-Type: %s\r\n"
                                  "Content-Length: %lld\r\nConnection: %s\r\n\r\n",
                                  mime(path), (long long)st.st_size,
                                  c->keepalive ? "keep-alive" : "close");
    if (head_only) {
        close(fd);
        return;
    }
    c->file = fd;
    c->fileoff = 0;
    c->fileend = st.st_size;
}

/* Starts the next request if a whole one is buffered; returns 1 if a response is under way. */
static int next_request(struct conn *c)
{
    c->req[c->reqlen] = 0;
    char *end = strstr(c->req, "\r\n\r\n");
    if (!end)
        return 0;
    size_t used = (size_t)(end - c->req) + 4;
    c->headoff = 0;
    c->body = NULL;
    c->bodylen = c->bodyoff = 0;
    handle_request(c, end);
    memmove(c->req, c->req + used, c->reqlen - used);
    c->reqlen -= used;
    c->writing = 1;
    return 1;
}

static void set_events(struct conn *c, unsigned events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
        die("epoll_ctl MOD");
}

/* Writes what the socket takes; returns 1 when the response is complete, 0 if it would block,
 * -1 on error. */
static int send_some(struct conn *c)
{
    for (;;) {
        const char *p;
        size_t n;
        if (c->headoff < c->headlen) {
            p = c->head + c->headoff;
            n = c->headlen - c->headoff;
        } else if (c->body && c->bodyoff < c->bodylen) {
            p = c->body + c->bodyoff;
            n = c->bodylen - c->bodyoff;
        } else if (c->file >= 0 && c->fileoff < c->fileend) {
            size_t want = (size_t)(c->fileend - c->fileoff);
            ssize_t r = pread(c->file, outbuf, want < OUT_MAX ? want : OUT_MAX, c->fileoff);
            if (r <= 0)
                return -1;
            p = outbuf;
            n = (size_t)r;
        } else {
            if (c->file >= 0) {
                close(c->file);
                c->file = -1;
            }
            return 1;
        }
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0)
            return errno == EAGAIN ? 0 : -1;
        if (c->headoff < c->headlen)
            c->headoff += (size_t)w;
        else if (c->body && c->bodyoff < c->bodylen)
            c->bodyoff += (size_t)w;
        else
            c->fileoff += w;
    }
}

/* Serves a connection as far as it can go without blocking. */
static void conn_event(struct conn *c, unsigned events)
{
    if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
        conn_close(c);
        return;
    }
    if (!c->writing && (events & EPOLLIN)) {
        ssize_t r = recv(c->fd, c->req + c->reqlen, REQ_MAX - 1 - c->reqlen, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
            conn_close(c);
            return;
        }
        if (r > 0)
            c->reqlen += (size_t)r;
        if (!next_request(c)) {
            if (c->reqlen == REQ_MAX - 1) { /* a header too long: answer and close */
                c->keepalive = 0;
                c->headoff = 0;
                respond_error(c, 400, "Bad Request", 0);
                c->reqlen = 0;
                c->writing = 1;
            } else {
                return;
            }
        }
    }
    while (c->writing) {
        int rc = send_some(c);
        if (rc < 0) {
            conn_close(c);
            return;
        }
        if (rc == 0) {
            set_events(c, EPOLLOUT);
            return;
        }
        c->writing = 0;
        served++;
        if (!c->keepalive) {
            conn_close(c);
            return;
        }
        if (!next_request(c)) {
            set_events(c, EPOLLIN);
            return;
        }
    }
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "n:")) != -1) {
        if (opt == 'n')
            limit = atol(optarg);
        else
            goto usage;
    }
    if (argc - optind != 2) {
    usage:
        fprintf(stderr, "usage: httpd [-n REQUESTS] PORT DIR\n");
        return 2;
    }
    int port = atoi(argv[optind]);
    root = argv[optind + 1];
    signal(SIGPIPE, SIG_IGN);

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ls < 0)
        die("socket");
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0)
        die("bind");
    if (listen(ls, 128) < 0)
        die("listen");
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0)
        die("epoll_ctl");
    printf("httpd: serving %s on port %d\n", root, port);
    fflush(stdout);

    struct epoll_event evs[64];
    while (limit < 0 || served < limit) {
        int n = epoll_wait(ep, evs, 64, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr) {
                conn_event(evs[i].data.ptr, evs[i].events);
                continue;
            }
            for (;;) {
                int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                    if (errno != EAGAIN && errno != ECONNABORTED)
                        perror("accept4");
                    break;
                }
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                struct conn *c = calloc(1, sizeof(*c));
                if (!c) {
                    close(fd);
                    continue;
                }
                c->fd = fd;
                c->file = -1;
                struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
                if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0) {
                    perror("epoll_ctl ADD");
                    close(fd);
                    free(c);
                }
            }
        }
    }
    printf("httpd: served %ld responses\n", served);
    return 0;
}
