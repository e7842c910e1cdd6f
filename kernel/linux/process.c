/* Processes, their descriptor tables, fork, exit and wait; see process.h. */
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

static int next_pid = 1;
static struct uthread main_uthread;

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
    static struct file stdio[3];
    struct process *p = &first;
    p->pid = next_pid++;
    p->umask = 022;
    p->altstack[1] = 2; /* SS_DISABLE */
    p->nthreads = 1;
    p->cwd = vfs_root();
    vfs_inode_get(p->cwd);
    main_uthread.proc = p;
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
    for (int fd = 0; fd < FD_MAX; fd++)
        if (p->fd[fd] && p->cloexec[fd])
            fd_close(fd);
}

static void fxsave(uint8_t *area)
{
    __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])area));
}

static void fxrstor(const uint8_t *area)
{
    __asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])area));
}

long process_fork(struct trap_frame *f, uint64_t flags, uint64_t stack, uint64_t ptid,
                  uint64_t ctid, uint64_t tls)
{
    if (flags & CLONE_THREAD)
        return thread_clone(flags, stack, ptid, ctid, tls);
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
        return -EINVAL; /* shared memory without being a thread: no such process here */
    struct process *parent = cur_proc;
    if (parent->nthreads > 1) {
        pr_warn("mote: fork of a process with %d threads is not supported (EAGAIN)\n",
                parent->nthreads);
        return -EAGAIN;
    }
    struct process *c = kmalloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    memcpy(c, parent, sizeof(*c));
    c->nzombies = 0;
    c->sigpending = 0;
    c->nthreads = 1;
    c->parent = parent;
    c->vforked = flags & CLONE_VM;
    if (c->vforked) {
        c->mm = parent->mm;
        mm_get(c->mm);
    } else if (!(c->mm = mm_fork())) {
        kfree(c);
        return -ENOMEM;
    }
    c->pid = next_pid++;
    for (int fd = 0; fd < FD_MAX; fd++)
        if (c->fd[fd])
            file_get(c->fd[fd]);
    vfs_inode_get(c->cwd);
    if ((flags & CLONE_PARENT_SETTID) && copy_to_user(ptid, &c->pid, sizeof(int))) {
        /* best effort, as Linux: a bad pointer is not an error of clone */
    }

    /* The parent sleeps in fork(): it comes back with the child's pid once the child has ended. */
    parent->clear_tid = uthread_current()->clear_tid;
    parent->saved = *f;
    parent->saved.rax = c->pid;
    parent->saved_fs = arch_get_fs_base();
    fxsave(parent->fpu);

    cur_proc = c;
    mm_switch(c->mm);
    uthread_current()->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
    if (flags & CLONE_CHILD_SETTID)
        copy_to_user(ctid, &c->pid, sizeof(int));
    if (stack)
        f->rsp = stack;
    if (flags & CLONE_SETTLS)
        arch_set_fs_base(tls);
    return 0;
}

/* Leaves the kernel through frame f (anywhere in memory: trap_return pops it and irets). */
static __noreturn void resume(struct trap_frame *f)
{
    __asm__ volatile("movq %0, %%rsp\n\tjmp trap_return" : : "r"(f) : "memory");
    __builtin_unreachable();
}

__noreturn void process_exit(int wstatus)
{
    struct process *c = cur_proc, *p = c->parent;
    if (!p) {
        /* Sockets close as at any exit; TCP then delivers what they queued before power-off. */
        for (int fd = 0; fd < FD_MAX; fd++)
            if (c->fd[fd] && file_is_socket(c->fd[fd]))
                fd_close(fd);
        sock_exit_flush();
        int sig = wstatus & 0x7f;
        program_exited(sig ? 128 + sig : (wstatus >> 8) & 0xff);
    }
    struct uthread *u = uthread_current();
    if (u->clear_tid) {
        int zero = 0;
        copy_to_user(u->clear_tid, &zero, sizeof(zero));
    }
    u->clear_tid = p->clear_tid; /* the parent's, saved in its process at fork */
    for (int fd = 0; fd < FD_MAX; fd++)
        if (c->fd[fd])
            fd_close(fd);
    vfs_inode_put(c->cwd);
    if (p->nzombies < MAX_ZOMBIES) {
        p->zombies[p->nzombies].pid = c->pid;
        p->zombies[p->nzombies].status = wstatus;
        p->nzombies++;
    }
    /* Zombies of the child (it did not wait for them) are dropped: pid 1 would reap them. */
    cur_proc = p;
    mm_switch(p->mm);
    mm_put(c->mm);
    kfree(c);
    arch_set_fs_base(p->saved_fs);
    fxrstor(p->fpu);
    resume(&p->saved);
}

long process_wait(long pid, uint64_t status_ptr, int options)
{
    struct process *p = cur_proc;
    for (int i = 0; i < p->nzombies; i++) {
        if (pid > 0 && p->zombies[i].pid != pid)
            continue;
        int got = p->zombies[i].pid, status = p->zombies[i].status;
        if (status_ptr && copy_to_user(status_ptr, &status, sizeof(status)))
            return -EFAULT;
        p->zombies[i] = p->zombies[--p->nzombies];
        return got;
    }
    /* Children always end before their parent runs again: nothing left to wait for. */
    return -ECHILD;
}

/* ---- threads ---- */

static void uthread_entry(void *arg)
{
    struct uthread *u = arg;
    struct trap_frame f = u->start;
    resume(&f);
}

long thread_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    struct process *p = cur_proc;
    if ((flags & (CLONE_VM | CLONE_SIGHAND)) != (CLONE_VM | CLONE_SIGHAND))
        return -EINVAL;
    if (p->parent) {
        pr_warn("mote: threads in a forked child are not supported (EAGAIN)\n");
        return -EAGAIN;
    }
    struct uthread *u = kzalloc(sizeof(*u));
    if (!u)
        return -ENOMEM;
    u->proc = p;
    u->tid = next_pid++;
    u->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
    u->start = *syscall_frame;
    u->start.rax = 0;
    u->start.rcx = u->start.rip; /* as syscall leaves them */
    u->start.r11 = u->start.rflags;
    if (stack)
        u->start.rsp = stack;
    if ((flags & CLONE_PARENT_SETTID) && copy_to_user(ptid, &u->tid, sizeof(int))) {
        kfree(u);
        return -EFAULT;
    }
    if (flags & CLONE_CHILD_SETTID)
        copy_to_user(ctid, &u->tid, sizeof(int));
    /* CPU 0, like every thread of the program: see the note in process.h. */
    struct thread *t = thread_create(uthread_entry, u, "user", 0);
    if (!t) {
        kfree(u);
        return -EAGAIN;
    }
    /* It cannot run before we return (this CPU, interrupts off): set what the switch loads. */
    t->proc = u;
    t->fs_base = (flags & CLONE_SETTLS) ? tls : current()->fs_base;
    __asm__ volatile("fxsave64 %0" : "=m"(t->fpu)); /* the caller's state now, as Linux copies it */
    p->nthreads++;
    return u->tid;
}

__noreturn void thread_exit_user(int status)
{
    struct process *p = cur_proc;
    if (p->nthreads <= 1)
        process_exit(status);
    struct uthread *u = uthread_current();
    p->nthreads--;
    if (u->clear_tid) {
        int zero = 0;
        if (copy_to_user(u->clear_tid, &zero, sizeof(zero)) == 0)
            futex_wake(u->clear_tid, 1); /* pthread_join waits on it */
    }
    if (u == &main_uthread) {
        /* The boot thread keeps its stack (it is the kernel's); it just never runs again. */
        for (;;)
            thread_sleep_ns(1000000000000ull);
    }
    current()->proc = NULL;
    kfree(u);
    thread_exit();
}

bool wait_step(uint64_t deadline)
{
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
