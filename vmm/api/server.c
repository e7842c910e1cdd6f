/* API socket, connections and the hand-over to the VMM thread; see server.h. */
#include "vmm/api/server.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/log.h"

#define API_THREAD_STACK (256 * 1024)
#define API_SEND_TIMEOUT_MS 1000    /* a client that does not read its answers is dropped */
#define API_DRAIN_MAX (1024 * 1024) /* bytes discarded after an error answer before closing */

struct conn {
    int fd;                     /* -1: free slot */
    char *buf;                  /* HTTP_HEAD_MAX + body_max bytes, while the connection lives */
    size_t len;
    bool continued;             /* "100 Continue" sent for the request being read */
    size_t draining;            /* > 0: answered with an error, discarding until EOF (bytes left) */
};

struct api_call {
    const struct http_request *req;
    struct api_response resp;
};

struct api_server {
    int listen_fd;
    int efd;
    size_t body_max;
    void (*thread_init)(void);
    struct conn conns[API_CONN_MAX];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct api_call *pending;   /* the request the VMM thread is to handle */
    bool done;
};

int api_server_open(struct api_server **out, const char *path, size_t body_max, char *err,
                    size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "--api-sock %s: path too long", path);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    struct api_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "API server: out of memory");
        return -ENOMEM;
    }
    s->body_max = body_max;
    for (int i = 0; i < API_CONN_MAX; i++)
        s->conns[i].fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->efd < 0 || s->listen_fd < 0 || bind(s->listen_fd, (void *)&sa, sizeof(sa)) ||
        listen(s->listen_fd, 64)) {
        int e = errno;
        snprintf(err, errlen, "--api-sock %s: %s", path, strerror(e));
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        if (s->efd >= 0)
            close(s->efd);
        free(s);
        return -e;
    }
    *out = s;
    return 0;
}

int api_server_fd(const struct api_server *s)
{
    return s->efd;
}

/* Server thread: hands the request over and waits for the VMM thread's answer. */
static void call_vmm(struct api_server *s, struct api_call *call)
{
    uint64_t one = 1;
    pthread_mutex_lock(&s->lock);
    s->pending = call;
    s->done = false;
    pthread_mutex_unlock(&s->lock);
    (void)!write(s->efd, &one, sizeof(one));
    pthread_mutex_lock(&s->lock);
    while (!s->done)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

void api_server_serve(struct api_server *s, struct api_vmm *v)
{
    uint64_t n;
    (void)!read(s->efd, &n, sizeof(n));
    pthread_mutex_lock(&s->lock);
    struct api_call *call = s->pending;
    pthread_mutex_unlock(&s->lock);
    if (!call)
        return;
    const struct http_request *r = call->req;
    api_handle(v, r->method, r->path, r->path_len, r->body, r->body_len, &call->resp);
    log_msg(LOG_DEBUG, "API %s %.*s: %d %s", http_method_name(r->method),
            (int)(r->path_len > 200 ? 200 : r->path_len), r->path, call->resp.status,
            call->resp.status == 400 && call->resp.body ? call->resp.body : "");
    pthread_mutex_lock(&s->lock);
    s->pending = NULL;
    s->done = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static bool send_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= n;
    }
    return true;
}

static bool send_response(int fd, const struct api_response *r, bool keep_alive)
{
    size_t cap = 512 + r->body_len;
    char *out = malloc(cap);
    if (!out)
        return false;
    int n = http_format_response(out, cap, r->status, r->body, r->body_len, keep_alive);
    bool sent = n > 0 && send_all(fd, out, n);
    free(out);
    return sent && keep_alive;
}

/* Answers a request that ends the connection (malformed, too large). The client may still be
 * sending its body: closing now would fail its writes (EPIPE) before it reads the answer, so the
 * write side is shut and what comes in is discarded until it closes (RFC 9112 §9.6, lingering
 * close), up to API_DRAIN_MAX bytes. */
static bool send_fault(struct conn *c, const char *msg)
{
    struct api_response r = { 0 };
    api_fault(&r, msg);
    send_response(c->fd, &r, false);
    free(r.body);
    if (shutdown(c->fd, SHUT_WR))
        return false;
    c->draining = API_DRAIN_MAX;
    return true;
}

static void conn_close(struct conn *c)
{
    close(c->fd);
    free(c->buf);
    *c = (struct conn){ .fd = -1 };
}

/* Handles every whole request in the buffer. Returns false when the connection must close. */
static bool conn_process(struct api_server *s, struct conn *c)
{
    for (;;) {
        struct http_request r;
        const char *why;
        char msg[160];
        int n = http_parse(c->buf, c->len, s->body_max, &r, &why);
        if (n == HTTP_MORE) {
            if (r.head_len && r.expect_continue && !c->continued) {
                static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
                c->continued = true;
                return send_all(c->fd, cont, sizeof(cont) - 1);
            }
            return true;
        }
        if (n == HTTP_TOO_LARGE) {
            snprintf(msg, sizeof(msg), "Request payload with size %zu is larger than the limit "
                     "of %zu allowed by server.", r.body_len ? r.body_len : c->len, s->body_max);
            return send_fault(c, msg);
        }
        if (n < 0)
            return send_fault(c, why);
        struct api_call call = { .req = &r };
        call_vmm(s, &call);
        bool keep = send_response(c->fd, &call.resp, r.keep_alive);
        free(call.resp.body);
        if (!keep)
            return false;
        memmove(c->buf, c->buf + n, c->len - n);
        c->len -= n;
        c->continued = false;
        if (!c->len)
            return true;
    }
}

/* Reads what the client sent. Returns false when the connection must close. */
static bool conn_read(struct api_server *s, struct conn *c)
{
    size_t cap = HTTP_HEAD_MAX + s->body_max;
    if (!c->buf && !(c->buf = malloc(cap)))
        return false;
    if (c->draining) {
        ssize_t n = recv(c->fd, c->buf, cap, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return true;
        if (n <= 0 || (size_t)n >= c->draining)
            return false;
        c->draining -= (size_t)n;
        return true;
    }
    ssize_t n = recv(c->fd, c->buf + c->len, cap - c->len, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;   /* closed, possibly in the middle of a request: drop it */
    c->len += n;
    return conn_process(s, c);
}

static void accept_one(struct api_server *s)
{
    struct timeval tv = { API_SEND_TIMEOUT_MS / 1000, (API_SEND_TIMEOUT_MS % 1000) * 1000 };
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    /* One thread serves every connection: a send must not wait forever on one of them. */
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    for (int i = 0; i < API_CONN_MAX; i++) {
        if (s->conns[i].fd < 0) {
            s->conns[i] = (struct conn){ .fd = fd };
            return;
        }
    }
    log_msg(LOG_WARN, "API server: more than %d connections, one refused", API_CONN_MAX);
    close(fd);
}

static void *server_thread(void *arg)
{
    struct api_server *s = arg;
    struct pollfd pfd[1 + API_CONN_MAX];
    int slot[1 + API_CONN_MAX];

    if (s->thread_init)
        s->thread_init();
    for (;;) {
        int n = 0;
        pfd[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
        for (int i = 0; i < API_CONN_MAX; i++) {
            if (s->conns[i].fd >= 0) {
                slot[n] = i;
                pfd[n++] = (struct pollfd){ .fd = s->conns[i].fd, .events = POLLIN };
            }
        }
        if (poll(pfd, n, -1) < 0)
            continue;
        for (int k = 1; k < n; k++) {
            struct conn *c = &s->conns[slot[k]];
            if (pfd[k].revents && !conn_read(s, c))
                conn_close(c);
        }
        if (pfd[0].revents & POLLIN)
            accept_one(s);
    }
    return NULL;
}

int api_server_start(struct api_server *s, void (*thread_init)(void))
{
    pthread_attr_t attr;
    pthread_t t;
    s->thread_init = thread_init;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, API_THREAD_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, server_thread, s);
    pthread_attr_destroy(&attr);
    if (!rc)
        pthread_setname_np(t, "fc_api");
    return -rc;
}
