/* The system calls Mote implements: number, handler. Adding one is a line here plus its function.
 * Numbers are x86-64 Linux's (arch/x86/entry/syscalls/syscall_64.tbl). */
#ifndef MOTE_SYSCALLS_H
#define MOTE_SYSCALLS_H

#include "mote/types.h"

#define SYSCALL_LIST(X) \
    X(0, sys_read)                                                                                  \
    X(1, sys_write)                                                                                 \
    X(2, sys_open)                                                                                  \
    X(3, sys_close)                                                                                 \
    X(4, sys_stat)                                                                                  \
    X(5, sys_fstat)                                                                                 \
    X(6, sys_lstat)                                                                                 \
    X(7, sys_poll)                                                                                  \
    X(8, sys_lseek)                                                                                 \
    X(9, sys_mmap)                                                                                  \
    X(10, sys_mprotect)                                                                             \
    X(11, sys_munmap)                                                                               \
    X(12, sys_brk)                                                                                  \
    X(13, sys_rt_sigaction)                                                                         \
    X(14, sys_rt_sigprocmask)                                                                       \
    X(15, sys_rt_sigreturn)                                                                         \
    X(16, sys_ioctl)                                                                                \
    X(17, sys_pread64)                                                                              \
    X(18, sys_pwrite64)                                                                             \
    X(19, sys_readv)                                                                                \
    X(20, sys_writev)                                                                               \
    X(21, sys_access)                                                                               \
    X(22, sys_pipe)                                                                                 \
    X(23, sys_select)                                                                               \
    X(24, sys_sched_yield)                                                                          \
    X(25, sys_mremap)                                                                               \
    X(26, sys_msync)                                                                                \
    X(28, sys_madvise)                                                                              \
    X(32, sys_dup)                                                                                  \
    X(33, sys_dup2)                                                                                 \
    X(34, sys_pause)                                                                                \
    X(35, sys_nanosleep)                                                                            \
    X(36, sys_getitimer)                                                                            \
    X(37, sys_alarm)                                                                                \
    X(38, sys_setitimer)                                                                            \
    X(39, sys_getpid)                                                                               \
    X(40, sys_sendfile)                                                                             \
    X(41, sys_socket)                                                                               \
    X(42, sys_connect)                                                                              \
    X(43, sys_accept)                                                                               \
    X(44, sys_sendto)                                                                               \
    X(45, sys_recvfrom)                                                                             \
    X(46, sys_sendmsg)                                                                              \
    X(47, sys_recvmsg)                                                                              \
    X(48, sys_shutdown)                                                                             \
    X(49, sys_bind)                                                                                 \
    X(50, sys_listen)                                                                               \
    X(51, sys_getsockname)                                                                          \
    X(52, sys_getpeername)                                                                          \
    X(53, sys_socketpair)                                                                           \
    X(54, sys_setsockopt)                                                                           \
    X(55, sys_getsockopt)                                                                           \
    X(56, sys_clone)                                                                                \
    X(57, sys_fork)                                                                                 \
    X(58, sys_vfork)                                                                                \
    X(59, sys_execve)                                                                               \
    X(60, sys_exit)                                                                                 \
    X(61, sys_wait4)                                                                                \
    X(62, sys_kill)                                                                                 \
    X(63, sys_uname)                                                                                \
    X(72, sys_fcntl)                                                                                \
    X(74, sys_fsync)                                                                                \
    X(75, sys_fdatasync)                                                                            \
    X(76, sys_truncate)                                                                             \
    X(77, sys_ftruncate)                                                                            \
    X(79, sys_getcwd)                                                                               \
    X(80, sys_chdir)                                                                                \
    X(81, sys_fchdir)                                                                               \
    X(82, sys_rename)                                                                               \
    X(83, sys_mkdir)                                                                                \
    X(84, sys_rmdir)                                                                                \
    X(86, sys_link)                                                                                 \
    X(87, sys_unlink)                                                                               \
    X(88, sys_symlink)                                                                              \
    X(89, sys_readlink)                                                                             \
    X(90, sys_chmod)                                                                                \
    X(91, sys_fchmod)                                                                               \
    X(92, sys_chown)                                                                                \
    X(93, sys_fchown)                                                                               \
    X(94, sys_lchown)                                                                               \
    X(95, sys_umask)                                                                                \
    X(96, sys_gettimeofday)                                                                         \
    X(97, sys_getrlimit)                                                                            \
    X(98, sys_getrusage)                                                                            \
    X(99, sys_sysinfo)                                                                              \
    X(100, sys_times)                                                                               \
    X(102, sys_getuid)                                                                              \
    X(104, sys_getgid)                                                                              \
    X(105, sys_setuid)                                                                              \
    X(106, sys_setgid)                                                                              \
    X(107, sys_geteuid)                                                                             \
    X(108, sys_getegid)                                                                             \
    X(109, sys_setpgid)                                                                             \
    X(110, sys_getppid)                                                                             \
    X(111, sys_getpgrp)                                                                             \
    X(112, sys_setsid)                                                                              \
    X(121, sys_getpgid)                                                                             \
    X(124, sys_getsid)                                                                              \
    X(130, sys_rt_sigsuspend)                                                                       \
    X(131, sys_sigaltstack)                                                                         \
    X(157, sys_prctl)                                                                               \
    X(158, sys_arch_prctl)                                                                          \
    X(160, sys_setrlimit)                                                                           \
    X(186, sys_gettid)                                                                              \
    X(200, sys_tkill)                                                                               \
    X(201, sys_time)                                                                                \
    X(202, sys_futex)                                                                               \
    X(203, sys_sched_setaffinity)                                                                   \
    X(204, sys_sched_getaffinity)                                                                   \
    X(213, sys_epoll_create)                                                                        \
    X(217, sys_getdents64)                                                                          \
    X(218, sys_set_tid_address)                                                                     \
    X(222, sys_timer_create)                                                                        \
    X(223, sys_timer_settime)                                                                       \
    X(224, sys_timer_gettime)                                                                       \
    X(225, sys_timer_getoverrun)                                                                    \
    X(226, sys_timer_delete)                                                                        \
    X(228, sys_clock_gettime)                                                                       \
    X(229, sys_clock_getres)                                                                        \
    X(230, sys_clock_nanosleep)                                                                     \
    X(231, sys_exit_group)                                                                          \
    X(232, sys_epoll_wait)                                                                          \
    X(233, sys_epoll_ctl)                                                                           \
    X(234, sys_tgkill)                                                                              \
    X(257, sys_openat)                                                                              \
    X(258, sys_mkdirat)                                                                             \
    X(260, sys_fchownat)                                                                            \
    X(262, sys_newfstatat)                                                                          \
    X(263, sys_unlinkat)                                                                            \
    X(264, sys_renameat)                                                                            \
    X(265, sys_linkat)                                                                              \
    X(266, sys_symlinkat)                                                                           \
    X(267, sys_readlinkat)                                                                          \
    X(268, sys_fchmodat)                                                                            \
    X(269, sys_faccessat)                                                                           \
    X(270, sys_pselect6)                                                                            \
    X(271, sys_ppoll)                                                                               \
    X(273, sys_set_robust_list)                                                                     \
    X(280, sys_utimensat)                                                                           \
    X(281, sys_epoll_pwait)                                                                         \
    X(283, sys_timerfd_create)                                                                      \
    X(284, sys_eventfd)                                                                             \
    X(286, sys_timerfd_settime)                                                                     \
    X(287, sys_timerfd_gettime)                                                                     \
    X(288, sys_accept4)                                                                             \
    X(290, sys_eventfd2)                                                                            \
    X(291, sys_epoll_create1)                                                                       \
    X(292, sys_dup3)                                                                                \
    X(293, sys_pipe2)                                                                               \
    X(302, sys_prlimit64)                                                                           \
    X(309, sys_getcpu)                                                                              \
    X(316, sys_renameat2)                                                                           \
    X(318, sys_getrandom)                                                                           \
    X(332, sys_statx)                                                                               \
    X(334, sys_rseq)                                                                                \
    X(435, sys_clone3)                                                                              \
    X(439, sys_faccessat2)

long sys_read(uint64_t fd, uint64_t buf, uint64_t len);
/* linux/sys_socket.c */
long sys_socket(uint64_t domain, uint64_t type, uint64_t protocol);
long sys_socketpair(uint64_t domain, uint64_t type, uint64_t protocol, uint64_t sv);
long sys_bind(uint64_t fd, uint64_t uaddr, uint64_t len);
long sys_listen(uint64_t fd, uint64_t backlog);
long sys_accept(uint64_t fd, uint64_t uaddr, uint64_t ulen);
long sys_accept4(uint64_t fd, uint64_t uaddr, uint64_t ulen, uint64_t flags);
long sys_connect(uint64_t fd, uint64_t uaddr, uint64_t len);
long sys_shutdown(uint64_t fd, uint64_t how);
long sys_getsockname(uint64_t fd, uint64_t uaddr, uint64_t ulen);
long sys_getpeername(uint64_t fd, uint64_t uaddr, uint64_t ulen);
long sys_setsockopt(uint64_t fd, uint64_t level, uint64_t name, uint64_t uval, uint64_t len);
long sys_getsockopt(uint64_t fd, uint64_t level, uint64_t name, uint64_t uval, uint64_t ulen);
long sys_sendto(uint64_t fd, uint64_t buf, uint64_t len, uint64_t flags, uint64_t uaddr,
                uint64_t alen);
long sys_recvfrom(uint64_t fd, uint64_t buf, uint64_t len, uint64_t flags, uint64_t uaddr,
                  uint64_t ulen);
long sys_sendmsg(uint64_t fd, uint64_t umsg, uint64_t flags);
long sys_recvmsg(uint64_t fd, uint64_t umsg, uint64_t flags);
struct file;
bool file_is_socket(const struct file *f);
/* readv/writev of a socket: the whole checked vector (struct iovec[cnt]) in one transfer. */
long socket_rw_iov(struct file *f, const void *iov, uint64_t cnt, bool write);
long sys_write(uint64_t fd, uint64_t buf, uint64_t len);
long sys_open(uint64_t path, uint64_t flags, uint64_t mode);
long sys_close(uint64_t fd);
long sys_stat(uint64_t path, uint64_t st);
long sys_fstat(uint64_t fd, uint64_t st);
long sys_lstat(uint64_t path, uint64_t st);
long sys_poll(uint64_t fds, uint64_t n, uint64_t timeout);
long sys_lseek(uint64_t fd, uint64_t off, uint64_t whence);
long sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, uint64_t fd, uint64_t off);
long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot);
long sys_munmap(uint64_t addr, uint64_t len);
long sys_brk(uint64_t addr);
long sys_rt_sigaction(uint64_t sig, uint64_t act, uint64_t oact, uint64_t size);
long sys_rt_sigprocmask(uint64_t how, uint64_t set, uint64_t oset, uint64_t size);
long sys_rt_sigreturn(void);
long sys_ioctl(uint64_t fd, uint64_t cmd, uint64_t arg);
long sys_pread64(uint64_t fd, uint64_t buf, uint64_t len, uint64_t off);
long sys_pwrite64(uint64_t fd, uint64_t buf, uint64_t len, uint64_t off);
long sys_readv(uint64_t fd, uint64_t iov, uint64_t cnt);
long sys_writev(uint64_t fd, uint64_t iov, uint64_t cnt);
long sys_access(uint64_t path, uint64_t mode);
long sys_pipe(uint64_t fds);
long sys_select(uint64_t n, uint64_t rd, uint64_t wr, uint64_t ex, uint64_t tv);
long sys_sched_yield(void);
long sys_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen, uint64_t flags, uint64_t new_addr);
long sys_msync(uint64_t addr, uint64_t len, uint64_t flags);
long sys_madvise(uint64_t addr, uint64_t len, uint64_t advice);
long sys_dup(uint64_t fd);
long sys_dup2(uint64_t fd, uint64_t nfd);
long sys_nanosleep(uint64_t req, uint64_t rem);
long sys_getpid(void);
long sys_sendfile(uint64_t out, uint64_t in, uint64_t offp, uint64_t count);
long sys_clone(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls);
long sys_fork(void);
long sys_vfork(void);
long sys_execve(uint64_t path, uint64_t argv, uint64_t envp);
long sys_exit(uint64_t status);
long sys_wait4(uint64_t pid, uint64_t status, uint64_t options, uint64_t rusage);
long sys_kill(uint64_t pid, uint64_t sig);
long sys_uname(uint64_t buf);
long sys_fcntl(uint64_t fd, uint64_t cmd, uint64_t arg);
long sys_fsync(uint64_t fd);
long sys_fdatasync(uint64_t fd);
long sys_truncate(uint64_t path, uint64_t len);
long sys_ftruncate(uint64_t fd, uint64_t len);
long sys_getcwd(uint64_t buf, uint64_t size);
long sys_chdir(uint64_t path);
long sys_fchdir(uint64_t fd);
long sys_rename(uint64_t old, uint64_t new);
long sys_mkdir(uint64_t path, uint64_t mode);
long sys_rmdir(uint64_t path);
long sys_link(uint64_t old, uint64_t new);
long sys_unlink(uint64_t path);
long sys_symlink(uint64_t target, uint64_t path);
long sys_readlink(uint64_t path, uint64_t buf, uint64_t size);
long sys_chmod(uint64_t path, uint64_t mode);
long sys_fchmod(uint64_t fd, uint64_t mode);
long sys_chown(uint64_t path, uint64_t uid, uint64_t gid);
long sys_fchown(uint64_t fd, uint64_t uid, uint64_t gid);
long sys_lchown(uint64_t path, uint64_t uid, uint64_t gid);
long sys_umask(uint64_t mask);
long sys_gettimeofday(uint64_t tv, uint64_t tz);
long sys_getrlimit(uint64_t res, uint64_t rlim);
long sys_getrusage(uint64_t who, uint64_t ru);
long sys_sysinfo(uint64_t info);
long sys_times(uint64_t buf);
long sys_getuid(void);
long sys_getgid(void);
long sys_setuid(uint64_t uid);
long sys_setgid(uint64_t gid);
long sys_geteuid(void);
long sys_getegid(void);
long sys_setpgid(uint64_t pid, uint64_t pgid);
long sys_getppid(void);
long sys_getpgrp(void);
long sys_setsid(void);
long sys_getpgid(uint64_t pid);
long sys_getsid(uint64_t pid);
long sys_sigaltstack(uint64_t ss, uint64_t oss);
long sys_rt_sigsuspend(uint64_t set, uint64_t size);
long sys_pause(void);
long sys_prctl(uint64_t op, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
long sys_arch_prctl(uint64_t code, uint64_t addr);
long sys_setrlimit(uint64_t res, uint64_t rlim);
long sys_gettid(void);
long sys_tkill(uint64_t tid, uint64_t sig);
long sys_time(uint64_t t);
long sys_futex(uint64_t uaddr, uint64_t op, uint64_t val, uint64_t timeout, uint64_t uaddr2, uint64_t val3);
long sys_sched_setaffinity(uint64_t pid, uint64_t len, uint64_t mask);
long sys_sched_getaffinity(uint64_t pid, uint64_t len, uint64_t mask);
long sys_getcpu(uint64_t cpu, uint64_t node, uint64_t cache);
long sys_epoll_create(uint64_t size);
long sys_getdents64(uint64_t fd, uint64_t buf, uint64_t len);
long sys_set_tid_address(uint64_t tidptr);
long sys_clock_gettime(uint64_t clk, uint64_t ts);
long sys_clock_getres(uint64_t clk, uint64_t ts);
long sys_clock_nanosleep(uint64_t clk, uint64_t flags, uint64_t req, uint64_t rem);
long sys_exit_group(uint64_t status);
long sys_epoll_wait(uint64_t epfd, uint64_t events, uint64_t max, uint64_t timeout);
long sys_epoll_ctl(uint64_t epfd, uint64_t op, uint64_t fd, uint64_t event);
long sys_tgkill(uint64_t tgid, uint64_t tid, uint64_t sig);
long sys_openat(uint64_t dirfd, uint64_t path, uint64_t flags, uint64_t mode);
long sys_mkdirat(uint64_t dirfd, uint64_t path, uint64_t mode);
long sys_fchownat(uint64_t dirfd, uint64_t path, uint64_t uid, uint64_t gid, uint64_t flags);
long sys_newfstatat(uint64_t dirfd, uint64_t path, uint64_t st, uint64_t flags);
long sys_unlinkat(uint64_t dirfd, uint64_t path, uint64_t flags);
long sys_renameat(uint64_t odir, uint64_t old, uint64_t ndir, uint64_t new);
long sys_linkat(uint64_t odir, uint64_t old, uint64_t ndir, uint64_t new, uint64_t flags);
long sys_symlinkat(uint64_t target, uint64_t dirfd, uint64_t path);
long sys_readlinkat(uint64_t dirfd, uint64_t path, uint64_t buf, uint64_t size);
long sys_fchmodat(uint64_t dirfd, uint64_t path, uint64_t mode);
long sys_faccessat(uint64_t dirfd, uint64_t path, uint64_t mode);
long sys_pselect6(uint64_t n, uint64_t rd, uint64_t wr, uint64_t ex, uint64_t ts, uint64_t sig);
long sys_ppoll(uint64_t fds, uint64_t n, uint64_t ts, uint64_t sigmask, uint64_t size);
long sys_set_robust_list(uint64_t head, uint64_t len);
long sys_utimensat(uint64_t dirfd, uint64_t path, uint64_t times, uint64_t flags);
long sys_epoll_pwait(uint64_t epfd, uint64_t events, uint64_t max, uint64_t timeout, uint64_t sigmask, uint64_t size);
long sys_eventfd(uint64_t count);
long sys_alarm(uint64_t seconds);
long sys_getitimer(uint64_t which, uint64_t val);
long sys_setitimer(uint64_t which, uint64_t nval, uint64_t oval);
long sys_timerfd_create(uint64_t clk, uint64_t flags);
long sys_timerfd_settime(uint64_t fd, uint64_t flags, uint64_t nval, uint64_t oval);
long sys_timerfd_gettime(uint64_t fd, uint64_t val);
long sys_timer_create(uint64_t clk, uint64_t sevp, uint64_t idp);
long sys_timer_settime(uint64_t id, uint64_t flags, uint64_t nval, uint64_t oval);
long sys_timer_gettime(uint64_t id, uint64_t val);
long sys_timer_getoverrun(uint64_t id);
long sys_timer_delete(uint64_t id);
long sys_eventfd2(uint64_t count, uint64_t flags);
long sys_epoll_create1(uint64_t flags);
long sys_dup3(uint64_t fd, uint64_t nfd, uint64_t flags);
long sys_pipe2(uint64_t fds, uint64_t flags);
long sys_prlimit64(uint64_t pid, uint64_t res, uint64_t new, uint64_t old);
long sys_renameat2(uint64_t odir, uint64_t old, uint64_t ndir, uint64_t new, uint64_t flags);
long sys_getrandom(uint64_t buf, uint64_t len, uint64_t flags);
long sys_statx(uint64_t dirfd, uint64_t path, uint64_t flags, uint64_t mask, uint64_t buf);
long sys_rseq(uint64_t rseq, uint64_t len, uint64_t flags, uint64_t sig);
long sys_clone3(uint64_t args, uint64_t size);
long sys_faccessat2(uint64_t dirfd, uint64_t path, uint64_t mode, uint64_t flags);

/* (dirfd, user path) to an inode, as the *at calls resolve it (linux/sys_path.c); flags: AT_*,
 * lookup: LOOKUP_*. */
struct inode;
int resolve_at(long dirfd, uint64_t upath, int atflags, int lookup, struct inode **out);

/* CLOCK_MONOTONIC and CLOCK_REALTIME now, in nanoseconds (linux/sys_time.c). */
uint64_t time_mono_ns(void);
uint64_t time_real_ns(void);

/* Linux's struct timespec (x86-64) and its conversions, for every call that takes one. */
#define NSEC_PER_SEC 1000000000ull
struct ktimespec {
    int64_t sec, nsec;
};
static inline bool ktimespec_ok(const struct ktimespec *t)
{
    return t->sec >= 0 && t->nsec >= 0 && t->nsec < (int64_t)NSEC_PER_SEC;
}
/* Nanoseconds of a valid timespec, saturated at UINT64_MAX / 4 (146 years: sums stay exact). */
static inline uint64_t ktimespec_ns(const struct ktimespec *t)
{
    if ((uint64_t)t->sec > UINT64_MAX / NSEC_PER_SEC / 4)
        return UINT64_MAX / 4;
    return (uint64_t)t->sec * NSEC_PER_SEC + (uint64_t)t->nsec;
}
static inline struct ktimespec ns_ktimespec(uint64_t ns)
{
    return (struct ktimespec){(int64_t)(ns / NSEC_PER_SEC), (int64_t)(ns % NSEC_PER_SEC)};
}

/* Deadlines for poll/select/epoll/futex (linux/sys_time.c): ms < 0 is forever (UINT64_MAX). */
uint64_t time_deadline_ms(long ms);
bool time_passed(uint64_t deadline);
uint64_t time_deadline_tsc(uint64_t deadline);
/* From now on files get the clock's time (process_init: the boot is over). */
void time_start_stamps(void);
/* The TSC value at which CLOCK_MONOTONIC (or CLOCK_REALTIME) reads ns. */
uint64_t time_tsc_of_clock_ns(bool realtime, uint64_t ns);

#endif
