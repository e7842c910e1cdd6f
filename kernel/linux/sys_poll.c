/* Waiting for files: poll, ppoll, select, pselect6, epoll (level-triggered; EPOLLET and
 * EPOLLONESHOT honoured as far as one process can tell), eventfd. Readiness is asked of each
 * file (file_ops.poll); with nothing ready the caller sleeps until a file signals a change
 * (fs/ready.c: sockets, pipes, eventfds) or the deadline passes; while it watches a file that
 * cannot signal (the console) it asks again every millisecond. */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/uspace.h"

struct pollfd {
    int32_t fd;
    int16_t events, revents;
};

#define POLL_MAX FD_MAX

static unsigned ready(struct file *f)
{
    return f->ops && f->ops->poll ? f->ops->poll(f) : (POLLIN | POLLOUT);
}

/* Whether f's readiness changes come with a file_ready_changed() call. */
static bool wakes(struct file *f)
{
    return !f->ops || !f->ops->poll || f->ops->poll_wakes;
}

/* Sleeps until the readiness generation moves past gen, the deadline (mono ns) passes, or, when
 * tick is set (a watched file cannot signal), a millisecond has passed. Returns -EINTR when a
 * signal came (or the process is ending): poll, select and epoll_wait are never restarted,
 * whatever SA_RESTART says (signal(7)); the handler runs, or the process ends, on the way out. */
static int poll_sleep(uint64_t gen, uint64_t deadline, bool tick)
{
    if (tick) {
        uint64_t ms = time_deadline_ms(1);
        deadline = MIN(deadline, ms);
    }
    if (time_passed(deadline))
        return 0;
    return file_ready_wait(gen, time_deadline_tsc(deadline)) == -ERESTARTSYS ? -EINTR : 0;
}

/* ppoll, pselect6, epoll_pwait: the call waits under the mask it was given (uset 0: the current
 * one). The old mask comes back when the call returns (mask_done), or, when it fails with EINTR,
 * in the frame of the handler that the signal runs (rt_sigsuspend's path, linux/sys_signal.c),
 * so a signal unblocked only for the wait is caught in it, as on Linux. */
static int mask_swap(uint64_t uset, uint64_t size)
{
    if (!uset)
        return 0;
    uint64_t set;
    if (size != sizeof(set))
        return -EINVAL;
    if (copy_from_user(&set, uset, sizeof(set)))
        return -EFAULT;
    struct process *p = process_current();
    p->sigmask_saved = p->sigmask;
    p->sigmask_restore = true;
    p->sigmask = set & ~(1ull << (9 - 1) | 1ull << (19 - 1)); /* never SIGKILL, SIGSTOP */
    return 0;
}

static long mask_done(long ret)
{
    struct process *p = process_current();
    if (p->sigmask_restore && ret != -EINTR) {
        p->sigmask = p->sigmask_saved;
        p->sigmask_restore = false;
    }
    return ret;
}

static long do_poll(uint64_t ufds, uint64_t n, uint64_t deadline)
{
    if (n > POLL_MAX)
        return -EINVAL;
    if (!user_range_ok(ufds, n * sizeof(struct pollfd), true))
        return -EFAULT;
    struct pollfd *fds = (struct pollfd *)ufds;
    bool warned = false;
    for (;;) {
        long count = 0;
        bool tick = false;
        uint64_t gen = file_ready_gen();
        for (uint64_t i = 0; i < n; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0)
                continue;
            struct file *f = fd_get(fds[i].fd);
            tick |= f && !wakes(f);
            unsigned r = f ? ready(f) : POLLNVAL;
            r &= (unsigned)(uint16_t)fds[i].events | POLLERR | POLLHUP | POLLNVAL;
            fds[i].revents = (int16_t)r;
            if (r)
                count++;
        }
        if (count || time_passed(deadline) || deadline == 0)
            return count;
        if (!warned && deadline == UINT64_MAX && n == 0 && process_current()->nthreads <= 1) {
            pr_warn("mote: poll of nothing with no timeout never ends\n");
            warned = true;
        }
        if (poll_sleep(gen, deadline, tick))
            return -EINTR;
    }
}

long sys_poll(uint64_t fds, uint64_t n, uint64_t timeout)
{
    long ms = (int)timeout;
    return do_poll(fds, n, ms == 0 ? 0 : time_deadline_ms(ms));
}

static int ts_deadline(uint64_t uts, uint64_t *deadline)
{
    if (!uts) {
        *deadline = UINT64_MAX;
        return 0;
    }
    struct ktimespec t;
    if (copy_from_user(&t, uts, sizeof(t)))
        return -EFAULT;
    if (!ktimespec_ok(&t))
        return -EINVAL;
    uint64_t ms = (uint64_t)t.sec * 1000 + (uint64_t)t.nsec / 1000000;
    *deadline = (t.sec == 0 && t.nsec == 0) ? 0 : time_deadline_ms((long)MIN(ms, 1ull << 40));
    return 0;
}

long sys_ppoll(uint64_t fds, uint64_t n, uint64_t ts, uint64_t sigmask, uint64_t size)
{
    uint64_t deadline;
    int rc = ts_deadline(ts, &deadline);
    if (!rc)
        rc = mask_swap(sigmask, size);
    return rc ? rc : mask_done(do_poll(fds, n, deadline));
}

static long do_select(uint64_t n, uint64_t urd, uint64_t uwr, uint64_t uex, uint64_t deadline)
{
    if ((int64_t)n < 0)
        return -EINVAL;
    if (n > FD_MAX)
        n = FD_MAX; /* bits past our table could only name closed descriptors */
    size_t bytes = ALIGN_UP(n, 64) / 8;
    uint64_t in[3][FD_MAX / 64] = {{0}}, out[3][FD_MAX / 64];
    uint64_t u[3] = {urd, uwr, uex};
    for (int k = 0; k < 3; k++)
        if (u[k] && copy_from_user(in[k], u[k], bytes))
            return -EFAULT;
    for (uint64_t fd = 0; fd < n; fd++)
        for (int k = 0; k < 3; k++)
            if ((in[k][fd / 64] >> (fd % 64) & 1) && !fd_get((int)fd))
                return -EBADF;
    for (;;) {
        long count = 0;
        bool tick = false;
        uint64_t gen = file_ready_gen();
        memset(out, 0, sizeof(out));
        for (uint64_t fd = 0; fd < n; fd++) {
            uint64_t bit = 1ull << (fd % 64);
            if (!((in[0][fd / 64] | in[1][fd / 64] | in[2][fd / 64]) & bit))
                continue;
            struct file *f = fd_get((int)fd);
            if (!f)
                return -EBADF; /* closed by another thread meanwhile */
            tick |= !wakes(f);
            unsigned r = ready(f);
            if ((in[0][fd / 64] & bit) && (r & (POLLIN | POLLHUP | POLLERR)))
                out[0][fd / 64] |= bit, count++;
            if ((in[1][fd / 64] & bit) && (r & (POLLOUT | POLLERR)))
                out[1][fd / 64] |= bit, count++;
            if ((in[2][fd / 64] & bit) && (r & POLLPRI))
                out[2][fd / 64] |= bit, count++;
        }
        if (count || time_passed(deadline) || deadline == 0) {
            for (int k = 0; k < 3; k++)
                if (u[k] && copy_to_user(u[k], out[k], bytes))
                    return -EFAULT;
            return count;
        }
        if (poll_sleep(gen, deadline, tick))
            return -EINTR;
    }
}

long sys_select(uint64_t n, uint64_t rd, uint64_t wr, uint64_t ex, uint64_t tv)
{
    uint64_t deadline = UINT64_MAX;
    if (tv) {
        int64_t t[2];
        if (copy_from_user(t, tv, sizeof(t)))
            return -EFAULT;
        if (t[0] < 0 || t[1] < 0)
            return -EINVAL;
        uint64_t ms = (uint64_t)t[0] * 1000 + (uint64_t)t[1] / 1000;
        deadline = (t[0] == 0 && t[1] == 0) ? 0 : time_deadline_ms((long)MIN(ms, 1ull << 40));
    }
    long rc = do_select(n, rd, wr, ex, deadline);
    if (rc >= 0 && tv) {
        int64_t zero[2] = {0, 0};
        if (rc == 0)
            copy_to_user(tv, zero, sizeof(zero)); /* Linux leaves the time not slept */
    }
    return rc;
}

long sys_pselect6(uint64_t n, uint64_t rd, uint64_t wr, uint64_t ex, uint64_t ts, uint64_t sig)
{
    uint64_t deadline;
    int rc = ts_deadline(ts, &deadline);
    uint64_t m[2] = {0, 0}; /* the sixth argument: {const sigset_t *, size_t} */
    if (!rc && sig && copy_from_user(m, sig, sizeof(m)))
        rc = -EFAULT;
    if (!rc)
        rc = mask_swap(m[0], m[1]);
    return rc ? rc : mask_done(do_select(n, rd, wr, ex, deadline));
}

/* ---- eventfd ---- */

#define EFD_SEMAPHORE 1
#define EFD_CLOEXEC O_CLOEXEC
#define EFD_NONBLOCK O_NONBLOCK

struct eventfd {
    uint64_t count;
    bool semaphore;
};

static long efd_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    struct eventfd *e = f->priv;
    if (len < 8)
        return -EINVAL;
    while (e->count == 0) {
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (process_current()->nthreads <= 1) {
            pr_warn("mote: eventfd read would block forever (no other thread); EAGAIN\n");
            return -EAGAIN;
        }
        uint64_t gen = file_ready_gen();
        if (e->count == 0 && file_ready_wait(gen, 0) == -ERESTARTSYS)
            return -ERESTARTSYS; /* restarted under SA_RESTART, as Linux's eventfd_read */
    }
    uint64_t v = e->semaphore ? 1 : e->count;
    e->count -= v;
    memcpy(buf, &v, 8);
    file_ready_changed(); /* writable again */
    return 8;
}

static long efd_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    struct eventfd *e = f->priv;
    uint64_t v;
    if (len < 8)
        return -EINVAL;
    memcpy(&v, buf, 8);
    if (v == UINT64_MAX)
        return -EINVAL;
    if (v > UINT64_MAX - 1 - e->count)
        return -EAGAIN;
    e->count += v;
    file_ready_changed();
    return 8;
}

static unsigned efd_poll(struct file *f)
{
    struct eventfd *e = f->priv;
    return (e->count ? POLLIN : 0) | (e->count < UINT64_MAX - 1 ? POLLOUT : 0);
}

static void efd_release(struct file *f)
{
    kfree(f->priv);
}

static const struct file_ops eventfd_ops = {
    .read = efd_read, .write = efd_write, .poll = efd_poll, .release = efd_release,
    .poll_wakes = true};

long sys_eventfd2(uint64_t count, uint64_t flags)
{
    if (flags & ~(uint64_t)(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
        return -EINVAL;
    struct eventfd *e = kzalloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->count = (uint32_t)count;
    e->semaphore = flags & EFD_SEMAPHORE;
    struct file *f = file_new(&eventfd_ops, e, O_RDWR | (flags & EFD_NONBLOCK));
    if (!f) {
        kfree(e);
        return -ENOMEM;
    }
    int fd = fd_install(f, 0, flags & EFD_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

long sys_eventfd(uint64_t count)
{
    return sys_eventfd2(count, 0);
}

/* ---- epoll ---- */

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLLIN 0x001
#define EPOLLOUT 0x004
#define EPOLLERR 0x008
#define EPOLLHUP 0x010
#define EPOLLRDHUP 0x2000
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
#define EPOLL_MAX_ITEMS 256

struct epoll_event {
    uint32_t events;
    uint64_t data;
} __packed;

struct epoll_item {
    int fd;
    struct file *f; /* not referenced: an item whose fd no longer holds f is gone (as on Linux) */
    uint32_t events;
    uint64_t data;
    unsigned last; /* readiness last reported, for EPOLLET */
    bool disabled; /* EPOLLONESHOT fired */
};

struct epoll {
    struct epoll_item items[EPOLL_MAX_ITEMS];
    int n;
};

static bool item_alive(const struct epoll_item *it)
{
    return fd_get(it->fd) == it->f;
}

static unsigned ep_poll(struct file *f)
{
    struct epoll *ep = f->priv;
    for (int i = 0; i < ep->n; i++)
        if (item_alive(&ep->items[i]) && !ep->items[i].disabled &&
            (ready(ep->items[i].f) & (ep->items[i].events | EPOLLERR | EPOLLHUP)))
            return POLLIN;
    return 0;
}

static void ep_release(struct file *f)
{
    kfree(f->priv);
}

static const struct file_ops epoll_ops = {.poll = ep_poll, .release = ep_release};

long sys_epoll_create1(uint64_t flags)
{
    if (flags & ~(uint64_t)O_CLOEXEC)
        return -EINVAL;
    struct epoll *ep = kzalloc(sizeof(*ep));
    if (!ep)
        return -ENOMEM;
    struct file *f = file_new(&epoll_ops, ep, O_RDWR);
    if (!f) {
        kfree(ep);
        return -ENOMEM;
    }
    int fd = fd_install(f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

long sys_epoll_create(uint64_t size)
{
    if ((int)size <= 0)
        return -EINVAL;
    return sys_epoll_create1(0);
}

static struct epoll *epoll_of(uint64_t epfd, long *err)
{
    struct file *f = fd_get((int)epfd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    if (f->ops != &epoll_ops) {
        *err = -EINVAL;
        return NULL;
    }
    return f->priv;
}

long sys_epoll_ctl(uint64_t epfd, uint64_t op, uint64_t fd, uint64_t uevent)
{
    long err = -EBADF;
    struct epoll *ep = epoll_of(epfd, &err);
    if (!ep)
        return err;
    struct file *f = fd_get((int)fd);
    if (!f)
        return -EBADF;
    if (fd == epfd)
        return -EINVAL;
    if (f->inode && (S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode)))
        return -EPERM; /* as Linux: regular files cannot be watched */
    struct epoll_event ev = {0, 0};
    if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uevent, sizeof(ev)))
        return -EFAULT;
    /* Drop items whose descriptors were closed since. */
    for (int i = 0; i < ep->n;)
        if (!item_alive(&ep->items[i]))
            ep->items[i] = ep->items[--ep->n];
        else
            i++;
    int at = -1;
    for (int i = 0; i < ep->n; i++)
        if (ep->items[i].fd == (int)fd)
            at = i;
    switch (op) {
    case EPOLL_CTL_ADD:
        if (at >= 0)
            return -EEXIST;
        if (ep->n == EPOLL_MAX_ITEMS)
            return -ENOSPC;
        ep->items[ep->n++] = (struct epoll_item){(int)fd, f, ev.events, ev.data, 0, false};
        return 0;
    case EPOLL_CTL_MOD:
        if (at < 0)
            return -ENOENT;
        ep->items[at].events = ev.events;
        ep->items[at].data = ev.data;
        ep->items[at].disabled = false;
        ep->items[at].last = 0;
        return 0;
    case EPOLL_CTL_DEL:
        if (at < 0)
            return -ENOENT;
        ep->items[at] = ep->items[--ep->n];
        return 0;
    default:
        return -EINVAL;
    }
}

static long do_epoll_wait(uint64_t epfd, uint64_t events, uint64_t max, uint64_t timeout)
{
    long err = -EBADF;
    struct epoll *ep = epoll_of(epfd, &err);
    if (!ep)
        return err;
    if ((int)max <= 0 || max > 0x7fffffff / sizeof(struct epoll_event))
        return -EINVAL;
    if (!user_range_ok(events, max * sizeof(struct epoll_event), true))
        return -EFAULT;
    struct epoll_event *out = (struct epoll_event *)events;
    long ms = (int)timeout;
    uint64_t deadline = ms == 0 ? 0 : time_deadline_ms(ms);
    for (;;) {
        long n = 0;
        bool tick = false;
        uint64_t gen = file_ready_gen();
        for (int i = 0; i < ep->n && (uint64_t)n < max; i++) {
            struct epoll_item *it = &ep->items[i];
            if (!item_alive(it) || it->disabled)
                continue;
            tick |= !wakes(it->f);
            unsigned r = ready(it->f) & (it->events | EPOLLERR | EPOLLHUP);
            if ((it->events & EPOLLET) && r == it->last)
                continue; /* edge-triggered: only changes are reported */
            it->last = r;
            if (!r)
                continue;
            out[n].events = r;
            out[n].data = it->data;
            n++;
            if (it->events & EPOLLONESHOT)
                it->disabled = true;
        }
        if (n || time_passed(deadline) || deadline == 0)
            return n;
        if (poll_sleep(gen, deadline, tick))
            return -EINTR;
    }
}

long sys_epoll_pwait(uint64_t epfd, uint64_t events, uint64_t max, uint64_t timeout,
                     uint64_t sigmask, uint64_t size)
{
    int rc = mask_swap(sigmask, size);
    return rc ? rc : mask_done(do_epoll_wait(epfd, events, max, timeout));
}

long sys_epoll_wait(uint64_t epfd, uint64_t events, uint64_t max, uint64_t timeout)
{
    return do_epoll_wait(epfd, events, max, timeout);
}
