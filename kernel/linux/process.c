/* Processes, their descriptor tables, fork, exit and wait; see process.h. A process's end
 * (process_exit) marks it exiting; each of its threads leaves at its next way out of the kernel
 * (signal_on_return, or wait_step, or at once if blocked where signals wake), and the last one
 * tears it down and wakes its parent. */
#include <errno.h>

#include "fs/initrd.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "net/socket.h"
#include "linux/syscalls.h"
#include "mote/exec.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/uspace.h"

#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000
#define WNOHANG 1
#define SIGCHLD 17
#define SIG_IGN 1
#define SA_NOCLDWAIT 2

static int next_pid = 1;
static struct uthread main_uthread;
static struct process *init_proc, *all_procs;
/* Protects nothing the kernel's interrupts-off rule does not already (every user thread is on
 * CPU 0): it exists because wait_on releases a lock as it blocks. */
static spinlock_t proc_lock = SPINLOCK_INIT;

struct vfork_wait {
    bool done;
    struct wait_queue wq;
};

/* A process and its descriptor table are a page each, from the page allocator: kmalloc would
 * map blocks this large in the vmalloc area, whose addresses are never reused (each fork would
 * cost page tables for good). */
struct fdtable {
    struct file *fd[FD_MAX];
    bool cloexec[FD_MAX];
};
_Static_assert(sizeof(struct process) <= PAGE_SIZE, "struct process fits a page");
_Static_assert(sizeof(struct fdtable) <= PAGE_SIZE, "struct fdtable fits a page");

/* The first open descriptor of p at or after fd, or FD_MAX (memskip64: one instruction). */
static int next_fd(const struct process *p, int fd)
{
    _Static_assert(sizeof(struct file *) == sizeof(uint64_t), "descriptors are 64-bit words");
    const uint64_t *t = (const uint64_t *)p->fd;
    const uint64_t *e = fd < FD_MAX ? memskip64(t + fd, 0, FD_MAX - fd) : NULL;
    return e ? (int)(e - t) : FD_MAX;
}

static void *page_zalloc(void)
{
    paddr_t pa = page_alloc();
    return pa ? phys_to_virt(pa) : NULL;
}

static void page_zfree(void *va)
{
    page_free(virt_to_phys(va));
}

static void process_free(struct process *p)
{
    page_zfree(p->fd);
    page_zfree(p);
}

struct uthread *uthread_current(void)
{
    return current()->proc;
}

struct process *process_current(void)
{
    return uthread_current()->proc;
}

#define cur_proc (uthread_current()->proc)

void process_set_exe(const char *path)
{
    struct process *p = cur_proc;
    size_t n = strlcpy(p->exe, path, sizeof(p->exe));
    /* comm: the last component (a trailing '/' ignored), found from the end */
    const char *base = path + n;
    if (base > path && base[-1] == '/')
        base--;
    while (base > path && base[-1] != '/')
        base--;
    strlcpy(p->comm, base, sizeof(p->comm));
}

int process_init(void)
{
    /* pid 1 and its fds 0-2 live in static memory (kfree ignores it): the boot makes no heap
     * blocks for them (the process is larger than 2 KiB: a vmalloc'd block otherwise). */
    static struct process first;
    static struct fdtable first_fds;
    static struct file stdio[3];
    struct process *p = &first;
    p->fd = first_fds.fd;
    p->cloexec = first_fds.cloexec;
    p->pid = next_pid++;
    p->umask = 022;
    p->altstack[1] = 2; /* SS_DISABLE */
    p->nthreads = 1;
    p->cwd = vfs_root();
    vfs_inode_get(p->cwd);
    p->threads = &main_uthread;
    init_proc = all_procs = p;
    main_uthread.proc = p;
    main_uthread.thread = current();
    main_uthread.tid = p->pid;
    current()->proc = &main_uthread;
    time_start_stamps();
    /* Each fd its own open file on the console device, as open("/dev/console") made them. */
    struct inode *console = dev_console();
    for (int fd = 0; fd < 3; fd++) {
        file_init(&stdio[fd], console->fops, NULL, O_RDWR);
        stdio[fd].inode = console;
        vfs_inode_get(console);
        fd_install(&stdio[fd], fd, false);
    }
    return 0;
}

struct file *fd_get(int fd)
{
    if (fd < 0 || fd >= FD_MAX)
        return NULL;
    return cur_proc->fd[fd];
}

int fd_install(struct file *f, int min, bool cloexec)
{
    struct process *p = cur_proc;
    for (int fd = min < 0 ? 0 : min; fd < FD_MAX; fd++) {
        if (!p->fd[fd]) {
            p->fd[fd] = f;
            p->cloexec[fd] = cloexec;
            return fd;
        }
    }
    return -EMFILE;
}

int fd_close(int fd)
{
    struct process *p = cur_proc;
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    p->fd[fd] = NULL;
    p->cloexec[fd] = false;
    file_put(f);
    return 0;
}

void fd_close_on_exec(void)
{
    struct process *p = cur_proc;
    for (int fd = next_fd(p, 0); fd < FD_MAX; fd = next_fd(p, fd + 1))
        if (p->cloexec[fd])
            fd_close(fd);
}

/* Leaves the kernel through frame f (anywhere in memory: trap_return pops it and irets). */
static __noreturn void resume(struct trap_frame *f)
{
    __asm__ volatile("movq %0, %%rsp\n\tjmp trap_return" : : "r"(f) : "memory");
    __builtin_unreachable();
}

/* A new thread (of a new process, or a new thread of this one) enters the program. */
static void uthread_entry(void *arg)
{
    __asm__ volatile("cli"); /* the Linux layer runs with interrupts off */
    struct uthread *u = arg;
    if (u->set_tid) /* into the child's own memory, loaded now */
        copy_to_user(u->set_tid, &u->tid, sizeof(int));
    u->set_tid = 0;
    struct trap_frame f = u->start;
    resume(&f);
}

/* A uthread running f's program from its registers (RAX = 0, RSP = stack when given), on its
 * own scheduler thread on CPU 0 (see the note in process.h), set up to load p's address space.
 * It cannot run before the caller returns to user mode or blocks (interrupts off). */
static struct uthread *uthread_new(struct process *p, int tid, const struct trap_frame *f,
                                   uint64_t stack, uint64_t fs_base)
{
    struct uthread *u = kzalloc(sizeof(*u));
    if (!u)
        return NULL;
    u->proc = p;
    u->tid = tid;
    u->start = *f;
    u->start.rax = 0;
    u->start.rcx = u->start.rip; /* as syscall leaves them */
    u->start.r11 = u->start.rflags;
    if (stack)
        u->start.rsp = stack;
    struct thread *t = thread_create(uthread_entry, u, "user", 0);
    if (!t) {
        kfree(u);
        return NULL;
    }
    t->proc = u;
    t->mm = p->mm;
    t->fs_base = fs_base;
    __asm__ volatile("fxsave64 %0" : "=m"(t->fpu)); /* the caller's state now, as Linux copies it */
    u->thread = t;
    u->next = p->threads;
    p->threads = u;
    p->nthreads++;
    return u;
}

struct process *process_find(int pid)
{
    for (struct process *p = all_procs; p; p = p->all_next)
        if (p->pid == pid)
            return p;
    return NULL;
}

struct process *process_first(void)
{
    return all_procs;
}

long process_fork(struct trap_frame *f, uint64_t flags, uint64_t stack, uint64_t ptid,
                  uint64_t ctid, uint64_t tls)
{
    if (flags & CLONE_THREAD)
        return thread_clone(flags, stack, ptid, ctid, tls);
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
        return -EINVAL; /* shared memory without being a thread: no such process here */
    struct process *parent = cur_proc;
    struct process *c = page_zalloc();
    struct fdtable *fds = page_zalloc();
    if (!c || !fds) {
        if (c)
            page_zfree(c);
        if (fds)
            page_zfree(fds);
        return -ENOMEM;
    }
    /* Only the calling thread is copied, as Linux: the child has one thread. */
    memcpy(c, parent, sizeof(*c));
    memcpy(fds->fd, parent->fd, sizeof(fds->fd));
    memcpy(fds->cloexec, parent->cloexec, sizeof(fds->cloexec));
    c->fd = fds->fd;
    c->cloexec = fds->cloexec;
    c->sigpending = c->sigfrom = 0;
    c->timers = NULL; /* timers are not inherited (fork(2)) */
    c->nthreads = 0;
    c->threads = NULL;
    c->parent = parent;
    c->children = NULL;
    c->exiting = c->zombie = false;
    c->exit_status = 0;
    c->vfork = NULL;
    c->child_wq = (struct wait_queue)WAIT_QUEUE_INIT;
    if (flags & CLONE_VM) {
        c->mm = parent->mm;
        mm_get(c->mm);
    } else if (!(c->mm = mm_fork())) {
        process_free(c);
        return -ENOMEM;
    }
    c->pid = next_pid;
    struct uthread *u = uthread_new(c, c->pid, f, stack,
                                    (flags & CLONE_SETTLS) ? tls : current()->fs_base);
    if (!u) {
        mm_put(c->mm);
        process_free(c);
        return -EAGAIN;
    }
    next_pid++;
    u->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
    u->set_tid = (flags & CLONE_CHILD_SETTID) ? ctid : 0;
    for (int fd = next_fd(c, 0); fd < FD_MAX; fd = next_fd(c, fd + 1))
        file_get(c->fd[fd]);
    vfs_inode_get(c->cwd);
    c->sibling = parent->children;
    parent->children = c;
    c->all_next = all_procs;
    all_procs = c;
    int pid = c->pid;
    if ((flags & CLONE_PARENT_SETTID) && copy_to_user(ptid, &pid, sizeof(int))) {
        /* best effort, as Linux: a bad pointer is not an error of clone */
    }
    if (flags & CLONE_VFORK) {
        /* The parent waits (not for signals: Linux's is killable only) until the child execs or
         * ends; c may be gone by then. */
        struct vfork_wait w = {false, WAIT_QUEUE_INIT};
        c->vfork = &w;
        uint64_t fl = spin_lock(&proc_lock);
        while (!w.done) {
            wait_on(&w.wq, &proc_lock, fl, 0);
            fl = spin_lock(&proc_lock);
        }
        spin_unlock(&proc_lock, fl);
    }
    return pid;
}

void process_vfork_done(struct process *p)
{
    struct vfork_wait *w = p->vfork;
    if (!w)
        return;
    p->vfork = NULL;
    uint64_t fl = spin_lock(&proc_lock);
    w->done = true;
    wake_all(&w->wq);
    spin_unlock(&proc_lock, fl);
}

void process_interrupt(struct process *p)
{
    for (struct uthread *u = p->threads; u; u = u->next)
        if (u->intr)
            thread_wake(u->thread);
}

bool signal_interrupts(void)
{
    struct uthread *u = uthread_current();
    if (!u)
        return false;
    struct process *p = u->proc;
    return p->exiting || (p->sigpending & ~p->sigmask);
}

int wait_on_intr(struct wait_queue *wq, spinlock_t *lock, uint64_t flags, uint64_t deadline)
{
    struct uthread *u = uthread_current();
    if (u)
        u->intr = true;
    int rc = wait_on(wq, lock, flags, deadline);
    if (u)
        u->intr = false;
    return rc;
}

int uwait_on(struct wait_queue *wq, spinlock_t *lock, uint64_t flags, uint64_t deadline)
{
    if (signal_interrupts()) {
        spin_unlock(lock, flags);
        return -ERESTARTSYS;
    }
    return wait_on_intr(wq, lock, flags, deadline);
}

void signal_fatal_check(void)
{
    if (signal_interrupts())
        signal_fatal_now();
}

int usleep_until(uint64_t deadline)
{
    struct uthread *u = uthread_current();
    if (signal_interrupts())
        return -ERESTARTSYS;
    u->intr = true;
    thread_sleep_until(deadline);
    u->intr = false;
    return signal_interrupts() ? -ERESTARTSYS : 0;
}

static void unlink_child(struct process *c)
{
    for (struct process **pp = &c->parent->children; *pp; pp = &(*pp)->sibling)
        if (*pp == c) {
            *pp = c->sibling;
            break;
        }
    for (struct process **pp = &all_procs; *pp; pp = &(*pp)->all_next)
        if (*pp == c) {
            *pp = c->all_next;
            break;
        }
}

/* A child ended or was handed over: its parent hears of it. */
static void notify_parent(struct process *c)
{
    struct process *par = c->parent;
    struct sigaction_k *a = &par->sig[SIGCHLD];
    if (a->handler == SIG_IGN || (a->flags & SA_NOCLDWAIT)) {
        unlink_child(c); /* reaped at once, as POSIX says for an ignored SIGCHLD */
        process_free(c);
    } else {
        signal_send(par, SIGCHLD);
    }
    uint64_t fl = spin_lock(&proc_lock);
    wake_all(&par->child_wq);
    spin_unlock(&proc_lock, fl);
}

/* The last thread of p has left: files, memory, children; p becomes a zombie. */
static void process_teardown(struct process *p)
{
    timer_process_gone(p);
    for (int fd = next_fd(p, 0); fd < FD_MAX; fd = next_fd(p, fd + 1))
        fd_close(fd);
    vfs_inode_put(p->cwd);
    process_vfork_done(p);
    mm_unload();
    mm_put(p->mm);
    p->mm = NULL;
    /* Orphans go to pid 1, which reaps them. */
    while (p->children) {
        struct process *c = p->children;
        p->children = c->sibling;
        c->parent = init_proc;
        c->sibling = init_proc->children;
        init_proc->children = c;
        if (c->zombie)
            notify_parent(c);
    }
    p->zombie = true;
    notify_parent(p);
}

__noreturn void process_leave(void)
{
    struct uthread *u = uthread_current();
    struct process *p = u->proc;
    if (u->clear_tid) {
        int zero = 0;
        if (copy_to_user(u->clear_tid, &zero, sizeof(zero)) == 0)
            futex_wake(u->clear_tid, 1); /* pthread_join waits on it */
    }
    for (struct uthread **pp = &p->threads; *pp; pp = &(*pp)->next)
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    if (--p->nthreads == 0)
        process_teardown(p);
    if (u == &main_uthread) {
        /* The boot thread keeps its stack (it is the kernel's); it just never runs again. */
        current()->proc = NULL;
        for (;;)
            thread_sleep_ns(1000000000000ull);
    }
    current()->proc = NULL;
    kfree(u);
    thread_exit();
}

__noreturn void process_exit(int wstatus)
{
    struct process *p = cur_proc;
    if (!p->parent) {
        /* Sockets close as at any exit; TCP then delivers what they queued before power-off. */
        for (int fd = next_fd(p, 0); fd < FD_MAX; fd = next_fd(p, fd + 1))
            if (file_is_socket(p->fd[fd]))
                fd_close(fd);
        sock_exit_flush();
        int sig = wstatus & 0x7f;
        program_exited(sig ? 128 + sig : (wstatus >> 8) & 0xff);
    }
    if (!p->exiting) {
        p->exiting = true;
        p->exit_status = wstatus;
        process_interrupt(p); /* the others leave as soon as they run */
    }
    process_leave();
}

long process_wait(long pid, uint64_t status_ptr, int options)
{
    struct process *p = cur_proc;
    for (;;) {
        bool any = false;
        for (struct process *c = p->children; c; c = c->sibling) {
            if (pid > 0 && c->pid != pid)
                continue; /* pid 0 and -pgid: each process is its own group, so any child */
            any = true;
            if (!c->zombie)
                continue;
            int got = c->pid, status = c->exit_status;
            if (status_ptr && copy_to_user(status_ptr, &status, sizeof(status)))
                return -EFAULT;
            unlink_child(c);
            process_free(c);
            return got;
        }
        if (!any)
            return -ECHILD;
        if (options & WNOHANG)
            return 0;
        int rc = uwait_on(&p->child_wq, &proc_lock, spin_lock(&proc_lock), 0);
        if (rc)
            return rc; /* a signal came before any child ended */
    }
}

/* ---- threads ---- */

long thread_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    struct process *p = cur_proc;
    if ((flags & (CLONE_VM | CLONE_SIGHAND)) != (CLONE_VM | CLONE_SIGHAND))
        return -EINVAL;
    int tid = next_pid;
    if ((flags & CLONE_PARENT_SETTID) && copy_to_user(ptid, &tid, sizeof(int)))
        return -EFAULT;
    struct uthread *u = uthread_new(p, tid, syscall_frame, stack,
                                    (flags & CLONE_SETTLS) ? tls : current()->fs_base);
    if (!u)
        return -EAGAIN;
    next_pid++;
    u->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
    if (flags & CLONE_CHILD_SETTID)
        copy_to_user(ctid, &u->tid, sizeof(int)); /* shared memory: the same now as later */
    return u->tid;
}

__noreturn void thread_exit_user(int status)
{
    struct process *p = cur_proc;
    if (p->nthreads <= 1)
        process_exit(status);
    process_leave();
}

bool wait_step(uint64_t deadline)
{
    /* Callers (poll, console reads) loop on it: the process's end and fatal signals take the
     * thread from here, as they would at its way out of the kernel. */
    signal_fatal_check();
    if (deadline != UINT64_MAX && time_passed(deadline))
        return false;
    thread_sleep_ns(1000000);
    return deadline == UINT64_MAX || !time_passed(deadline);
}

__noreturn void program_out_of_memory(uint64_t addr)
{
    pr_err("program killed: out of memory (no page for address %lx; %lu KiB free)\n", addr,
           page_free_count() * 4);
    process_exit(9); /* SIGKILL, as Linux's OOM killer */
}
