/* Pipes. Without the scheduler only one process runs at a time, so a writer never waits for its
 * reader: the buffer grows instead (a pipeline's first command fills it, the next one drains
 * it). A read of an empty pipe whose writers are all still open waits while the program has other
 * threads (one of them may write); with none it could only block forever: it says so on the
 * console and returns end of file. */
#include <errno.h>

#include "fs/pipe.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/uspace.h"

#define PIPE_MIN 4096
#define FIONREAD 0x541b

struct pipe {
    uint8_t *buf;
    size_t cap, head, len;
    int readers, writers;
};

static long pipe_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    struct pipe *p = f->priv;
    while (p->len == 0) {
        if (p->writers == 0 || len == 0)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (process_current()->nthreads <= 1) {
            pr_warn("mote: read of an empty pipe would block forever (no other thread); EOF\n");
            return 0;
        }
        uint64_t gen = file_ready_gen(); /* another thread of the program may write */
        if (p->len == 0 && p->writers)
            file_ready_wait(gen, 0);
    }
    size_t n = MIN(len, p->len), first = MIN(n, p->cap - p->head);
    memcpy(buf, p->buf + p->head, first);
    memcpy((uint8_t *)buf + first, p->buf, n - first);
    p->head = (p->head + n) % p->cap;
    p->len -= n;
    if (p->len == 0)
        p->head = 0;
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
    if (p->readers == 0)
        return -EPIPE; /* the caller raises SIGPIPE */
    if (len == 0)
        return 0;
    if (grow(p, len))
        return p->len ? -EAGAIN : -ENOMEM;
    size_t tail = (p->head + p->len) % p->cap, first = MIN(len, p->cap - tail);
    memcpy(p->buf + tail, buf, first);
    memcpy(p->buf, (const uint8_t *)buf + first, len - first);
    p->len += len;
    file_ready_changed();
    return len;
}

static unsigned pipe_poll_read(struct file *f)
{
    struct pipe *p = f->priv;
    return (p->len ? POLLIN : 0) | (p->writers == 0 ? POLLHUP : 0);
}

static unsigned pipe_poll_write(struct file *f)
{
    struct pipe *p = f->priv;
    return p->readers ? POLLOUT : POLLOUT | POLLERR;
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
    file_ready_changed();
    release(p);
}

static void pipe_release_write(struct file *f)
{
    struct pipe *p = f->priv;
    p->writers--;
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
