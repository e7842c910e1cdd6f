/* Process and console system calls: what a static musl or glibc hello needs. */
#include <errno.h>

#include "linux/syscalls.h"
#include "mote/exec.h"
#include "mote/layout.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/trap.h"
#include "mote/uspace.h"

#define TCGETS 0x5401
#define TIOCGWINSZ 0x5413
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define IOV_MAX 1024

struct iovec {
    uint64_t base, len;
};

static bool is_console(uint64_t fd)
{
    return fd <= 2;
}

long sys_write(uint64_t fd, uint64_t buf, uint64_t len)
{
    if (!is_console(fd))
        return -EBADF;
    if (!user_range_ok(buf, len, false))
        return -EFAULT;
    console_write((const char *)buf, len);
    return len;
}

long sys_writev(uint64_t fd, uint64_t iov, uint64_t cnt)
{
    if (!is_console(fd))
        return -EBADF;
    if (cnt > IOV_MAX)
        return -EINVAL;
    if (!user_range_ok(iov, cnt * sizeof(struct iovec), false))
        return -EFAULT;
    const struct iovec *v = (const struct iovec *)iov;
    uint64_t total = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if (!user_range_ok(v[i].base, v[i].len, false))
            return total ? (long)total : -EFAULT;
        total += v[i].len;
    }
    /* Small vectors are gathered so the console sees one write (one exit). */
    char merged[1024];
    if (total <= sizeof(merged)) {
        uint64_t n = 0;
        for (uint64_t i = 0; i < cnt; i++) {
            memcpy(merged + n, (const void *)v[i].base, v[i].len);
            n += v[i].len;
        }
        console_write(merged, n);
    } else {
        for (uint64_t i = 0; i < cnt; i++)
            console_write((const char *)v[i].base, v[i].len);
    }
    return total;
}

long sys_ioctl(uint64_t fd, uint64_t cmd, uint64_t arg)
{
    if (!is_console(fd))
        return -EBADF;
    /* The console answers as a non-terminal, so libc buffers whole blocks of output
     * (fewer exits than line buffering). */
    switch (cmd) {
    case TCGETS:
    case TIOCGWINSZ:
        return -ENOTTY;
    default:
        return -EINVAL;
    }
}

long sys_brk(uint64_t addr)
{
    return uspace_brk(addr);
}

long sys_getpid(void)
{
    return 1;
}

long sys_gettid(void)
{
    return 1;
}

long sys_set_tid_address(uint64_t tidptr)
{
    return 1;
}

long sys_arch_prctl(uint64_t code, uint64_t addr)
{
    uint64_t v;
    switch (code) {
    case ARCH_SET_FS:
        if (addr >= USER_TOP)
            return -EPERM;
        arch_set_fs_base(addr);
        return 0;
    case ARCH_GET_FS:
        v = arch_get_fs_base();
        return copy_to_user(addr, &v, sizeof(v));
    case ARCH_SET_GS:
    case ARCH_GET_GS:
        return -EINVAL; /* not offered yet: the kernel's syscall entry swaps GS */
    default:
        return -EINVAL;
    }
}

long sys_exit(uint64_t status)
{
    program_exited(status & 0xff);
}

long sys_exit_group(uint64_t status)
{
    program_exited(status & 0xff);
}
