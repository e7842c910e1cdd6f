/* Timers: alarm, setitimer/getitimer, timerfd, POSIX timers (timer_create). One kernel thread,
 * made at the first arming (the boot path does no work for timers), sleeps in the scheduler
 * until the earliest deadline of a sorted list, then fires what is due: a signal to the
 * process (signal_send) or a timerfd's count going up (fs/ready.c wakes its readers and
 * pollers). Deadlines are CLOCK_MONOTONIC nanoseconds; a CLOCK_REALTIME absolute time is
 * turned into one when set. ITIMER_VIRTUAL and ITIMER_PROF count wall time, not CPU time. */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/uspace.h"

#define NSEC NSEC_PER_SEC
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_BOOTTIME 7
#define SIGALRM 14
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD_ID 4
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define TIMER_ABSTIME 1
#define PTIMER_MAX 32

/* A deadline on the list. expires 0: disarmed. fire runs in the timer thread with the list's
 * lock held; n is how many periods have passed (1 unless the thread came late). */
struct ktimer {
    struct ktimer *next;
    uint64_t expires, interval;
    void (*fire)(struct ktimer *k, uint64_t n);
};

/* A timer that signals a process (itimers, POSIX timers). */
struct sigtimer {
    struct ktimer k; /* first: the fire callback casts */
    struct process *p;
    int sig;
    bool used;
    bool realtime; /* POSIX timer on CLOCK_REALTIME (absolute times are converted) */
    uint64_t overrun;
};

struct proc_timers {
    struct sigtimer itimer[3];
    struct sigtimer posix[PTIMER_MAX];
};

static spinlock_t tlock = SPINLOCK_INIT;
static struct wait_queue twq = WAIT_QUEUE_INIT;
static struct ktimer *list;
static bool thread_made;

static void unlink_timer(struct ktimer *k)
{
    for (struct ktimer **pp = &list; *pp; pp = &(*pp)->next)
        if (*pp == k) {
            *pp = k->next;
            k->next = NULL;
            return;
        }
}

static void insert_timer(struct ktimer *k)
{
    struct ktimer **pp = &list;
    while (*pp && (*pp)->expires <= k->expires)
        pp = &(*pp)->next;
    k->next = *pp;
    *pp = k;
}

static __noreturn void timer_thread(void *arg)
{
    (void)arg;
    uint64_t fl = spin_lock(&tlock);
    for (;;) {
        uint64_t now = time_mono_ns();
        while (list && list->expires <= now) {
            struct ktimer *k = list;
            list = k->next;
            k->next = NULL;
            uint64_t n = 1;
            if (k->interval) {
                n += (now - k->expires) / k->interval;
                k->expires += n * k->interval;
                insert_timer(k);
            } else {
                k->expires = 0;
            }
            k->fire(k, n);
        }
        wait_on(&twq, &tlock, fl, list ? time_deadline_tsc(list->expires) : 0);
        fl = spin_lock(&tlock);
    }
}

/* Arms k to expire at the monotonic time expires (0: disarms) and then every interval ns. */
static void timer_arm(struct ktimer *k, uint64_t expires, uint64_t interval)
{
    if (expires && !thread_made) {
        thread_made = true;
        if (!thread_create(timer_thread, NULL, "timers", 0))
            panic("timers: no thread");
    }
    uint64_t fl = spin_lock(&tlock);
    unlink_timer(k);
    k->expires = expires;
    k->interval = expires ? interval : 0;
    if (expires)
        insert_timer(k);
    if (twq.head)
        wake_one(&twq);
    spin_unlock(&tlock, fl);
}

/* Nanoseconds left before k expires (0: disarmed; never 0 while armed). */
static uint64_t timer_left(struct ktimer *k)
{
    if (!k->expires)
        return 0;
    uint64_t now = time_mono_ns();
    return k->expires > now ? k->expires - now : 1;
}

static void sigtimer_fire(struct ktimer *k, uint64_t n)
{
    struct sigtimer *s = (struct sigtimer *)k;
    if (s->sig)
        signal_send(s->p, s->sig);
    s->overrun = n - 1;
}

static struct proc_timers *proc_timers(struct process *p)
{
    if (!p->timers) {
        struct proc_timers *t = kzalloc(sizeof(*t));
        if (!t)
            return NULL;
        static const int sigs[3] = {SIGALRM, SIGVTALRM, SIGPROF};
        for (int i = 0; i < 3; i++)
            t->itimer[i] =
                (struct sigtimer){{NULL, 0, 0, sigtimer_fire}, p, sigs[i], true, false, 0};
        p->timers = t;
    }
    return p->timers;
}

void timer_process_gone(struct process *p)
{
    struct proc_timers *t = p->timers;
    if (!t)
        return;
    for (int i = 0; i < 3; i++)
        timer_arm(&t->itimer[i].k, 0, 0);
    for (int i = 0; i < PTIMER_MAX; i++)
        timer_arm(&t->posix[i].k, 0, 0);
    p->timers = NULL;
    kfree(t);
}

void timer_exec(struct process *p)
{
    struct proc_timers *t = p->timers;
    if (!t)
        return;
    for (int i = 0; i < PTIMER_MAX; i++) { /* POSIX timers go; itimers stay (execve(2)) */
        timer_arm(&t->posix[i].k, 0, 0);
        t->posix[i].used = false;
    }
}

/* ---- alarm, setitimer, getitimer ---- */

struct timeval_k {
    int64_t sec, usec;
};
struct itimerval_k {
    struct timeval_k interval, value;
};

static struct timeval_k ns_tv(uint64_t ns)
{
    return (struct timeval_k){(int64_t)(ns / NSEC), (int64_t)(ns % NSEC / 1000)};
}

static bool tv_ok(const struct timeval_k *t)
{
    return t->sec >= 0 && t->usec >= 0 && t->usec < 1000000;
}

static uint64_t tv_ns(const struct timeval_k *t)
{
    if ((uint64_t)t->sec > UINT64_MAX / NSEC / 4)
        return UINT64_MAX / 4;
    return (uint64_t)t->sec * NSEC + (uint64_t)t->usec * 1000;
}

static int itimer_get(int which, struct itimerval_k *v)
{
    struct proc_timers *t = proc_timers(process_current());
    if (!t)
        return -ENOMEM;
    struct ktimer *k = &t->itimer[which].k;
    uint64_t left = timer_left(k);
    if (left && left < 1000)
        left = 1000; /* armed reads as at least 1 µs */
    v->value = ns_tv(left);
    v->interval = ns_tv(k->interval);
    return 0;
}

long sys_getitimer(uint64_t which, uint64_t val)
{
    if (which > 2)
        return -EINVAL;
    struct itimerval_k v;
    int rc = itimer_get(which, &v);
    if (rc)
        return rc;
    return copy_to_user(val, &v, sizeof(v));
}

long sys_setitimer(uint64_t which, uint64_t nval, uint64_t oval)
{
    if (which > 2)
        return -EINVAL;
    struct itimerval_k v = {{0, 0}, {0, 0}}, old;
    if (nval && copy_from_user(&v, nval, sizeof(v)))
        return -EFAULT;
    if (!tv_ok(&v.value) || !tv_ok(&v.interval))
        return -EINVAL;
    int rc = itimer_get(which, &old);
    if (rc)
        return rc;
    if (oval && copy_to_user(oval, &old, sizeof(old)))
        return -EFAULT;
    uint64_t ns = tv_ns(&v.value);
    struct proc_timers *t = process_current()->timers;
    timer_arm(&t->itimer[which].k, ns ? time_mono_ns() + ns : 0, tv_ns(&v.interval));
    return 0;
}

long sys_alarm(uint64_t seconds)
{
    struct proc_timers *t = proc_timers(process_current());
    if (!t)
        return -ENOMEM;
    struct ktimer *k = &t->itimer[0].k;
    uint64_t left = timer_left(k);
    /* Linux: the seconds left, rounded to nearest, but 1 rather than 0 while armed. */
    long old = left ? (long)((left + NSEC / 2) / NSEC) : 0;
    if (left && !old)
        old = 1;
    seconds = (uint32_t)seconds;
    timer_arm(k, seconds ? time_mono_ns() + seconds * NSEC : 0, 0);
    return old;
}

/* ---- itimerspec for timerfd and POSIX timers ---- */

struct itimerspec_k {
    struct ktimespec interval, value;
};

static void spec_get(struct ktimer *k, struct itimerspec_k *v)
{
    v->value = ns_ktimespec(timer_left(k));
    v->interval = ns_ktimespec(k->interval);
}

/* Arms k from a user itimerspec: relative, or absolute on the clock (realtime or monotonic). */
static int spec_set(struct ktimer *k, const struct itimerspec_k *v, bool abs, bool realtime)
{
    if (!ktimespec_ok(&v->value) || !ktimespec_ok(&v->interval))
        return -EINVAL;
    uint64_t ns = ktimespec_ns(&v->value), now = time_mono_ns(), expires = 0;
    if (ns && abs) {
        uint64_t clk = realtime ? time_real_ns() : now;
        expires = ns > clk ? now + (ns - clk) : now;
    } else if (ns) {
        expires = now + ns;
    }
    timer_arm(k, expires ? MAX(expires, 1) : 0, ktimespec_ns(&v->interval));
    return 0;
}

static int clock_ok(uint64_t clk, bool *realtime)
{
    if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME)
        return -EINVAL;
    *realtime = clk == CLOCK_REALTIME;
    return 0;
}

/* ---- timerfd ---- */

struct timerfd {
    struct ktimer k; /* first: the fire callback casts */
    uint64_t ticks;
    bool realtime;
};

static void tfd_fire(struct ktimer *k, uint64_t n)
{
    ((struct timerfd *)k)->ticks += n;
    file_ready_changed();
}

static long tfd_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    struct timerfd *t = f->priv;
    (void)pos;
    if (len < 8)
        return -EINVAL;
    while (t->ticks == 0) {
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        uint64_t gen = file_ready_gen();
        if (t->ticks == 0 && file_ready_wait(gen, 0) == -ERESTARTSYS)
            return -ERESTARTSYS;
    }
    uint64_t v = t->ticks;
    t->ticks = 0;
    memcpy(buf, &v, 8);
    return 8;
}

static unsigned tfd_poll(struct file *f)
{
    return ((struct timerfd *)f->priv)->ticks ? POLLIN : 0;
}

static void tfd_release(struct file *f)
{
    struct timerfd *t = f->priv;
    timer_arm(&t->k, 0, 0);
    kfree(t);
}

static const struct file_ops timerfd_ops = {
    .read = tfd_read, .poll = tfd_poll, .release = tfd_release, .poll_wakes = true};

long sys_timerfd_create(uint64_t clk, uint64_t flags)
{
    bool realtime;
    if (clock_ok(clk, &realtime) || (flags & ~(uint64_t)(O_NONBLOCK | O_CLOEXEC)))
        return -EINVAL;
    struct timerfd *t = kzalloc(sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->k.fire = tfd_fire;
    t->realtime = realtime;
    struct file *f = file_new(&timerfd_ops, t, O_RDONLY | (flags & O_NONBLOCK));
    if (!f) {
        kfree(t);
        return -ENOMEM;
    }
    int fd = fd_install(f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

static long tfd_get(int fd, struct timerfd **t)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (f->ops != &timerfd_ops)
        return -EINVAL;
    *t = f->priv;
    return 0;
}

long sys_timerfd_settime(uint64_t fd, uint64_t flags, uint64_t nval, uint64_t oval)
{
    struct timerfd *t;
    struct itimerspec_k v, old;
    if (flags & ~(uint64_t)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -EINVAL;
    long rc = tfd_get(fd, &t);
    if (rc)
        return rc;
    if (copy_from_user(&v, nval, sizeof(v)))
        return -EFAULT;
    if (!ktimespec_ok(&v.value) || !ktimespec_ok(&v.interval))
        return -EINVAL;
    spec_get(&t->k, &old);
    if (oval && copy_to_user(oval, &old, sizeof(old)))
        return -EFAULT;
    t->ticks = 0;
    return spec_set(&t->k, &v, flags & TFD_TIMER_ABSTIME, t->realtime);
}

long sys_timerfd_gettime(uint64_t fd, uint64_t val)
{
    struct timerfd *t;
    struct itimerspec_k v;
    long rc = tfd_get(fd, &t);
    if (rc)
        return rc;
    spec_get(&t->k, &v);
    return copy_to_user(val, &v, sizeof(v));
}

/* ---- POSIX timers ---- */

struct sigevent_k {
    uint64_t value;
    int32_t signo, notify;
    int32_t tid;
};

long sys_timer_create(uint64_t clk, uint64_t sevp, uint64_t idp)
{
    bool realtime;
    if (clock_ok(clk, &realtime))
        return -EINVAL;
    struct sigevent_k ev = {0, SIGALRM, SIGEV_SIGNAL, 0};
    if (sevp && copy_from_user(&ev, sevp, sizeof(ev)))
        return -EFAULT;
    if (ev.notify != SIGEV_SIGNAL && ev.notify != SIGEV_NONE && ev.notify != SIGEV_THREAD_ID)
        return -EINVAL;
    if (ev.notify != SIGEV_NONE && (ev.signo <= 0 || ev.signo > NSIG))
        return -EINVAL;
    struct process *p = process_current();
    struct proc_timers *t = proc_timers(p);
    if (!t)
        return -ENOMEM;
    int id = 0;
    while (id < PTIMER_MAX && t->posix[id].used)
        id++;
    if (id == PTIMER_MAX)
        return -EAGAIN;
    int32_t id32 = id;
    if (copy_to_user(idp, &id32, sizeof(id32)))
        return -EFAULT;
    t->posix[id] = (struct sigtimer){
        {NULL, 0, 0, sigtimer_fire}, p, ev.notify == SIGEV_NONE ? 0 : ev.signo, true, realtime, 0};
    return 0;
}

static struct sigtimer *ptimer(uint64_t id)
{
    struct proc_timers *t = process_current()->timers;
    if (!t || id >= PTIMER_MAX || !t->posix[id].used)
        return NULL;
    return &t->posix[id];
}

long sys_timer_settime(uint64_t id, uint64_t flags, uint64_t nval, uint64_t oval)
{
    struct sigtimer *s = ptimer((int32_t)id);
    struct itimerspec_k v, old;
    if (!s)
        return -EINVAL;
    if (copy_from_user(&v, nval, sizeof(v)))
        return -EFAULT;
    if (!ktimespec_ok(&v.value) || !ktimespec_ok(&v.interval))
        return -EINVAL;
    spec_get(&s->k, &old);
    if (oval && copy_to_user(oval, &old, sizeof(old)))
        return -EFAULT;
    return spec_set(&s->k, &v, flags & TIMER_ABSTIME, s->realtime);
}

long sys_timer_gettime(uint64_t id, uint64_t val)
{
    struct sigtimer *s = ptimer((int32_t)id);
    struct itimerspec_k v;
    if (!s)
        return -EINVAL;
    spec_get(&s->k, &v);
    return copy_to_user(val, &v, sizeof(v));
}

long sys_timer_getoverrun(uint64_t id)
{
    struct sigtimer *s = ptimer((int32_t)id);
    return s ? (long)MIN(s->overrun, 0x7fffffffull) : -EINVAL;
}

long sys_timer_delete(uint64_t id)
{
    struct sigtimer *s = ptimer((int32_t)id);
    if (!s)
        return -EINVAL;
    timer_arm(&s->k, 0, 0);
    s->used = false;
    return 0;
}
