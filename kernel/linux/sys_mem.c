/* Memory system calls: brk and the mmap family (mm/uspace.c does the work). File-backed mappings
 * are private copies filled on first touch; MAP_SHARED is accepted and behaves as MAP_PRIVATE
 * (one process at a time: nobody could see the difference but the file, which is not written
 * back). */
#include <errno.h>

#include "fs/vfs.h"
#include "linux/process.h"
#include "linux/syscalls.h"
#include "mote/uspace.h"

long sys_brk(uint64_t addr)
{
    return uspace_brk(addr);
}

long sys_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, uint64_t fd, uint64_t off)
{
    struct inode *file = NULL;
    if (!(flags & MAP_ANONYMOUS)) {
        struct file *f = fd_get((int)fd);
        if (!f)
            return -EBADF;
        if (!f->inode)
            return -ENODEV;
        if (S_ISCHR(f->inode->mode) && f->inode->rdev == 0x105)
            file = NULL; /* /dev/zero: anonymous memory */
        else if (!S_ISREG(f->inode->mode) || f->inode->gen)
            return -ENODEV;
        else if ((f->flags & O_ACCMODE) == O_WRONLY)
            return -EACCES;
        else
            file = f->inode;
    }
    return uspace_mmap(addr, len, (int)prot, (int)flags, file, off);
}

long sys_munmap(uint64_t addr, uint64_t len)
{
    return uspace_munmap(addr, len);
}

long sys_mprotect(uint64_t addr, uint64_t len, uint64_t prot)
{
    return uspace_mprotect(addr, len, (int)prot);
}

long sys_mremap(uint64_t old, uint64_t oldlen, uint64_t newlen, uint64_t flags, uint64_t new_addr)
{
    return uspace_mremap(old, oldlen, newlen, (int)flags, new_addr);
}

long sys_madvise(uint64_t addr, uint64_t len, uint64_t advice)
{
    return uspace_madvise(addr, len, (int)advice);
}

long sys_msync(uint64_t addr, uint64_t len, uint64_t flags)
{
    if ((addr & 4095) || (flags & ~7ull) || ((flags & 1) && (flags & 4)))
        return -EINVAL;
    return user_range_ok(addr, len, false) ? 0 : -ENOMEM;
}
