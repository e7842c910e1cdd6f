/* The ext4 core against damaged images: each corruption must fail the mount or the operation
 * with a clear error (-EINVAL, -EUCLEAN, -EIO), or mount read-only, and never crash or hang.
 * Also the CRCs against their published check values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ext4_util.h"

uint32_t ext4_crc32c(uint32_t crc, const void *buf, size_t len);
uint16_t ext4_crc16(uint16_t crc, const void *buf, size_t len);

static char *src;
static const char *IMG = "/tmp/ext4-bad.img";

static int setup(void **state)
{
    src = temp_dir("badsrc");
    sh("mkdir -p %s/a/b %s/c && echo hello > %s/a/file && seq 1 20000 > %s/c/big && "
       "ln -s a/file %s/sym", src, src, src, src, src);
    return 0;
}

static int teardown(void **state)
{
    cleanup_dir(src);
    unlink(IMG);
    return 0;
}

static void mkimg(const char *type, const char *extra)
{
    assert_int_equal(make_image(IMG, type, 4096, 8, src, extra), 0);
}

static void patch(uint64_t off, const void *data, size_t len)
{
    int fd = open(IMG, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static void patch32(uint64_t off, uint32_t v)
{
    patch(off, &v, 4);
}
static void patch16(uint64_t off, uint16_t v)
{
    patch(off, &v, 2);
}

static uint32_t peek32(uint64_t off)
{
    uint32_t v = 0;
    int fd = open(IMG, O_RDONLY);
    assert_int_equal(pread(fd, &v, 4, (off_t)off), 4);
    close(fd);
    return v;
}

/* Recomputes the superblock checksum after a change (metadata_csum images). */
static void fix_sb_csum(void)
{
    uint8_t sb[1024];
    int fd = open(IMG, O_RDWR);
    assert_int_equal(pread(fd, sb, 1024, 1024), 1024);
    uint32_t c = ext4_crc32c(0xffffffff, sb, 0x3fc);
    assert_int_equal(pwrite(fd, &c, 4, 1024 + 0x3fc), 4);
    close(fd);
}

/* Byte offset of an inode (debugfs imap). */
static uint64_t inode_off(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "debugfs -R 'imap %s' %s 2>/dev/null | grep located", path, IMG);
    FILE *p = popen(cmd, "r");
    unsigned long long blk = 0;
    unsigned off = 0;
    assert_int_equal(fscanf(p, " located at block %llu, offset 0x%x", &blk, &off), 2);
    pclose(p);
    return blk * 4096 + off;
}

/* First data block of a file or directory (debugfs blocks). */
static uint64_t first_block(const char *path)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "debugfs -R 'blocks %s' %s 2>/dev/null", path, IMG);
    FILE *p = popen(cmd, "r");
    unsigned long long blk = 0;
    assert_int_equal(fscanf(p, "%llu", &blk), 1);
    pclose(p);
    return blk * 4096;
}

static int try_mount(unsigned flags, struct ext4_fs **out, char *why)
{
    static struct filedev d;
    if (filedev_open(&d, IMG))
        return -EIO;
    struct ext4_mount_opts o = { .flags = flags };
    int err = ext4_mount(&d.dev, &o, out, why, 128);
    return err;
}

/* Walks everything (bounded), reading files; returns the first error met. */
static int walk(struct ext4_fs *fs, ext4_ino_t dir, int depth)
{
    if (depth > 64)
        return -ELOOP;
    uint64_t pos = 0;
    struct ext4_dirent_info e;
    int r, first = 0;
    while ((r = ext4_readdir(fs, dir, &pos, &e)) == 1) {
        if (!strcmp(e.name, ".") || !strcmp(e.name, ".."))
            continue;
        ext4_ino_t ino;
        int err = ext4_lookup(fs, dir, e.name, e.name_len, &ino);
        struct ext4_stat st;
        if (!err)
            err = ext4_stat(fs, ino, &st);
        if (!err && (st.mode & 0170000) == 0040000)
            err = walk(fs, ino, depth + 1);
        else if (!err && (st.mode & 0170000) == 0100000) {
            static char buf[1 << 16];
            long n = ext4_read(fs, ino, 0, buf, sizeof(buf));
            err = n < 0 ? (int)n : 0;
        } else if (!err && (st.mode & 0170000) == 0120000) {
            char buf[4096];
            long n = ext4_readlink(fs, ino, buf, sizeof(buf));
            err = n < 0 ? (int)n : 0;
        }
        if (err && !first)
            first = err;
    }
    return r < 0 ? r : first;
}

static void test_crc_check_values(void **state)
{
    assert_int_equal(ext4_crc32c(0xffffffff, "123456789", 9) ^ 0xffffffff, 0xE3069283);
    assert_int_equal(ext4_crc16(0, "123456789", 9), 0xBB3D);   /* CRC-16/ARC */
    assert_int_equal(ext4_crc16(0xffff, "123456789", 9), 0x4B37); /* CRC-16/MODBUS */
    /* unaligned starts and lengths agree with byte-at-a-time */
    char buf[100];
    for (int i = 0; i < 100; i++)
        buf[i] = (char)(i * 31);
    uint32_t a = ext4_crc32c(1, buf + 3, 90), b = 1;
    for (int i = 0; i < 90; i++)
        b = ext4_crc32c(b, buf + 3 + i, 1);
    assert_int_equal(a, b);
}

static void test_good_image_walks(void **state)
{
    mkimg("ext4", "");
    struct ext4_fs *fs;
    char why[128];
    assert_int_equal(try_mount(0, &fs, why), 0);
    assert_int_equal(walk(fs, ext4_root(fs), 0), 0);
    assert_int_equal(ext4_umount(fs), 0);
}

static void test_bad_magic(void **state)
{
    mkimg("ext4", "");
    patch16(1024 + 0x38, 0x1234);
    struct ext4_fs *fs;
    char why[128];
    assert_int_equal(try_mount(EXT4_MOUNT_RDONLY, &fs, why), -EINVAL);
    assert_non_null(strstr(why, "magic"));
}

static void test_bad_sb_checksum(void **state)
{
    mkimg("ext4", "");
    patch(1024 + 0x78, "renamed", 7); /* volume name, checksum left stale */
    struct ext4_fs *fs;
    char why[128];
    assert_int_equal(try_mount(EXT4_MOUNT_RDONLY, &fs, why), -EUCLEAN);
    assert_non_null(strstr(why, "checksum"));
}

static void test_bad_gd_checksum(void **state)
{
    const char *extras[] = { "", "-O ^metadata_csum,uninit_bg" }; /* crc32c, crc16 */
    for (int i = 0; i < 2; i++) {
        mkimg("ext4", extras[i]);
        uint32_t v = peek32(4096 + 0x0c);
        patch32(4096 + 0x0c, v ^ 0x10); /* group 0's free counts */
        struct ext4_fs *fs;
        char why[128];
        assert_int_equal(try_mount(EXT4_MOUNT_RDONLY, &fs, why), -EUCLEAN);
        assert_non_null(strstr(why, "descriptor checksum"));
    }
}

static void test_absurd_inode_size(void **state)
{
    mkimg("ext4", "");
    patch16(1024 + 0x58, 3000);
    fix_sb_csum();
    struct ext4_fs *fs;
    char why[128];
    assert_int_equal(try_mount(EXT4_MOUNT_RDONLY, &fs, why), -EUCLEAN);
    assert_non_null(strstr(why, "inode size"));
    mkimg("ext4", "");
    patch32(1024 + 0x18, 40); /* log block size */
    fix_sb_csum();
    assert_true(try_mount(EXT4_MOUNT_RDONLY, &fs, why) < 0);
}

static void expect_euclean(const char *path, bool csum_image)
{
    struct ext4_fs *fs;
    char why[128];
    assert_int_equal(try_mount(0, &fs, why), 0);
    ext4_ino_t ino;
    int err = ext4_resolve(fs, path, false, &ino);
    if (!err) {
        static char buf[1 << 17];
        long n = ext4_read(fs, ino, 0, buf, sizeof(buf));
        if (n == -EISDIR) {
            uint64_t pos = 0;
            struct ext4_dirent_info e;
            while ((n = ext4_readdir(fs, ino, &pos, &e)) == 1)
                ;
        }
        err = n < 0 ? (int)n : 0;
    }
    assert_int_equal(err, -EUCLEAN);
    /* the rest of the tree still walks, and writes elsewhere still work */
    walk(fs, ext4_root(fs), 0);
    assert_int_equal(ext4_mkdir(fs, ext4_root(fs), "after", 5, 0755, &ino), 0);
    assert_int_equal(ext4_umount(fs), 0);
}

static void test_dirent_rec_len(void **state)
{
    const char *extras[] = { "-O ^metadata_csum", "" };
    for (int i = 0; i < 2; i++) {
        mkimg("ext4", extras[i]);
        uint64_t b = first_block("/a");
        patch16(b + 4, 0); /* "."'s rec_len */
        expect_euclean("/a/file", i);
        mkimg("ext4", extras[i]);
        b = first_block("/a");
        patch16(b + 12 + 4, 8000); /* ".." runs past the block */
        expect_euclean("/a/file", i);
    }
}

static void test_directory_loop(void **state)
{
    mkimg("ext4", "");
    /* /a/loop names /a itself; /c/again names /a a second time */
    assert_int_equal(sh("debugfs -w -R 'ln /a /a/loop' %s >/dev/null 2>&1", IMG), 0);
    assert_int_equal(sh("debugfs -w -R 'ln /a /c/again' %s >/dev/null 2>&1", IMG), 0);
    struct ext4_fs *fs;
    char why[128];
    assert_int_equal(try_mount(0, &fs, why), 0);
    ext4_ino_t ino;
    assert_int_equal(ext4_resolve(fs, "/a/loop", false, &ino), -EUCLEAN);
    assert_int_equal(ext4_resolve(fs, "/c/again/file", false, &ino), 0);
    assert_int_equal(walk(fs, ext4_root(fs), 0), -EUCLEAN);
    /* moving /a under its second name would make a cycle: refused */
    ext4_ino_t c, a;
    assert_int_equal(ext4_resolve(fs, "/c/again/b", false, &c), 0);
    assert_int_equal(ext4_resolve(fs, "/a", false, &a), 0);
    assert_true(ext4_rename(fs, ext4_root(fs), "a", 1, c, "x", 1) < 0);
    ext4_umount(fs);
}

static void test_extent_header(void **state)
{
    const char *extras[] = { "-O ^metadata_csum", "" };
    for (int i = 0; i < 2; i++) {
        mkimg("ext4", extras[i]);
        uint64_t off = inode_off("/c/big");
        patch16(off + 0x28, 0xBEEF); /* eh_magic */
        expect_euclean("/c/big", i);
        mkimg("ext4", extras[i]);
        off = inode_off("/c/big");
        patch32(off + 0x28 + 12 + 8, 0x7fffffff); /* first extent's start, far outside */
        expect_euclean("/c/big", i);
        mkimg("ext4", extras[i]);
        off = inode_off("/c/big");
        patch16(off + 0x28 + 2, 40); /* eh_entries above eh_max */
        expect_euclean("/c/big", i);
    }
}

static void test_inode_extra_isize(void **state)
{
    mkimg("ext4", "-O ^metadata_csum");
    patch16(inode_off("/a/file") + 0x80, 1000);
    expect_euclean("/a/file", false);
}

static void test_features(void **state)
{
    struct ext4_fs *fs;
    char why[128];
    mkimg("ext4", "");
    patch32(1024 + 0x60, peek32(1024 + 0x60) | 0x4); /* needs_recovery */
    fix_sb_csum();
    assert_int_equal(try_mount(0, &fs, why), 0);
    assert_true(ext4_readonly(fs));
    assert_non_null(strstr(why, "recovery"));
    ext4_ino_t ino;
    assert_int_equal(ext4_mkdir(fs, ext4_root(fs), "x", 1, 0755, &ino), -EROFS);
    assert_int_equal(walk(fs, ext4_root(fs), 0), 0);
    ext4_umount(fs);

    mkimg("ext4", "");
    patch32(1024 + 0x60, peek32(1024 + 0x60) | 0x8000); /* inline_data: refused */
    fix_sb_csum();
    assert_int_equal(try_mount(EXT4_MOUNT_RDONLY, &fs, why), -EINVAL);
    assert_non_null(strstr(why, "inline_data"));

    mkimg("ext4", "");
    patch32(1024 + 0x64, peek32(1024 + 0x64) | 0x2000); /* project quota: read-only */
    fix_sb_csum();
    assert_int_equal(try_mount(0, &fs, why), 0);
    assert_true(ext4_readonly(fs));
    ext4_umount(fs);

    mkimg("ext4", "");
    patch16(1024 + 0x3a, 0); /* state: not clean */
    fix_sb_csum();
    assert_int_equal(try_mount(0, &fs, why), 0);
    assert_true(ext4_readonly(fs));
    ext4_umount(fs);

    mkimg("ext4", "");
    assert_int_equal(truncate(IMG, 4 << 20), 0); /* the device is smaller than the fs */
    assert_int_equal(try_mount(EXT4_MOUNT_RDONLY, &fs, why), -EINVAL);
}

static void test_mount_state(void **state)
{
    /* mounted read-write: not clean on disk; after unmount: clean, fsck happy */
    mkimg("ext4", "");
    struct ext4_fs *fs;
    char why[128];
    assert_int_equal(try_mount(0, &fs, why), 0);
    assert_int_equal(peek32(1024 + 0x3a) & 1, 0);
    assert_int_equal(ext4_umount(fs), 0);
    assert_int_equal(peek32(1024 + 0x3a) & 1, 1);
    assert_int_equal(fsck_clean(IMG), 0);
}

static void test_deleted_inode_not_written(void **state)
{
    /* a descriptor left open on an unlinked file must not write into freed blocks */
    mkimg("ext4", "");
    struct ext4_fs *fs;
    char why[128];
    assert_int_equal(try_mount(0, &fs, why), 0);
    ext4_ino_t ino;
    assert_int_equal(ext4_create(fs, ext4_root(fs), "gone", 4, 0644, &ino), 0);
    assert_int_equal(ext4_write(fs, ino, 0, "data", 4), 4);
    assert_int_equal(ext4_unlink(fs, ext4_root(fs), "gone", 4), 0);
    assert_int_equal(ext4_write(fs, ino, 0, "more", 4), -ENOENT);
    assert_int_equal(ext4_truncate(fs, ino, 100000), -ENOENT);
    assert_int_equal(ext4_umount(fs), 0);
    assert_int_equal(fsck_clean(IMG), 0);
}

static void test_garbage(void **state)
{
    /* random bytes with a valid magic: nothing mounts, nothing crashes */
    for (unsigned seed = 1; seed <= 50; seed++) {
        int fd = open(IMG, O_CREAT | O_TRUNC | O_RDWR, 0644);
        uint8_t buf[65536];
        uint32_t x = seed;
        for (size_t i = 0; i < sizeof(buf); i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (uint8_t)(x >> 16);
        }
        buf[1024 + 0x38] = 0x53;
        buf[1024 + 0x39] = 0xef;
        assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
        close(fd);
        struct ext4_fs *fs;
        char why[128];
        if (try_mount(EXT4_MOUNT_RDONLY, &fs, why) == 0) {
            walk(fs, ext4_root(fs), 0);
            ext4_umount(fs);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_check_values), cmocka_unit_test(test_good_image_walks),
        cmocka_unit_test(test_bad_magic),        cmocka_unit_test(test_bad_sb_checksum),
        cmocka_unit_test(test_bad_gd_checksum),  cmocka_unit_test(test_absurd_inode_size),
        cmocka_unit_test(test_dirent_rec_len),   cmocka_unit_test(test_directory_loop),
        cmocka_unit_test(test_extent_header),    cmocka_unit_test(test_inode_extra_isize),
        cmocka_unit_test(test_features),         cmocka_unit_test(test_mount_state),
        cmocka_unit_test(test_deleted_inode_not_written), cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests_name("ext4_bad", tests, setup, teardown);
}
