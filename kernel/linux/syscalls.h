/* The system calls Mote implements: number, handler. Adding one is a line here plus its function. */
#ifndef MOTE_SYSCALLS_H
#define MOTE_SYSCALLS_H

#include "mote/types.h"

#define SYSCALL_LIST(X)                                                                            \
    X(1, sys_write)                                                                                \
    X(12, sys_brk)                                                                                 \
    X(16, sys_ioctl)                                                                               \
    X(20, sys_writev)                                                                              \
    X(39, sys_getpid)                                                                              \
    X(60, sys_exit)                                                                                \
    X(158, sys_arch_prctl)                                                                         \
    X(186, sys_gettid)                                                                             \
    X(218, sys_set_tid_address)                                                                    \
    X(231, sys_exit_group)

long sys_write(uint64_t fd, uint64_t buf, uint64_t len);
long sys_brk(uint64_t addr);
long sys_ioctl(uint64_t fd, uint64_t cmd, uint64_t arg);
long sys_writev(uint64_t fd, uint64_t iov, uint64_t cnt);
long sys_getpid(void);
long sys_exit(uint64_t status);
long sys_arch_prctl(uint64_t code, uint64_t addr);
long sys_gettid(void);
long sys_set_tid_address(uint64_t tidptr);
long sys_exit_group(uint64_t status);

#endif
