/* The socket system calls (socket(2), bind(2), ..., getsockopt(2)) for AF_INET: user pointers
 * checked and copied here, the work done by net/socket.c. A socket is an open file (read, write,
 * readv, writev, poll, select, epoll, fcntl O_NONBLOCK, ioctl FIONREAD/FIONBIO, close). */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/mm.h"
#include "mote/string.h"
#include "mote/uspace.h"
#include "net/socket.h"

#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC
#define SOCK_MAX 10 /* Linux: types at or past it are EINVAL */
#define SIGPIPE 13
#define IOV_MAX 1024
#define SOCKADDR_MAX 128 /* sizeof(struct sockaddr_storage) */
#define FIONREAD 0x541b
#define FIONBIO 0x5421

/* ---- sockets as files ---- */

/* A call that may sleep holds a reference to the file: another thread's close() then only
 * removes the descriptor (as on Linux) and cannot free the socket under the sleeper. */
#define HOLD(f, call)                                                                              \
    ({                                                                                             \
        file_get(f);                                                                               \
        long r_ = (call);                                                                          \
        file_put(f);                                                                               \
        r_;                                                                                        \
    })

static long sf_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    struct kiov v = {buf, len};
    return HOLD(f, sock_recv(f->priv, &v, 1, 0, NULL, NULL, f->flags & O_NONBLOCK));
}

static long sf_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    struct kiov v = {(void *)buf, len};
    /* -EPIPE: the caller raises SIGPIPE */
    return HOLD(f, sock_send(f->priv, &v, 1, 0, NULL, f->flags & O_NONBLOCK));
}

static unsigned sf_poll(struct file *f)
{
    return sock_poll(f->priv);
}

static long sf_ioctl(struct file *f, unsigned long cmd, uint64_t arg)
{
    int v;
    switch ((uint32_t)cmd) {
    case FIONREAD:
        v = sock_readable_bytes(f->priv);
        return copy_to_user(arg, &v, sizeof(v));
    case FIONBIO:
        if (copy_from_user(&v, arg, sizeof(v)))
            return -EFAULT;
        f->flags = v ? (f->flags | O_NONBLOCK) : (f->flags & ~O_NONBLOCK);
        return 0;
    default:
        return -ENOTTY;
    }
}

static void sf_release(struct file *f)
{
    sock_close(f->priv);
}

static const struct file_ops socket_ops = {.read = sf_read,
                                           .write = sf_write,
                                           .poll = sf_poll,
                                           .ioctl = sf_ioctl,
                                           .release = sf_release,
                                           .poll_wakes = true};

bool file_is_socket(const struct file *f)
{
    return f->ops == &socket_ops;
}

static struct sock *sock_of(uint64_t fd, struct file **fp, long *err)
{
    struct file *f = fd_get((int)fd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    if (f->ops != &socket_ops) {
        *err = -ENOTSOCK;
        return NULL;
    }
    if (fp)
        *fp = f;
    return f->priv;
}

#define SOCK_OR_RETURN(fd, fp)                                                                     \
    long err_ = -EBADF;                                                                            \
    struct sock *s = sock_of(fd, fp, &err_);                                                       \
    if (!s)                                                                                        \
        return err_;

static long install(struct sock *s, int flags)
{
    struct file *f = file_new(&socket_ops, s, O_RDWR | (flags & SOCK_NONBLOCK));
    if (!f) {
        sock_close(s);
        return -ENOMEM;
    }
    int fd = fd_install(f, 0, flags & SOCK_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* ---- addresses ---- */

/* A sockaddr from the program: at least a sockaddr_in, at most a sockaddr_storage; connect
 * also takes a bare AF_UNSPEC family (short). */
static long get_addr(uint64_t uaddr, uint64_t len, struct sockaddr_in_k *a, bool unspec_short)
{
    if ((uint32_t)len > SOCKADDR_MAX)
        return -EINVAL;
    memset(a, 0, sizeof(*a));
    if (unspec_short && (uint32_t)len >= sizeof(a->family) && (uint32_t)len < sizeof(*a)) {
        if (copy_from_user(&a->family, uaddr, sizeof(a->family)))
            return -EFAULT;
        return a->family == AF_UNSPEC ? 0 : -EINVAL; /* connect(AF_UNSPEC) may be short */
    }
    if ((uint32_t)len < sizeof(*a))
        return -EINVAL;
    return copy_from_user(a, uaddr, sizeof(*a)) ? -EFAULT : 0;
}

/* Hands an address back: min(*ulen, 16) bytes of it, and its full length in *ulen. */
static long put_addr(uint64_t uaddr, uint64_t ulen, const struct sockaddr_in_k *a, uint32_t alen)
{
    if (!uaddr || !ulen)
        return 0;
    int32_t len;
    if (copy_from_user(&len, ulen, sizeof(len)))
        return -EFAULT;
    if (len < 0)
        return -EINVAL;
    if (copy_to_user(uaddr, a, MIN((uint32_t)len, alen)))
        return -EFAULT;
    return copy_to_user(ulen, &alen, sizeof(alen)) ? -EFAULT : 0;
}

/* ---- the calls ---- */

long sys_socket(uint64_t domain, uint64_t type, uint64_t protocol)
{
    int flags = (int)type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    int base = (int)type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (base < 0 || base >= SOCK_MAX)
        return -EINVAL;
    if ((int)domain != AF_INET)
        return -EAFNOSUPPORT;
    if (base != SOCK_STREAM && base != SOCK_DGRAM)
        return -ESOCKTNOSUPPORT;
    int want = base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    if ((int)protocol != 0 && (int)protocol != want)
        return -EPROTONOSUPPORT;
    struct sock *s;
    int rc = sock_create(base, &s);
    return rc ? rc : install(s, flags);
}

long sys_socketpair(uint64_t domain, uint64_t type, uint64_t protocol, uint64_t sv)
{
    return (int)domain == AF_INET ? -EOPNOTSUPP : -EAFNOSUPPORT;
}

long sys_bind(uint64_t fd, uint64_t uaddr, uint64_t len)
{
    SOCK_OR_RETURN(fd, NULL);
    struct sockaddr_in_k a;
    long rc = get_addr(uaddr, len, &a, false);
    if (rc)
        return rc;
    if (a.family != AF_INET && !(a.family == AF_UNSPEC && a.addr == 0))
        return -EAFNOSUPPORT;
    return sock_bind(s, &a);
}

long sys_listen(uint64_t fd, uint64_t backlog)
{
    SOCK_OR_RETURN(fd, NULL);
    return sock_listen(s, (int)backlog);
}

long sys_accept4(uint64_t fd, uint64_t uaddr, uint64_t ulen, uint64_t flags)
{
    if (flags & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    struct file *f;
    SOCK_OR_RETURN(fd, &f);
    if (uaddr && !user_range_ok(ulen, sizeof(int32_t), true))
        return -EFAULT;
    struct sock *n;
    struct sockaddr_in_k peer;
    long rc = HOLD(f, sock_accept(s, f->flags & O_NONBLOCK, &n, &peer));
    if (rc)
        return rc;
    long nfd = install(n, (int)flags);
    if (nfd >= 0 && (rc = put_addr(uaddr, ulen, &peer, sizeof(peer)))) {
        fd_close((int)nfd);
        return rc;
    }
    return nfd;
}

long sys_accept(uint64_t fd, uint64_t uaddr, uint64_t ulen)
{
    return sys_accept4(fd, uaddr, ulen, 0);
}

long sys_connect(uint64_t fd, uint64_t uaddr, uint64_t len)
{
    struct file *f;
    SOCK_OR_RETURN(fd, &f);
    struct sockaddr_in_k a;
    long rc = get_addr(uaddr, len, &a, true);
    if (rc)
        return rc;
    if (a.family != AF_INET && a.family != AF_UNSPEC)
        return -EAFNOSUPPORT;
    if (a.family == AF_UNSPEC && sock_type(s) == SOCK_STREAM)
        return -EAFNOSUPPORT; /* dissolving a TCP association is not offered */
    return HOLD(f, sock_connect(s, &a, f->flags & O_NONBLOCK));
}

long sys_shutdown(uint64_t fd, uint64_t how)
{
    SOCK_OR_RETURN(fd, NULL);
    return sock_shutdown(s, (int)how);
}

long sys_getsockname(uint64_t fd, uint64_t uaddr, uint64_t ulen)
{
    SOCK_OR_RETURN(fd, NULL);
    struct sockaddr_in_k a;
    if (!user_range_ok(ulen, sizeof(int32_t), true))
        return -EFAULT;
    long rc = sock_name(s, false, &a);
    return rc ? rc : put_addr(uaddr, ulen, &a, sizeof(a));
}

long sys_getpeername(uint64_t fd, uint64_t uaddr, uint64_t ulen)
{
    SOCK_OR_RETURN(fd, NULL);
    struct sockaddr_in_k a;
    if (!user_range_ok(ulen, sizeof(int32_t), true))
        return -EFAULT;
    long rc = sock_name(s, true, &a);
    return rc ? rc : put_addr(uaddr, ulen, &a, sizeof(a));
}

long sys_setsockopt(uint64_t fd, uint64_t level, uint64_t name, uint64_t uval, uint64_t len)
{
    SOCK_OR_RETURN(fd, NULL);
    uint8_t val[16] = {0};
    if ((int)len < 0)
        return -EINVAL;
    unsigned n = MIN((unsigned)len, sizeof(val));
    if (n && copy_from_user(val, uval, n))
        return -EFAULT;
    return sock_setopt(s, (int)level, (int)name, val, n);
}

long sys_getsockopt(uint64_t fd, uint64_t level, uint64_t name, uint64_t uval, uint64_t ulen)
{
    SOCK_OR_RETURN(fd, NULL);
    int32_t len;
    if (copy_from_user(&len, ulen, sizeof(len)))
        return -EFAULT;
    if (len < 0)
        return -EINVAL;
    uint8_t val[16];
    unsigned n = MIN((unsigned)len, sizeof(val));
    long rc = sock_getopt(s, (int)level, (int)name, val, &n);
    if (rc)
        return rc;
    if (copy_to_user(uval, val, n))
        return -EFAULT;
    len = (int32_t)n;
    return copy_to_user(ulen, &len, sizeof(len));
}

/* A send's -EPIPE raises SIGPIPE unless MSG_NOSIGNAL (socket(7)). */
static long sent(long rc, uint64_t flags)
{
    return rc == -EPIPE && !(flags & MSG_NOSIGNAL) ? signal_self(SIGPIPE, rc) : rc;
}

long sys_sendto(uint64_t fd, uint64_t buf, uint64_t len, uint64_t flags, uint64_t uaddr,
                uint64_t alen)
{
    struct file *f;
    SOCK_OR_RETURN(fd, &f);
    len = MIN(len, 0x7ffff000ul);
    if (sock_type(s) == SOCK_DGRAM && len > 65507)
        return -EMSGSIZE; /* before the buffer is looked at, as Linux */
    if (len && !user_range_ok(buf, len, false))
        return -EFAULT;
    struct sockaddr_in_k a;
    if (uaddr) {
        long rc = get_addr(uaddr, alen, &a, false);
        if (rc)
            return rc;
        if (a.family != AF_INET && a.family != AF_UNSPEC)
            return -EAFNOSUPPORT;
    }
    struct kiov v = {(void *)buf, len};
    return sent(HOLD(f, sock_send(s, &v, 1, (int)flags, uaddr ? &a : NULL, f->flags & O_NONBLOCK)),
                flags);
}

long sys_recvfrom(uint64_t fd, uint64_t buf, uint64_t len, uint64_t flags, uint64_t uaddr,
                  uint64_t ulen)
{
    struct file *f;
    SOCK_OR_RETURN(fd, &f);
    len = MIN(len, 0x7ffff000ul);
    if (len && !user_range_ok(buf, len, true))
        return -EFAULT;
    if (uaddr && !user_range_ok(ulen, sizeof(int32_t), true))
        return -EFAULT;
    struct kiov v = {(void *)buf, len};
    struct sockaddr_in_k from;
    long rc = HOLD(f, sock_recv(s, &v, 1, (int)flags, &from, NULL, f->flags & O_NONBLOCK));
    if (rc >= 0 && uaddr) {
        long e = put_addr(uaddr, ulen, &from, sock_type(s) == SOCK_DGRAM ? sizeof(from) : 0);
        if (e)
            return e;
    }
    return rc;
}

/* struct msghdr (x86-64). */
struct msghdr_k {
    uint64_t name;
    uint32_t namelen;
    uint32_t pad;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    int32_t flags;
    uint32_t pad2;
};
_Static_assert(sizeof(struct msghdr_k) == 56, "struct msghdr is 56 bytes on x86-64");

/* The message's vector in kernel memory (kfree it), each buffer checked. */
static long get_iov(const struct msghdr_k *m, bool write, struct kiov **out)
{
    if (m->iovlen > IOV_MAX)
        return -EMSGSIZE;
    size_t bytes = m->iovlen * sizeof(struct kiov);
    struct kiov *v = kmalloc(bytes ? bytes : 1);
    if (!v)
        return -ENOMEM;
    if (bytes && copy_from_user(v, m->iov, bytes)) {
        kfree(v);
        return -EFAULT;
    }
    uint64_t total = 0;
    for (uint64_t i = 0; i < m->iovlen; i++) {
        total += v[i].len;
        if (v[i].len > 0x7ffff000ul || total > 0x7ffff000ul) {
            kfree(v);
            return -EINVAL;
        }
        if (v[i].len && !user_range_ok((uint64_t)v[i].base, v[i].len, write)) {
            kfree(v);
            return -EFAULT;
        }
    }
    *out = v;
    return 0;
}

long sys_sendmsg(uint64_t fd, uint64_t umsg, uint64_t flags)
{
    struct file *f;
    SOCK_OR_RETURN(fd, &f);
    struct msghdr_k m;
    if (copy_from_user(&m, umsg, sizeof(m)))
        return -EFAULT;
    struct sockaddr_in_k a;
    if (m.name) {
        long rc = get_addr(m.name, m.namelen, &a, false);
        if (rc)
            return rc;
        if (a.family != AF_INET && a.family != AF_UNSPEC)
            return -EAFNOSUPPORT;
    }
    struct kiov *v;
    long rc = get_iov(&m, false, &v);
    if (rc)
        return rc;
    rc = HOLD(f, sock_send(s, v, (int)m.iovlen, (int)flags, m.name ? &a : NULL,
                          f->flags & O_NONBLOCK));
    kfree(v);
    return sent(rc, flags);
}

long sys_recvmsg(uint64_t fd, uint64_t umsg, uint64_t flags)
{
    struct file *f;
    SOCK_OR_RETURN(fd, &f);
    struct msghdr_k m;
    if (copy_from_user(&m, umsg, sizeof(m)))
        return -EFAULT;
    struct kiov *v;
    long rc = get_iov(&m, true, &v);
    if (rc)
        return rc;
    struct sockaddr_in_k from;
    int mflags = 0;
    rc = HOLD(f, sock_recv(s, v, (int)m.iovlen, (int)flags, &from, &mflags,
                          f->flags & O_NONBLOCK));
    kfree(v);
    if (rc < 0)
        return rc;
    /* What came back: the source (datagrams), no control data, the flags. */
    uint32_t nl = 0;
    if (m.name && sock_type(s) == SOCK_DGRAM) {
        nl = sizeof(from);
        if (copy_to_user(m.name, &from, MIN(m.namelen, nl)))
            return -EFAULT;
    }
    uint64_t zero = 0;
    if (copy_to_user(umsg + __builtin_offsetof(struct msghdr_k, namelen), &nl, sizeof(nl)) ||
        copy_to_user(umsg + __builtin_offsetof(struct msghdr_k, controllen), &zero, sizeof(zero)) ||
        copy_to_user(umsg + __builtin_offsetof(struct msghdr_k, flags), &mflags, sizeof(mflags)))
        return -EFAULT;
    return rc;
}

/* readv/writev on a socket: one transfer over the whole vector (linux/sys_file.c checked it). */
long socket_rw_iov(struct file *f, const void *iov, uint64_t cnt, bool write)
{
    const struct kiov *v = iov;
    for (uint64_t i = 0; i < cnt; i++)
        if (v[i].len && !user_range_ok((uint64_t)v[i].base, v[i].len, !write))
            return -EFAULT;
    if (write)
        return HOLD(f, sock_send(f->priv, v, (int)cnt, 0, NULL, f->flags & O_NONBLOCK));
    return HOLD(f, sock_recv(f->priv, v, (int)cnt, 0, NULL, NULL, f->flags & O_NONBLOCK));
}
