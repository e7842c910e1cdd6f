/* `--test=ext4 --test-arg=disk=vda`: the ext4 core on a virtio disk. The host made the image
 * with stock mke2fs -d (tests/integration/test_ext4.py builds the same tree): the guest reads it
 * back, changes it (write, rename, unlink, truncate, mkdir, symlink), syncs and unmounts; the
 * host then runs e2fsck -fn and checks the changes with debugfs.
 * `--test=ext4-bench`: mount time, 64 MiB write and read, 200 x (create + 4 KiB + sync). */
#include <errno.h>

#include "fs/ext4/blkdev.h"
#include "fs/ext4/ext4.h"
#include "mote/blk.h"
#include "mote/ktest.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"
#include "mote/x86.h"

#define SUITE "ext4"
#define BUF_PAGES 64 /* 256 KiB, physically contiguous */

/* The host's pattern for /data/pattern.bin and the guest's for what it writes. */
static uint8_t host_byte(uint64_t i)
{
    return (uint8_t)(i * 131 + (i >> 12));
}
static uint8_t guest_byte(uint64_t i)
{
    return (uint8_t)(i * 17 + 3);
}

static ext4_ino_t resolve(struct ext4_fs *fs, const char *path, int *err)
{
    ext4_ino_t ino = 0;
    *err = ext4_resolve(fs, path, true, &ino);
    return ino;
}

static bool check_pattern(struct ext4_fs *fs, ext4_ino_t ino, uint64_t size, uint8_t *buf,
                          uint8_t (*byte)(uint64_t))
{
    for (uint64_t off = 0; off < size;) {
        long n = ext4_read(fs, ino, off, buf, BUF_PAGES * PAGE_SIZE);
        if (n <= 0)
            return false;
        for (long i = 0; i < n; i++)
            if (buf[i] != byte(off + (uint64_t)i))
                return false;
        off += (uint64_t)n;
    }
    return true;
}

static struct blk_dev *disk(void)
{
    const char *name = ktest_arg("disk");
    return blk_find(name ? name : "vda");
}

void ktest_ext4(void)
{
    struct blk_dev *d = disk();
    CHECK("disk", d, "no disk (%u found)", blk_count());
    if (!d)
        return;
    uint8_t *buf = phys_to_virt(page_alloc_contig(BUF_PAGES));
    struct ext4_fs *fs;
    char why[128];
    int err = ext4_mount_blk(d, NULL, &fs, why, sizeof(why));
    CHECK("mount", !err && !ext4_readonly(fs), "%d %s", err, why);
    if (err)
        return;
    ext4_ino_t ino = resolve(fs, "/hello.txt", &err);
    long n = err ? err : ext4_read(fs, ino, 0, buf, 100);
    CHECK("small file", n == 20 && !memcmp(buf, "hello from the host\n", 20), "%ld", n);
    ino = resolve(fs, "/data/pattern.bin", &err);
    struct ext4_stat st;
    err = err ? err : ext4_stat(fs, ino, &st);
    CHECK("large file", !err && st.size == (1 << 20) + 123 &&
          check_pattern(fs, ino, st.size, buf, host_byte), "%d", err);
    ino = resolve(fs, "/data/sparse", &err);
    n = err ? err : ext4_read(fs, ino, (5ull << 30), buf, 64);
    bool zero = true;
    long z = err ? err : ext4_read(fs, ino, 1 << 20, buf + 64, 4096);
    for (long i = 0; i < z; i++)
        zero = zero && buf[64 + i] == 0;
    CHECK("past 4 GiB, holes", n == 9 && !memcmp(buf, "far away\n", 9) && z == 4096 && zero,
          "%ld %ld", n, z);
    ino = resolve(fs, "/deep/a/b/c/d/e/f/g/leaf", &err);
    n = err ? err : ext4_read(fs, ino, 0, buf, 64);
    CHECK("deep path", n == 5 && !memcmp(buf, "leaf\n", 5), "%ld", n);
    ino = resolve(fs, "/links/slow", &err);
    n = err ? err : ext4_read(fs, ino, 0, buf, 64);
    CHECK("symlinks", n == 20 && !memcmp(buf, "hello from the host\n", 20), "%ld", n);
    ino = resolve(fs, "/big", &err);
    unsigned entries = 0;
    uint64_t pos = 0;
    struct ext4_dirent_info *e = kmalloc(sizeof(*e));
    while (!err && ext4_readdir(fs, ino, &pos, e) == 1)
        entries++;
    kfree(e);
    CHECK("directory", entries == 502, "%u entries", entries);

    /* changes */
    ext4_ino_t root = ext4_root(fs), dir, f;
    err = ext4_mkdir(fs, root, "guest", 5, 0755, &dir);
    if (!err)
        err = ext4_create(fs, dir, "out.bin", 7, 0644, &f);
    uint64_t total = 3 << 20;
    for (uint64_t off = 0; !err && off < total; off += BUF_PAGES * PAGE_SIZE) {
        for (unsigned i = 0; i < BUF_PAGES * PAGE_SIZE; i++)
            buf[i] = guest_byte(off + i);
        n = ext4_write(fs, f, off, buf, BUF_PAGES * PAGE_SIZE);
        if (n != BUF_PAGES * PAGE_SIZE)
            err = n < 0 ? (int)n : -EIO;
    }
    CHECK("write", !err && check_pattern(fs, f, total, buf, guest_byte), "%d", err);
    err = ext4_rename(fs, dir, "out.bin", 7, dir, "renamed.bin", 11);
    if (!err)
        err = ext4_unlink(fs, resolve(fs, "/data", &err), "tobedeleted", 11);
    if (!err)
        err = ext4_truncate(fs, resolve(fs, "/data/pattern.bin", &err), 1000);
    if (!err)
        err = ext4_mkdir(fs, dir, "sub", 3, 0700, &ino);
    if (!err)
        err = ext4_symlink(fs, ino, "link", 4, "../renamed.bin", NULL);
    CHECK("rename, unlink, truncate, mkdir, symlink", !err, "%d", err);
    err = ext4_sync(fs);
    CHECK("sync", !err, "%d", err);
    err = ext4_umount_blk(fs);
    CHECK("unmount", !err, "%d", err);
}

static uint64_t us_since(uint64_t t0)
{
    return tsc_to_ns(rdtsc() - t0) / 1000;
}

void ktest_ext4_bench(void)
{
    struct blk_dev *d = disk();
    if (!d) {
        pr_err("ext4-bench: no disk\n");
        return;
    }
    uint8_t *buf = phys_to_virt(page_alloc_contig(BUF_PAGES));
    memset(buf, 0x5a, BUF_PAGES * PAGE_SIZE);
    struct ext4_fs *fs;
    char why[128];
    uint64_t t = rdtsc();
    int err = ext4_mount_blk(d, &(struct ext4_mount_opts){ EXT4_MOUNT_RDONLY, 0 }, &fs, why, 128);
    uint64_t ro_us = us_since(t);
    if (!err)
        ext4_umount_blk(fs);
    t = rdtsc();
    err = ext4_mount_blk(d, NULL, &fs, why, sizeof(why));
    uint64_t rw_us = us_since(t);
    if (err)
        ktest_check("ext4-bench", "mount", false, "%d %s", err, why);
    else
        ktest_check("ext4-bench", "mount", true, NULL);
    if (err)
        return;
    const char *mib_arg = ktest_arg("mib");
    uint64_t mib = 64;
    if (mib_arg)
        parse_u64(mib_arg, &mib);
    ext4_ino_t f, dir, ino;
    t = rdtsc();
    err = ext4_create(fs, ext4_root(fs), "bench.bin", 9, 0644, &f);
    for (uint64_t off = 0; !err && off < (mib << 20); off += BUF_PAGES * PAGE_SIZE)
        if (ext4_write(fs, f, off, buf, BUF_PAGES * PAGE_SIZE) != BUF_PAGES * PAGE_SIZE)
            err = -EIO;
    err = err ? err : ext4_sync(fs);
    uint64_t w_us = us_since(t);
    t = rdtsc();
    for (uint64_t off = 0; !err && off < (mib << 20); off += BUF_PAGES * PAGE_SIZE)
        if (ext4_read(fs, f, off, buf, BUF_PAGES * PAGE_SIZE) != BUF_PAGES * PAGE_SIZE)
            err = -EIO;
    uint64_t r_us = us_since(t);
    t = rdtsc();
    err = err ? err : ext4_mkdir(fs, ext4_root(fs), "small", 5, 0755, &dir);
    for (int i = 0; !err && i < 200; i++) {
        char name[16] = "f000";
        name[1] = (char)('0' + i / 100);
        name[2] = (char)('0' + i / 10 % 10);
        name[3] = (char)('0' + i % 10);
        err = ext4_create(fs, dir, name, 4, 0644, &ino);
        if (!err && ext4_write(fs, ino, 0, buf, 4096) != 4096)
            err = -EIO;
        err = err ? err : ext4_sync(fs);
    }
    uint64_t s_us = us_since(t);
    if (err)
        ktest_check("ext4-bench", "run", false, "%d", err);
    else
        ktest_check("ext4-bench", "run", true, NULL);
    err = ext4_umount_blk(fs);
    printk(LOG_ERR, "ext4-bench: mount ro %llu us, rw %llu us; write %llu MiB + sync %llu us; "
           "read %llu us; 200 x (create + 4 KiB + sync) %llu us\n", (unsigned long long)ro_us,
           (unsigned long long)rw_us, (unsigned long long)mib, (unsigned long long)w_us,
           (unsigned long long)r_us, (unsigned long long)s_us);
}
