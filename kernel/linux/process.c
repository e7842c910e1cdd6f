/* Processes, their descriptor tables, fork, exit and wait; see process.h. */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h"
#include "mote/exec.h"
#include "mote/mm.h"
#include "mote/printk.h"
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

struct trap_frame *syscall_frame;
static struct process *current;
static int next_pid = 1;

struct process *process_current(void)
{
    return current;
}

void process_set_exe(const char *path)
{
    strlcpy(current->exe, path, sizeof(current->exe));
    const char *base = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' && p[1])
            base = p + 1;
    strlcpy(current->comm, base, sizeof(current->comm));
}

int process_init(const char *exe)
{
    struct process *p = kzalloc(sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->pid = next_pid++;
    p->umask = 022;
    p->altstack[1] = 2; /* SS_DISABLE */
    p->cwd = vfs_root();
    vfs_inode_get(p->cwd);
    current = p;
    process_set_exe(exe);
    struct inode *console;
    int rc = vfs_lookup(vfs_root(), "/dev/console", 0, &console);
    for (int fd = 0; fd < 3 && rc == 0; fd++) {
        struct file *f = vfs_open(console, O_RDWR, &rc);
        if (f)
            fd_install(f, fd, false);
    }
    return rc;
}

struct file *fd_get(int fd)
{
    if (fd < 0 || fd >= FD_MAX)
        return NULL;
    return current->fd[fd];
}

int fd_install(struct file *f, int min, bool cloexec)
{
    for (int fd = min < 0 ? 0 : min; fd < FD_MAX; fd++) {
        if (!current->fd[fd]) {
            current->fd[fd] = f;
            current->cloexec[fd] = cloexec;
            return fd;
        }
    }
    return -EMFILE;
}

int fd_close(int fd)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    current->fd[fd] = NULL;
    current->cloexec[fd] = false;
    file_put(f);
    return 0;
}

void fd_close_on_exec(void)
{
    for (int fd = 0; fd < FD_MAX; fd++)
        if (current->fd[fd] && current->cloexec[fd])
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
    if ((flags & CLONE_THREAD) || ((flags & CLONE_VM) && !(flags & CLONE_VFORK))) {
        pr_warn("mote: clone(%lx): threads need the scheduler, not here yet (ENOSYS)\n", flags);
        return -ENOSYS;
    }
    struct process *parent = current;
    struct process *c = kmalloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    memcpy(c, parent, sizeof(*c));
    c->nzombies = 0;
    c->sigpending = 0;
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
    parent->saved = *f;
    parent->saved.rax = c->pid;
    parent->saved_fs = arch_get_fs_base();
    fxsave(parent->fpu);

    current = c;
    mm_switch(c->mm);
    c->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
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
    struct process *c = current, *p = c->parent;
    if (!p) {
        int sig = wstatus & 0x7f;
        program_exited(sig ? 128 + sig : (wstatus >> 8) & 0xff);
    }
    if (c->clear_tid) {
        int zero = 0;
        copy_to_user(c->clear_tid, &zero, sizeof(zero));
    }
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
    current = p;
    mm_switch(p->mm);
    mm_put(c->mm);
    kfree(c);
    arch_set_fs_base(p->saved_fs);
    fxrstor(p->fpu);
    resume(&p->saved);
}

long process_wait(long pid, uint64_t status_ptr, int options)
{
    struct process *p = current;
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
