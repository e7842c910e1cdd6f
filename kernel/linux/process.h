/* The process: what the threads of one program share (address space, open files, cwd, signal
 * actions), and the process tree that fork builds. Each thread that runs the program is a
 * scheduler thread (mote/sched.h) whose proc pointer is a struct uthread; all of them run on
 * CPU 0, and the kernel runs with interrupts off, so the Linux layer's data needs no locks: a
 * thread leaves the CPU only from user mode (the timer) or where it blocks on purpose.
 * A forked child runs on its parent's thread, to its end, while the parent waits suspended in
 * fork() (its registers and FPU state saved here);
 * the parent then returns from fork with the child's pid and finds it a zombie for wait4. That is
 * what a shell does with a foreground command, and pipelines work as long as a pipe's writer has
 * finished before its reader starts (pipes grow instead of blocking the only runnable process). */
#ifndef MOTE_PROCESS_H
#define MOTE_PROCESS_H

#include "mote/trap.h"
#include "mote/types.h"

#define FD_MAX 256
#define NSIG 64
#define EXE_MAX 256
#define MAX_ZOMBIES 64

struct file;
struct inode;
struct mm;

struct sigaction_k {
    uint64_t handler, flags, restorer, mask;
};

struct process {
    int pid;
    struct process *parent;
    struct mm *mm;
    struct file *fd[FD_MAX];
    bool cloexec[FD_MAX];
    struct inode *cwd;
    uint32_t umask;
    struct sigaction_k sig[NSIG + 1];
    uint64_t sigmask, sigpending;
    uint64_t altstack[3]; /* stack_t: ss_sp, ss_flags (SS_DISABLE when unset), ss_size */
    uint64_t clear_tid;
    char exe[EXE_MAX];
    char comm[16];
    bool vforked; /* shares its parent's mm until it execs */
    int nthreads; /* threads running the program (1 unless it made some) */
    /* While suspended in fork: */
    struct trap_frame saved;
    uint64_t saved_fs;
    uint8_t fpu[512] __attribute__((aligned(16)));
    struct {
        int pid, status;
    } zombies[MAX_ZOMBIES];
    int nzombies;
};

/* One thread of a program (sched.h's thread->proc). */
struct uthread {
    struct process *proc; /* changes while a fork child runs on this thread */
    int tid;
    uint64_t clear_tid;       /* CLONE_CHILD_CLEARTID / set_tid_address */
    struct trap_frame *frame; /* the system call being served */
    struct trap_frame start;  /* a new thread's first user registers */
};

struct uthread *uthread_current(void);
struct process *process_current(void);
/* The first process: pid 1, fds 0-2 on the console device, cwd /. Its exe and comm are set by
 * the exec that follows. */
int process_init(void);
void process_set_exe(const char *path);

/* File descriptors of the current process. */
struct file *fd_get(int fd);
/* Lowest free descriptor >= min; returns it or -EMFILE. Takes over the caller's reference. */
int fd_install(struct file *f, int min, bool cloexec);
int fd_close(int fd);
/* Closes the descriptors marked close-on-exec (execve). */
void fd_close_on_exec(void);

/* fork/vfork (clone without CLONE_THREAD): the child continues in f with 0. */
long process_fork(struct trap_frame *f, uint64_t flags, uint64_t stack, uint64_t ptid,
                  uint64_t ctid, uint64_t tls);
/* Ends the current process with a wait(2) status word (exit code << 8, or the signal). The first
 * process powers the VM off with its exit status (128 + signal when killed). */
__noreturn void process_exit(int wstatus);
long process_wait(long pid, uint64_t status_ptr, int options);

/* "SIGSEGV" for 11, and so on (linux/sys_signal.c). */
const char *signal_name(int sig);
/* Sends sig to the current process at the end of the system call whose result is ret: it waits
 * if blocked, vanishes if ignored, ends the process, or runs its handler (linux/sys_signal.c).
 * Returns what the system call should return. */
long signal_self(int sig, long ret);

/* --strace: print every system call with its result (linux/syscall.c). */
extern bool syscall_trace;

/* The frame of the system call being served (set by syscall_dispatch). */
#define syscall_frame (uthread_current()->frame)

/* A thread (clone with CLONE_THREAD): runs on CPU 0 from the caller's registers with RSP = stack
 * and RAX = 0; returns its tid. */
long thread_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls);
/* exit(2) of one thread: the last one ends the process. */
__noreturn void thread_exit_user(int status);
/* futex wake of up to n waiters on uaddr (linux/sys_proc.c); returns how many. */
long futex_wake(uint64_t uaddr, int n);
/* Sleeps a little (1 ms or until the deadline) so other threads and console input can move;
 * returns false once the deadline (UINT64_MAX: never) has passed. */
bool wait_step(uint64_t deadline);

#endif
