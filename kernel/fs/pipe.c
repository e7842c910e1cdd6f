/* Pipes (pipe(7)): a buffer of up to 64 KiB that grows as it fills. A reader of an empty pipe
 * waits until data comes or every writer has closed (end of file); a writer of a full one waits
 * for room, and writes of up to PIPE_BUF bytes go in whole; a write with no reader left returns
 * EPIPE (the caller raises SIGPIPE). Waits are interrupted by signals (linux/process.h). */
#include <errno.h>

#include "fs/pipe.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/uspace.h"

#define PIPE_MIN 4096
#define PIPE_CAP 65536
#define PIPE_ATOMIC 4096 /* PIPE_BUF */
#define FIONREAD 0x541b

struct pipe {
    uint8_t *buf;
    size_t cap, head, len;
    int readers, writers;
    spinlock_t lock; /* for wait_on: the kernel's interrupts-off rule already guards the rest */
    struct wait_queue rd_wait, wr_wait;
};

static void wake(struct pipe *p, struct wait_queue *wq)
{
    uint64_t fl = spin_lock(&p->lock);
    wake_all(wq);
    spin_unlock(&p->lock, fl);
}

static long pipe_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    struct pipe *p = f->priv;
    while (p->len == 0) {
        if (p->writers == 0 || len == 0)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        int rc = uwait_on(&p->rd_wait, &p->lock, spin_lock(&p->lock), 0);
        if (rc)
            return rc;
    }
    size_t n = MIN(len, p->len), first = MIN(n, p->cap - p->head);
    memcpy(buf, p->buf + p->head, first);
    memcpy((uint8_t *)buf + first, p->buf, n - first);
    p->head = (p->head + n) % p->cap;
    p->len -= n;
    if (p->len == 0)
        p->head = 0;
    wake(p, &p->wr_wait);
    file_ready_changed(); /* room for writers that poll */
    return n;
}

static int grow(struct pipe *p, size_t need)
{
    if (p->cap - p->len >= need)
        return 0;
    size_t cap = MAX(p->cap * 2, PIPE_MIN);
    while (cap - p->len < need)
        cap *= 2;
    uint8_t *nb = kmalloc(cap);
    if (!nb)
        return -ENOMEM;
    size_t first = MIN(p->len, p->cap - p->head);
    if (p->len) {
        memcpy(nb, p->buf + p->head, first);
        memcpy(nb + first, p->buf, p->len - first);
    }
    kfree(p->buf);
    p->buf = nb;
    p->cap = cap;
    p->head = 0;
    return 0;
}

static long pipe_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    struct pipe *p = f->priv;
    size_t done = 0;
    if (p->readers == 0)
        return -EPIPE; /* the caller raises SIGPIPE */
    while (done < len) {
        if (p->readers == 0)
            return done; /* the rest would go nowhere; the next write gets EPIPE */
        size_t room = PIPE_CAP - p->len, want = len - done;
        if (room == 0 || (len <= PIPE_ATOMIC && room < want)) {
            if (f->flags & O_NONBLOCK)
                return done ? (long)done : -EAGAIN;
            int rc = uwait_on(&p->wr_wait, &p->lock, spin_lock(&p->lock), 0);
            if (rc)
                return done ? (long)done : rc;
            continue;
        }
        size_t n = MIN(room, want);
        if (grow(p, n))
            return done ? (long)done : -ENOMEM;
        size_t tail = (p->head + p->len) % p->cap, first = MIN(n, p->cap - tail);
        const uint8_t *src = (const uint8_t *)buf + done;
        memcpy(p->buf + tail, src, first);
        memcpy(p->buf, src + first, n - first);
        p->len += n;
        done += n;
        wake(p, &p->rd_wait);
        file_ready_changed(); /* data for readers that poll */
    }
    return done;
}

static unsigned pipe_poll_read(struct file *f)
{
    struct pipe *p = f->priv;
    return (p->len ? POLLIN : 0) | (p->writers == 0 ? POLLHUP : 0);
}

static unsigned pipe_poll_write(struct file *f)
{
    struct pipe *p = f->priv;
    return p->readers ? (p->len < PIPE_CAP ? POLLOUT : 0) : POLLOUT | POLLERR;
}

static long pipe_ioctl(struct file *f, unsigned long cmd, uint64_t arg)
{
    struct pipe *p = f->priv;
    if (cmd != FIONREAD)
        return -ENOTTY;
    int n = (int)MIN(p->len, 0x7fffffff);
    return copy_to_user(arg, &n, sizeof(n));
}

static void release(struct pipe *p)
{
    if (p->readers == 0 && p->writers == 0) {
        kfree(p->buf);
        kfree(p);
    }
}

static void pipe_release_read(struct file *f)
{
    struct pipe *p = f->priv;
    p->readers--;
    wake(p, &p->wr_wait); /* a blocked writer now gets EPIPE */
    file_ready_changed();
    release(p);
}

static void pipe_release_write(struct file *f)
{
    struct pipe *p = f->priv;
    p->writers--;
    wake(p, &p->rd_wait); /* a blocked reader now sees end of file */
    file_ready_changed();
    release(p);
}

static const struct file_ops read_ops = {
    .read = pipe_read, .poll = pipe_poll_read, .ioctl = pipe_ioctl, .release = pipe_release_read,
    .poll_wakes = true};
static const struct file_ops write_ops = {.write = pipe_write,
                                          .poll = pipe_poll_write,
                                          .ioctl = pipe_ioctl,
                                          .release = pipe_release_write,
                                          .poll_wakes = true};

int pipe_create(int flags, struct file **rd, struct file **wr)
{
    struct pipe *p = kzalloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    *rd = file_new(&read_ops, p, O_RDONLY | (flags & O_NONBLOCK));
    *wr = file_new(&write_ops, p, O_WRONLY | (flags & O_NONBLOCK));
    if (!*rd || !*wr) {
        kfree(*rd);
        kfree(*wr);
        kfree(p);
        return -ENOMEM;
    }
    p->readers = p->writers = 1;
    return 0;
}

bool file_is_pipe(const struct file *f)
{
    return f->ops == &read_ops || f->ops == &write_ops;
}
