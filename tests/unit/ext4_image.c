/* The ext4 core against images made by stock mke2fs -d from a generated tree: read everything
 * back and compare; then change the tree through the core and on the host alike, unmount, and
 * check the image with e2fsck -fn and the tree again (core and debugfs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext4_util.h"

static char *src; /* the generated tree, shared by every configuration */

struct config {
    const char *type;
    unsigned bs;
    const char *extra;
    const char *cache; /* buffer cache blocks, NULL: the default */
};

static int setup(void **state)
{
    src = temp_dir("src");
    make_tree(src);
    return 0;
}

static int teardown(void **state)
{
    cleanup_dir(src);
    return 0;
}

static ext4_ino_t must_resolve(struct ext4_fs *fs, const char *path)
{
    ext4_ino_t ino = 0;
    int err = ext4_resolve(fs, path, false, &ino);
    if (err)
        fprintf(stderr, "resolve %s: %d\n", path, err);
    assert_int_equal(err, 0);
    return ino;
}

static void name_of(const char *path, const char **name, size_t *len)
{
    const char *s = strrchr(path, '/');
    *name = s + 1;
    *len = strlen(s + 1);
}

static ext4_ino_t parent_of(struct ext4_fs *fs, const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    char *s = strrchr(buf, '/');
    if (s == buf)
        return ext4_root(fs);
    *s = '\0';
    return must_resolve(fs, buf);
}

/* Each change is made through the core and on the host copy. */
static void do_write(struct ext4_fs *fs, const char *host, const char *path, uint64_t off,
                     const void *data, size_t len)
{
    ext4_ino_t ino;
    const char *name;
    size_t nl;
    if (ext4_resolve(fs, path, false, &ino)) {
        name_of(path, &name, &nl);
        assert_int_equal(ext4_create(fs, parent_of(fs, path), name, nl, 0644, &ino), 0);
    }
    assert_int_equal(ext4_write(fs, ino, off, data, len), (long)len);
    char hp[4096];
    snprintf(hp, sizeof(hp), "%s%s", host, path);
    int fd = open(hp, O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, (off_t)off), (ssize_t)len);
    close(fd);
}

static void do_truncate(struct ext4_fs *fs, const char *host, const char *path, uint64_t size)
{
    assert_int_equal(ext4_truncate(fs, must_resolve(fs, path), size), 0);
    char hp[4096];
    snprintf(hp, sizeof(hp), "%s%s", host, path);
    assert_int_equal(truncate(hp, (off_t)size), 0);
}

static void do_rename(struct ext4_fs *fs, const char *host, const char *from, const char *to)
{
    const char *on, *nn;
    size_t ol, nl;
    name_of(from, &on, &ol);
    name_of(to, &nn, &nl);
    assert_int_equal(ext4_rename(fs, parent_of(fs, from), on, ol, parent_of(fs, to), nn, nl), 0);
    assert_int_equal(sh("mv -T '%s%s' '%s%s'", host, from, host, to), 0);
}

static void do_unlink(struct ext4_fs *fs, const char *host, const char *path, bool dir)
{
    const char *n;
    size_t l;
    name_of(path, &n, &l);
    ext4_ino_t p = parent_of(fs, path);
    assert_int_equal(dir ? ext4_rmdir(fs, p, n, l) : ext4_unlink(fs, p, n, l), 0);
    char hp[4096];
    snprintf(hp, sizeof(hp), "%s%s", host, path);
    assert_int_equal(dir ? rmdir(hp) : unlink(hp), 0);
}

static void do_mkdir(struct ext4_fs *fs, const char *host, const char *path)
{
    const char *n;
    size_t l;
    name_of(path, &n, &l);
    assert_int_equal(ext4_mkdir(fs, parent_of(fs, path), n, l, 0755, NULL), 0);
    char hp[4096];
    snprintf(hp, sizeof(hp), "%s%s", host, path);
    assert_int_equal(mkdir(hp, 0755), 0);
}

static void do_symlink(struct ext4_fs *fs, const char *host, const char *path, const char *target)
{
    const char *n;
    size_t l;
    name_of(path, &n, &l);
    assert_int_equal(ext4_symlink(fs, parent_of(fs, path), n, l, target, NULL), 0);
    char hp[4096];
    snprintf(hp, sizeof(hp), "%s%s", host, path);
    assert_int_equal(symlink(target, hp), 0);
}

static void do_link(struct ext4_fs *fs, const char *host, const char *from, const char *to)
{
    const char *n;
    size_t l;
    name_of(to, &n, &l);
    assert_int_equal(ext4_link(fs, must_resolve(fs, from), parent_of(fs, to), n, l), 0);
    char a[4096], b[4096];
    snprintf(a, sizeof(a), "%s%s", host, from);
    snprintf(b, sizeof(b), "%s%s", host, to);
    assert_int_equal(link(a, b), 0);
}

static void changes(struct ext4_fs *fs, const char *host, unsigned bs)
{
    static char buf[3 << 20];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (char)(i * 7 + i / 4096);
    do_mkdir(fs, host, "/new");
    do_write(fs, host, "/new/small", 0, "hello", 5);
    do_write(fs, host, "/new/seq", 0, buf, sizeof(buf));            /* one long run */
    do_write(fs, host, "/new/seq", 100, buf, 7777);                 /* overwrite, partial blocks */
    do_write(fs, host, "/files/f8_4097", 4097, buf, 5000);          /* append */
    do_write(fs, host, "/files/f15_5242880", 1000000, buf, 300000); /* overwrite in the middle */
    do_write(fs, host, "/new/far", (4ull << 30) + 3, "far away", 8); /* > 4 GiB, sparse */
    /* every other block: many extents, a tree of depth > 0, then cut in half */
    for (unsigned i = 0; i < 600; i++)
        do_write(fs, host, "/new/frag", (uint64_t)i * 2 * bs + 11, buf + i, 100);
    do_truncate(fs, host, "/new/frag", 300ull * 2 * bs + 5);
    do_truncate(fs, host, "/files/f14_1048579", 70000);             /* shrink */
    do_truncate(fs, host, "/files/f1_1", 123456);                   /* grow sparse */
    do_truncate(fs, host, "/sparse/past4g", 4096 * 3);              /* drop the far data */
    do_rename(fs, host, "/files/f2_100", "/files/renamed");
    do_rename(fs, host, "/files/f3_1023", "/new/moved");
    do_rename(fs, host, "/files/f5_1025", "/files/f6_4095");        /* over an existing file */
    do_rename(fs, host, "/deep/d00/d01", "/new/deepmoved");         /* a directory across */
    do_unlink(fs, host, "/links/hard1", false);
    do_link(fs, host, "/files/f7_4096", "/new/hardlink");
    do_symlink(fs, host, "/new/fastlink", "small");
    char target[300];
    memset(target, 'x', sizeof(target) - 1);
    target[sizeof(target) - 1] = '\0';
    do_symlink(fs, host, "/new/slowlink", target);
    do_mkdir(fs, host, "/new/empty");
    do_mkdir(fs, host, "/new/gone");
    do_unlink(fs, host, "/new/gone", true);
    char p[256];
    for (int i = 0; i < 2000; i += 2) { /* half the indexed directory goes, new names come */
        snprintf(p, sizeof(p), "/big/entry-with-a-longish-name-%05d", i);
        do_unlink(fs, host, p, false);
    }
    for (int i = 0; i < 300; i++) {
        snprintf(p, sizeof(p), "/big/added-%d", i);
        do_write(fs, host, p, 0, p, strlen(p));
    }
    do_unlink(fs, host, "/files/f13_300000", false);
}

static void run_config(const struct config *c)
{
    char img[256];
    snprintf(img, sizeof(img), "/tmp/ext4-test-%s-%u.img", c->type, c->bs);
    assert_int_equal(make_image(img, c->type, c->bs, 48, src, c->extra), 0);
    /* mke2fs -d makes linear directories; e2fsck -D indexes the large one */
    sh("e2fsck -fyD %s >/dev/null 2>&1", img);
    assert_int_equal(sh("debugfs -R 'htree /big' %s 2>/dev/null | grep -q 'Root node dump'", img), 0);
    struct filedev d;
    if (c->cache)
        setenv("EXT4_CACHE_BLOCKS", c->cache, 1);
    else
        unsetenv("EXT4_CACHE_BLOCKS");
    /* read-only: the whole tree */
    struct ext4_fs *fs = mount_image(&d, img, EXT4_MOUNT_RDONLY);
    assert_non_null(fs);
    assert_true(ext4_readonly(fs));
    assert_int_equal(compare_tree(fs, "/", src), 0);
    ext4_ino_t ino;
    assert_int_equal(ext4_resolve(fs, "/links/chain", true, &ino), 0);
    assert_int_equal(ext4_resolve(fs, "/links/dirlink/d00/d01", true, &ino), 0);
    assert_int_equal(ext4_create(fs, ext4_root(fs), "x", 1, 0644, &ino), -EROFS);
    assert_int_equal(ext4_umount(fs), 0);
    assert_int_equal(fsck_clean(img), 0);

    /* read-write: changes, then e2fsck and the tree again */
    char *host = temp_dir("host");
    assert_int_equal(sh("cp -a --sparse=always %s/. %s/", src, host), 0);
    fs = mount_image(&d, img, 0);
    assert_non_null(fs);
    assert_false(ext4_readonly(fs));
    changes(fs, host, c->bs);
    assert_int_equal(compare_tree(fs, "/", host), 0);
    assert_int_equal(ext4_umount(fs), 0);
    assert_true(d.flushes >= 1);
    filedev_close(&d);
    assert_int_equal(fsck_clean(img), 0);
    fs = mount_image(&d, img, EXT4_MOUNT_RDONLY);
    assert_non_null(fs);
    assert_int_equal(compare_tree(fs, "/", host), 0);
    ext4_umount(fs);
    filedev_close(&d);
    /* debugfs agrees on names and contents */
    assert_int_equal(sh("debugfs -R 'ls -p /new' %s 2>/dev/null | awk -F/ 'NF>5{print $6}' | "
                        "grep -v '^\\.' | sort > %s.dbg && ls -A %s/new | sort | diff - %s.dbg",
                        img, img, host, img), 0);
    assert_int_equal(sh("debugfs -R 'cat /new/seq' %s 2>/dev/null | cmp - %s/new/seq", img, host), 0);
    assert_int_equal(sh("debugfs -R 'cat /files/f15_5242880' %s 2>/dev/null | "
                        "cmp - %s/files/f15_5242880", img, host), 0);
    cleanup_dir(host);
    free(host);
    if (!getenv("EXT4_KEEP"))
        unlink(img);
}

static void test_ext4_4k(void **state)
{
    run_config(&(struct config){ "ext4", 4096, "", NULL });
}
static void test_ext4_1k(void **state)
{
    run_config(&(struct config){ "ext4", 1024, "", NULL });
}
static void test_ext4_gdt_csum_32bit(void **state)
{
    run_config(&(struct config){ "ext4", 4096, "-O ^metadata_csum,^64bit,uninit_bg", NULL });
}
static void test_ext4_1k_tiny_cache(void **state)
{
    /* 8 buffers: every path that evicts and writes back a dirty block */
    run_config(&(struct config){ "ext4", 1024, "", "8" });
}

/* Filling the file system: -ENOSPC, counts still right; freeing it all again. */
static void test_enospc(void **state)
{
    const char *img = "/tmp/ext4-test-full.img";
    assert_int_equal(make_image(img, "ext4", 1024, 4, NULL, "-N 600"), 0);
    struct filedev d;
    struct ext4_fs *fs = mount_image(&d, img, 0);
    assert_non_null(fs);
    static char buf[65536];
    memset(buf, 0xab, sizeof(buf));
    ext4_ino_t root = ext4_root(fs), ino;
    char name[32];
    int i, files = 0;
    long n = 0;
    for (i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        int err = ext4_create(fs, root, name, strlen(name), 0644, &ino);
        if (err) {
            assert_int_equal(err, -ENOSPC);
            break;
        }
        files++;
        n = ext4_write(fs, ino, 0, buf, (size_t)(i % 7) * 1000 + 10);
        if (n < 0) {
            assert_int_equal(n, -ENOSPC);
            break;
        }
    }
    for (uint64_t off = 0; n >= 0; off += sizeof(buf))
        n = ext4_write(fs, ino, off, buf, sizeof(buf));
    assert_int_equal(n, -ENOSPC);
    struct ext4_statfs st;
    ext4_statfs(fs, &st);
    assert_true(st.free_blocks < 16);
    assert_int_equal(ext4_mkdir(fs, root, "nospace", 7, 0755, &ino) < 0, 1);
    assert_int_equal(ext4_umount(fs), 0);
    filedev_close(&d);
    assert_int_equal(fsck_clean(img), 0);
    fs = mount_image(&d, img, 0);
    assert_non_null(fs);
    for (i = 0; i < files; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(ext4_unlink(fs, root, name, strlen(name)), 0);
    }
    assert_int_equal(ext4_umount(fs), 0);
    filedev_close(&d);
    assert_int_equal(fsck_clean(img), 0);
    assert_int_equal(sh("dumpe2fs -h %s 2>/dev/null | grep -q 'Free inodes: *5[0-9][0-9]$'", img), 0);
    unlink(img);
}

/* Many small files, each synced: the same through the core as e2fsck and debugfs see. */
static void test_many_files_sync(void **state)
{
    const char *img = "/tmp/ext4-test-many.img";
    assert_int_equal(make_image(img, "ext4", 4096, 32, NULL, ""), 0);
    struct filedev d;
    struct ext4_fs *fs = mount_image(&d, img, 0);
    assert_non_null(fs);
    ext4_ino_t dir, ino;
    assert_int_equal(ext4_mkdir(fs, ext4_root(fs), "many", 4, 0755, &dir), 0);
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "small-%04d", i);
        assert_int_equal(ext4_create(fs, dir, name, strlen(name), 0600, &ino), 0);
        assert_int_equal(ext4_write(fs, ino, 0, name, strlen(name)), (long)strlen(name));
        assert_int_equal(ext4_sync(fs), 0);
    }
    assert_true(d.flushes >= 1000);
    /* a synced file system is consistent before unmount too (state aside) */
    assert_int_equal(sh("e2fsck -fn %s 2>&1 | grep -v 'was not cleanly unmounted' | "
                        "grep -qiE 'fix|wrong|error'", img), 1);
    assert_int_equal(ext4_umount(fs), 0);
    filedev_close(&d);
    assert_int_equal(fsck_clean(img), 0);
    assert_int_equal(sh("debugfs -R 'ls /many' %s 2>/dev/null | grep -o 'small-[0-9]*' | wc -l | "
                        "grep -qx 1000", img), 0);
    assert_int_equal(sh("debugfs -R 'cat /many/small-0777' %s 2>/dev/null | grep -qx small-0777",
                        img), 0);
    unlink(img);
}

/* Durability: write + sync, then the machine dies (no unmount). The data is there, e2fsck finds
 * nothing but the unclean state, and the next mount is read-only until e2fsck has run. */
static void test_sync_then_crash(void **state)
{
    const char *img = "/tmp/ext4-test-crash.img";
    assert_int_equal(make_image(img, "ext4", 4096, 16, NULL, ""), 0);
    struct filedev d;
    struct ext4_fs *fs = mount_image(&d, img, 0);
    assert_non_null(fs);
    ext4_ino_t ino;
    static char buf[300000];
    memset(buf, 0x42, sizeof(buf));
    assert_int_equal(ext4_create(fs, ext4_root(fs), "durable", 7, 0644, &ino), 0);
    assert_int_equal(ext4_write(fs, ino, 0, buf, sizeof(buf)), (long)sizeof(buf));
    assert_int_equal(ext4_sync(fs), 0);
    filedev_close(&d); /* crash: fs is abandoned, never unmounted */
    assert_int_equal(sh("e2fsck -fn %s > /tmp/ext4-crash.out 2>&1; grep -qiE 'fix|wrong|error' "
                        "/tmp/ext4-crash.out", img), 1);
    struct filedev d2;
    fs = mount_image(&d2, img, 0);
    assert_non_null(fs);
    assert_true(ext4_readonly(fs)); /* not clean: e2fsck first */
    assert_int_equal(ext4_resolve(fs, "/durable", false, &ino), 0);
    static char back[300000];
    assert_int_equal(ext4_read(fs, ino, 0, back, sizeof(back)), (long)sizeof(back));
    assert_memory_equal(back, buf, sizeof(buf));
    ext4_umount(fs);
    filedev_close(&d2);
    assert_int_equal(sh("e2fsck -fy %s >/dev/null 2>&1; e2fsck -fn %s >/dev/null 2>&1", img, img), 0);
    unlink(img);
}

static void test_ext2_1k(void **state)
{
    run_config(&(struct config){ "ext2", 1024, "", NULL });
}
static void test_ext2_4k(void **state)
{
    run_config(&(struct config){ "ext2", 4096, "", NULL });
}
static void test_ext3_4k(void **state)
{
    run_config(&(struct config){ "ext3", 4096, "", NULL });
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ext4_4k),  cmocka_unit_test(test_ext4_1k),
        cmocka_unit_test(test_ext4_gdt_csum_32bit), cmocka_unit_test(test_ext4_1k_tiny_cache),
        cmocka_unit_test(test_enospc), cmocka_unit_test(test_many_files_sync),
        cmocka_unit_test(test_sync_then_crash),
        cmocka_unit_test(test_ext2_1k),
        cmocka_unit_test(test_ext2_4k),  cmocka_unit_test(test_ext3_4k),
    };
    return cmocka_run_group_tests_name("ext4_image", tests, setup, teardown);
}
