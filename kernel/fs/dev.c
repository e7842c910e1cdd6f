/* Device nodes (/dev/console, null, zero, random, urandom, tty) and the generated /proc files
 * (cpuinfo, meminfo, self/exe). The console is not a terminal to programs (ioctl TCGETS answers
 * ENOTTY), so libc buffers whole blocks of output: one exit per block instead of per line.
 * Reading it polls the 8250; a Ctrl-D (0x04) at the start of a read is end of file, as on a tty. */
#include <errno.h>

#include "fs/initrd.h"
#include "fs/vfs.h"
#include "linux/process.h"
#include "mote/blk.h"
#include "mote/bootchart.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/random.h"
#include "mote/string.h"
#include "mote/uspace.h"
#include "mote/x86.h"

#define CTRL_D 0x04

static int pending = -1; /* a byte poll() saw arrive, not yet read */

static int next_byte(void)
{
    int c = pending;
    if (c >= 0) {
        pending = -1;
        return c;
    }
    return console_read_byte();
}

static long console_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    if (len == 0)
        return 0;
    uint8_t *out = buf;
    size_t n = 0;
    for (;;) {
        int c = next_byte();
        if (c < 0) {
            if (n)
                return n;
            if (f->flags & O_NONBLOCK)
                return -EAGAIN;
            wait_step(UINT64_MAX); /* polled every millisecond; the CPU halts in between */
            continue;
        }
        if (c == CTRL_D && n == 0)
            return 0;
        if (c == CTRL_D)
            return n;
        out[n++] = (uint8_t)c;
        if (n == len || c == '\n')
            return n;
    }
}

static long console_write_op(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    console_write(buf, len);
    return len;
}

static unsigned console_poll(struct file *f)
{
    if (pending < 0)
        pending = console_read_byte();
    return POLLOUT | (pending >= 0 ? POLLIN : 0);
}

#define TCGETS 0x5401
#define TIOCGWINSZ 0x5413
#define TIOCGPGRP 0x540f

static long console_ioctl(struct file *f, unsigned long cmd, uint64_t arg)
{
    return -ENOTTY; /* not a terminal: see the file comment */
}

const struct file_ops console_ops = {
    .read = console_read, .write = console_write_op, .poll = console_poll, .ioctl = console_ioctl};

static long null_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    return 0;
}

static long sink_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    return len;
}

static long zero_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    memset(buf, 0, len);
    return len;
}

static long random_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    random_fill(buf, len);
    return len;
}

static unsigned always_ready(struct file *f)
{
    return POLLIN | POLLOUT;
}

static long notty(struct file *f, unsigned long cmd, uint64_t arg)
{
    return -ENOTTY;
}

static const struct file_ops null_ops = {
    .read = null_read, .write = sink_write, .poll = always_ready, .ioctl = notty};
static const struct file_ops zero_ops = {
    .read = zero_read, .write = sink_write, .poll = always_ready, .ioctl = notty};
static const struct file_ops random_ops = {
    .read = random_read, .write = sink_write, .poll = always_ready, .ioctl = notty};

static long gen_meminfo(char *buf, size_t cap)
{
    uint64_t total = page_total_count() * 4, free = page_free_count() * 4;
    return snprintf(buf, cap,
                    "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n"
                    "Buffers:               0 kB\nCached:                0 kB\n"
                    "SwapTotal:             0 kB\nSwapFree:              0 kB\n",
                    total, free, free);
}

static long gen_cpuinfo(char *buf, size_t cap)
{
    uint32_t r[12], a, b, c, d;
    char vendor[13], model[49];
    cpuid(0, 0, &a, &b, &c, &d);
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = '\0';
    cpuid(0x80000000, 0, &a, &b, &c, &d);
    model[0] = '\0';
    if (a >= 0x80000004) {
        for (int i = 0; i < 3; i++)
            cpuid(0x80000002 + i, 0, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
        memcpy(model, r, 48);
        model[48] = '\0';
    }
    cpuid(1, 0, &a, &b, &c, &d);
    uint64_t khz = arch_tsc_khz();
    return snprintf(
        buf, cap,
        "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
        "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %lu.%03lu\n"
        "physical id\t: 0\ncore id\t\t: 0\ncpu cores\t: 1\n"
        "flags\t\t: fpu tsc msr pae cx8 apic cmov pat clflush mmx fxsr sse sse2 syscall "
        "nx lm\n\n",
        vendor, (a >> 8) & 0xf, (a >> 4) & 0xf, model, a & 0xf, khz / 1000, khz % 1000);
}

static const char *self_exe(void)
{
    return process_current()->exe;
}

/* The kernel's own nodes: inodes and dentries initialised and linked at compile time, so the boot
 * only hangs /dev, /proc and /tmp under the root (each CPL0 instruction costs ~2.8 us under PVM).
 * Their times are 0, as every node made before the first process gets (vfs_now). Listing order is
 * the order of each directory's chain. */
enum { DEV, PROC, TMP, SELF, CONSOLE, TTY, NUL, ZERO, RANDOM, URANDOM, MEMINFO, CPUINFO, EXE,
       N_NODES };

static struct inode inodes[N_NODES];

#define DENTRY(i, nm, nx)                                                                          \
    [i] = {.next = (nx), .inode = &inodes[i], .name = nm, .len = sizeof(nm) - 1}
static struct dentry dentries[N_NODES] = {
    DENTRY(DEV, "dev", NULL),
    DENTRY(PROC, "proc", NULL),
    DENTRY(TMP, "tmp", NULL),
    DENTRY(SELF, "self", &dentries[MEMINFO]),
    DENTRY(CONSOLE, "console", &dentries[TTY]),
    DENTRY(TTY, "tty", &dentries[NUL]),
    DENTRY(NUL, "null", &dentries[ZERO]),
    DENTRY(ZERO, "zero", &dentries[RANDOM]),
    DENTRY(RANDOM, "random", &dentries[URANDOM]),
    DENTRY(URANDOM, "urandom", NULL),
    DENTRY(MEMINFO, "meminfo", &dentries[CPUINFO]),
    DENTRY(CPUINFO, "cpuinfo", NULL),
    DENTRY(EXE, "exe", NULL),
};

/* nlink counts the links the static chains make: "." and each subdirectory's ".."; linking a
 * directory into the root (vfs_attach) adds the rest. Inode numbers follow the root's (1). */
#define DIR(i, perm, links, first, last, n)                                                        \
    [i] = {.ino = 2 + i, .mode = S_IFDIR | (perm), .nlink = (links), .children = &dentries[first], \
           .last_child = &dentries[last], .nchildren = (n)}
#define EMPTY_DIR(i, perm) [i] = {.ino = 2 + i, .mode = S_IFDIR | (perm), .nlink = 1}
#define CHR(i, perm, dev, ops)                                                                     \
    [i] = {.ino = 2 + i, .mode = S_IFCHR | (perm), .nlink = 1, .rdev = (dev), .fops = (ops)}
#define PROC_FILE(i, fn) [i] = {.ino = 2 + i, .mode = S_IFREG | 0444, .nlink = 1, .gen = (fn)}

static struct inode inodes[N_NODES] = {
    DIR(DEV, 0755, 1, CONSOLE, URANDOM, 6),
    DIR(PROC, 0555, 2, SELF, CPUINFO, 3),
    EMPTY_DIR(TMP, 01777),
    [SELF] = {.ino = 2 + SELF, .mode = S_IFDIR | 0555, .nlink = 2, .parent = &inodes[PROC],
              .children = &dentries[EXE], .last_child = &dentries[EXE], .nchildren = 1},
    CHR(CONSOLE, 0600, 0x501, &console_ops),
    CHR(TTY, 0666, 0x500, &console_ops),
    CHR(NUL, 0666, 0x103, &null_ops),
    CHR(ZERO, 0666, 0x105, &zero_ops),
    CHR(RANDOM, 0666, 0x108, &random_ops),
    CHR(URANDOM, 0666, 0x109, &random_ops),
    PROC_FILE(MEMINFO, gen_meminfo),
    PROC_FILE(CPUINFO, gen_cpuinfo),
    [EXE] = {.ino = 2 + EXE, .mode = S_IFLNK | 0777, .nlink = 1, .dynlink = self_exe},
};

struct inode *dev_console(void)
{
    return &inodes[CONSOLE];
}

int dev_init(void)
{
    uint64_t first = vfs_reserve_inos(N_NODES);
    if (first != 2) /* not right after vfs_init: renumber */
        for (int i = 0; i < N_NODES; i++)
            inodes[i].ino = first + i;
    for (int i = DEV; i <= TMP; i++)
        vfs_attach(vfs_root(), &dentries[i]);
    return 0;
}

/* Block-device files /dev/vda, /dev/vdb, ...: one per disk of the block layer, in discovery order
 * (Linux's virtio-blk names). Byte ranges become whole-sector requests through a page-sized
 * bounce buffer per disk (read-modify-write for partial sectors); fsync is a device flush;
 * ioctl answers BLKGETSIZE64 and BLKSSZGET. */
#define MAX_DISK_NODES 8
#define BLKSSZGET 0x1268
#define BLKGETSIZE64 0x80081272
#define SECTOR BLK_SECTOR_SIZE

struct disk_node {
    struct inode ino;
    struct dentry dentry;
    char name[8];
    struct blk_dev *d;
    uint8_t *bounce; /* one page, physically contiguous */
};

static struct disk_node disk_nodes[MAX_DISK_NODES];

static long disk_io(struct file *f, void *buf, size_t len, uint64_t *pos, bool write)
{
    struct disk_node *n = f->inode->bpriv;
    uint64_t size = n->d->sectors * SECTOR;
    if (write && n->d->read_only)
        return -EROFS;
    if (*pos >= size)
        return write && len ? -ENOSPC : 0;
    len = MIN(len, size - *pos);
    size_t done = 0;
    while (done < len) {
        uint64_t off = *pos + done;
        size_t in = off % SECTOR, chunk = MIN(len - done, PAGE_SIZE - in);
        size_t bytes = ALIGN_UP(in + chunk, SECTOR);
        uint64_t sector = off / SECTOR;
        bool partial = in || (in + chunk) % SECTOR;
        if ((!write || partial) && blk_read_sync(n->d, sector, n->bounce, bytes))
            return done ? (long)done : -EIO;
        if (write) {
            memcpy(n->bounce + in, (const uint8_t *)buf + done, chunk);
            if (blk_write_sync(n->d, sector, n->bounce, bytes))
                return done ? (long)done : -EIO;
        } else {
            memcpy((uint8_t *)buf + done, n->bounce + in, chunk);
        }
        done += chunk;
    }
    *pos += done;
    return done;
}

static long disk_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    return disk_io(f, buf, len, pos, false);
}

static long disk_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    return disk_io(f, (void *)buf, len, pos, true);
}

static long disk_ioctl(struct file *f, unsigned long cmd, uint64_t arg)
{
    struct disk_node *n = f->inode->bpriv;
    if (cmd == BLKGETSIZE64) {
        uint64_t size = n->d->sectors * SECTOR;
        return copy_to_user(arg, &size, sizeof(size));
    }
    if (cmd == BLKSSZGET) {
        int ssz = SECTOR;
        return copy_to_user(arg, &ssz, sizeof(ssz));
    }
    return -ENOTTY;
}

static int disk_sync(struct inode *ino)
{
    struct disk_node *n = ino->bpriv;
    return n->d->can_flush && blk_flush_sync(n->d) ? -EIO : 0;
}

static const struct file_ops disk_ops = {
    .read = disk_read, .write = disk_write, .poll = always_ready, .ioctl = disk_ioctl};
static const struct vfs_backing_ops disk_bops = {.sync = disk_sync};

int dev_add_disks(void)
{
    static struct inode *dev_dir;
    unsigned count = MIN(blk_count(), (unsigned)MAX_DISK_NODES);
    for (unsigned i = 0; i < count; i++) {
        struct disk_node *n = &disk_nodes[i];
        snprintf(n->name, sizeof(n->name), "vd%c", 'a' + i);
        n->d = blk_find(n->name);
        paddr_t page = n->d ? page_alloc_dirty() : 0;
        if (!page)
            return -ENOMEM;
        n->bounce = phys_to_virt(page);
        if (!dev_dir && !(dev_dir = vfs_child(vfs_root(), "dev")))
            return -ENOENT;
        vfs_init_inode(&n->ino, S_IFBLK | 0660);
        n->ino.rdev = 254u << 8 | i * 16; /* virtblk's major, 16 minors a disk */
        n->ino.size = n->d->sectors * SECTOR;
        n->ino.fops = &disk_ops;
        n->ino.bops = &disk_bops;
        n->ino.bpriv = n;
        n->ino.bloaded = true;
        n->dentry.inode = &n->ino;
        n->dentry.name = n->name;
        n->dentry.len = strlen(n->name);
        vfs_attach(dev_dir, &n->dentry);
    }
    return 0;
}
