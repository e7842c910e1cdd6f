/* The process: what the threads of one program share (address space, open files, cwd, signal
 * actions), and the process tree that fork builds. Each thread that runs a program is a
 * scheduler thread (mote/sched.h) whose proc pointer is a struct uthread and whose mm is the
 * process's address space (the scheduler loads it on a switch). All of them, of every process,
 * run on CPU 0, and the kernel runs with interrupts off, so the Linux layer's data needs no
 * locks: a thread leaves the CPU only from user mode (the timer) or where it blocks on purpose.
 * fork makes a process that runs side by side with its parent; a process ends when its last
 * thread leaves, and stays a zombie until its parent reaps it with wait4. */
#ifndef MOTE_PROCESS_H
#define MOTE_PROCESS_H

#include "mote/sched.h"
#include "mote/trap.h"
#include "mote/types.h"

#define FD_MAX 256
#define NSIG 64
#define EXE_MAX 256
/* A blocked call interrupted by a signal: restarted when the handler has SA_RESTART, else
 * EINTR (linux/sys_signal.c decides on the way out). */
#define ERESTARTSYS 512

struct file;
struct inode;
struct mm;

struct sigaction_k {
    uint64_t handler, flags, restorer, mask;
};

struct vfork_wait;
struct proc_timers;

struct process {
    int pid;
    struct process *parent;
    struct process *children, *sibling; /* its children; the next child of its parent */
    struct process *all_next;           /* every process, for kill and pid lookups */
    struct mm *mm;
    struct file **fd; /* FD_MAX of them, then cloexec: one page (struct fdtable) */
    bool *cloexec;
    struct inode *cwd;
    uint32_t umask;
    struct sigaction_k sig[NSIG + 1];
    uint64_t sigmask, sigpending;
    uint64_t sigfrom; /* pending signals another process sent */
    uint64_t sigmask_saved; /* rt_sigsuspend: the mask the handler's frame restores */
    bool sigmask_restore;
    uint64_t altstack[3]; /* stack_t: ss_sp, ss_flags (SS_DISABLE when unset), ss_size */
    char exe[EXE_MAX];
    char comm[16];
    int nthreads;              /* threads running the program (1 unless it made some) */
    struct uthread *threads;   /* them */
    bool exiting;              /* exit_group or a fatal signal: each thread leaves */
    bool zombie;               /* ended, not yet reaped */
    int exit_status;           /* wait(2) status word, once exiting */
    struct vfork_wait *vfork;  /* a vfork child: its parent waits here until exec or exit */
    struct wait_queue child_wq; /* wait4 callers, woken when a child ends */
    struct proc_timers *timers; /* itimers and POSIX timers (linux/sys_timer.c); NULL: none yet */
};

/* One thread of a program (sched.h's thread->proc). */
struct uthread {
    struct process *proc;
    struct thread *thread;
    struct uthread *next; /* in proc->threads */
    int tid;
    bool intr;                /* blocked where a signal may wake it (uwait_on, usleep_until) */
    uint64_t clear_tid;       /* CLONE_CHILD_CLEARTID / set_tid_address */
    uint64_t set_tid;         /* CLONE_CHILD_SETTID of a fork child: written on its first run */
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

/* fork/vfork (clone without CLONE_THREAD): a new process whose thread starts from f with RAX
 * = 0; returns its pid. vfork returns once the child has called execve or ended. */
long process_fork(struct trap_frame *f, uint64_t flags, uint64_t stack, uint64_t ptid,
                  uint64_t ctid, uint64_t tls);
/* Ends the current process with a wait(2) status word (exit code << 8, or the signal): every
 * thread of it leaves, the last one closes its files, frees its memory and tells the parent.
 * The first process powers the VM off with its exit status (128 + signal when killed). */
__noreturn void process_exit(int wstatus);
/* The current thread leaves because its process is ending (process->exiting). */
__noreturn void process_leave(void);
long process_wait(long pid, uint64_t status_ptr, int options);
/* A vfork child has exec'd: its parent goes on. */
void process_vfork_done(struct process *p);
/* The process with this pid (zombies too), or NULL. */
struct process *process_find(int pid);
/* Every live process but pid 1 and the caller (kill(-1)). */
struct process *process_first(void);
/* Wakes p's threads that block where a signal may interrupt them. */
void process_interrupt(struct process *p);
/* Does something wait for the current thread: its process ending, or a signal it must take? */
bool signal_interrupts(void);
/* wait_on for the Linux layer: returns -ERESTARTSYS (the lock released) instead of blocking
 * when signal_interrupts(), else blocks where a signal wakes it, and returns wait_on's result:
 * callers test their condition again, then call it again (which answers -ERESTARTSYS). */
int uwait_on(struct wait_queue *wq, spinlock_t *lock, uint64_t flags, uint64_t deadline);
/* wait_on, but a signal for the process (or its end) wakes the thread too (returning 0): for
 * waits that re-test their condition and call signal_fatal_check (poll, sockets). */
int wait_on_intr(struct wait_queue *wq, spinlock_t *lock, uint64_t flags, uint64_t deadline);
/* Leaves now if the current thread's process is ending or a pending signal would end it; call
 * only where the thread holds nothing (no lock, no reference it must drop). No-op in kernel
 * threads. */
void signal_fatal_check(void);
/* Sleeps until the TSC deadline; returns -ERESTARTSYS if a signal woke it first. */
int usleep_until(uint64_t deadline);

/* p's timers stop and go (its last thread has left); execve drops its POSIX timers
 * (linux/sys_timer.c). */
void timer_process_gone(struct process *p);
void timer_exec(struct process *p);

/* "SIGSEGV" for 11, and so on (linux/sys_signal.c). */
const char *signal_name(int sig);
/* Sends sig to the current process at the end of the system call whose result is ret: it waits
 * if blocked, vanishes if ignored, ends the process, or runs its handler (linux/sys_signal.c).
 * Returns what the system call should return. */
long signal_self(int sig, long ret);
/* Posts sig to process p (kill from another process, SIGCHLD): dropped if p ignores it,
 * otherwise pending, and p's blocked threads woken when it is not blocked. */
void signal_send(struct process *p, int sig);
/* On the way back to user mode from system call nr (-1: from an interrupt) whose result is ret:
 * leaves if the process is ending, turns -ERESTARTSYS into a restart or EINTR, delivers a
 * pending signal. Returns the value RAX gets. */
long signal_on_return(long ret, uint64_t nr);
/* Leaves now if the process is ending or a pending signal would end it (wait_step). */
void signal_fatal_now(void);

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
