/* kernel/fs/vfs.c and ramfs.c on the host: path resolution (path_resolution(7)), names, links,
 * and file data in pages. The kernel's allocators are replaced by malloc here. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fs/vfs.h"
#include "mote/mm.h"

/* ---- shims for what vfs.c and ramfs.c use from the rest of the kernel ---- */
static long pages_out;
void *kmalloc(size_t n)
{
    return malloc(n ? n : 1);
}
void *kzalloc(size_t n)
{
    return calloc(1, n ? n : 1);
}
/* Nodes in static memory (test_pending_entries), which the kernel's kfree ignores as well. */
static struct inode lazy_ino[3];
static struct dentry lazy_d[3];

void kfree(void *p)
{
    if ((p >= (void *)lazy_ino && p < (void *)(lazy_ino + 3)) ||
        (p >= (void *)lazy_d && p < (void *)(lazy_d + 3)))
        return;
    free(p);
}
void *krealloc(void *p, size_t old, size_t n)
{
    return realloc(p, n);
}
paddr_t page_alloc_dirty(void)
{
    pages_out++;
    return (paddr_t)(uintptr_t)aligned_alloc(4096, 4096) - DIRECT_MAP;
}
paddr_t page_alloc(void)
{
    paddr_t p = page_alloc_dirty();
    memset(phys_to_virt(p), 0, 4096);
    return p;
}
void page_free(paddr_t p)
{
    pages_out--;
    free(phys_to_virt(p));
}
void *vmap_pages(const paddr_t *pages, size_t n)
{
    return NULL;
}
void vunmap(void *va, size_t n)
{
}
struct kts vfs_now(void)
{
    return (struct kts){1, 2};
}

/* ---- helpers ---- */
static struct inode *mk(const char *path, uint32_t mode)
{
    struct inode *ino = vfs_make_path(path, mode);
    assert_non_null(ino);
    return ino;
}

static int look(const char *path, int flags, struct inode **out)
{
    return vfs_lookup(vfs_root(), path, flags, out);
}

static int setup(void **state)
{
    assert_int_equal(vfs_init(), 0);
    mk("/a/b/c", S_IFREG | 0644);
    mk("/a/d", S_IFDIR | 0755);
    struct inode *a;
    assert_int_equal(look("/a", 0, &a), 0);
    assert_int_equal(vfs_symlink(vfs_root(), "l1", "a/b"), 0); /* relative */
    assert_int_equal(vfs_symlink(a, "up", "../a/b/c"), 0);     /* relative, with .. */
    assert_int_equal(vfs_symlink(vfs_root(), "abs", "/a/b/c"), 0);
    assert_int_equal(vfs_symlink(vfs_root(), "loop1", "loop2"), 0);
    assert_int_equal(vfs_symlink(vfs_root(), "loop2", "loop1"), 0);
    assert_int_equal(vfs_symlink(vfs_root(), "dangling", "/nowhere"), 0);
    return 0;
}

static void test_plain_paths(void **state)
{
    struct inode *c, *c2, *b, *root;
    assert_int_equal(look("/a/b/c", 0, &c), 0);
    assert_true(S_ISREG(c->mode));
    assert_int_equal(look("//a///b/./c", 0, &c2), 0);
    assert_ptr_equal(c, c2);
    assert_int_equal(look("/a/b/../b/c", 0, &c2), 0);
    assert_ptr_equal(c, c2);
    assert_int_equal(look("/..", 0, &root), 0); /* .. of the root is the root */
    assert_ptr_equal(root, vfs_root());
    assert_int_equal(look("/", 0, &root), 0);
    assert_ptr_equal(root, vfs_root());
    assert_int_equal(look("/a/b", 0, &b), 0);
    assert_int_equal(vfs_lookup(b, "c", 0, &c2), 0); /* relative to a directory */
    assert_ptr_equal(c, c2);
    assert_int_equal(vfs_lookup(b, "../../a/b/c", 0, &c2), 0);
    assert_ptr_equal(c, c2);
}

static void test_errors(void **state)
{
    struct inode *x;
    assert_int_equal(look("", 0, &x), -ENOENT);
    assert_int_equal(look("/a/nope", 0, &x), -ENOENT);
    assert_int_equal(look("/a/b/c/d", 0, &x), -ENOTDIR);
    assert_int_equal(look("/a/b/c/", 0, &x), -ENOTDIR); /* trailing slash wants a directory */
    assert_int_equal(look("/a/b/c", LOOKUP_DIRECTORY, &x), -ENOTDIR);
    assert_int_equal(look("/a/b/", 0, &x), 0);
    char longname[300];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[0] = '/';
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(look(longname, 0, &x), -ENAMETOOLONG);
    longname[256] = '\0'; /* "/" + 255 bytes: allowed, just absent */
    assert_int_equal(look(longname, 0, &x), -ENOENT);
}

static void test_symlinks(void **state)
{
    struct inode *c, *x, *b;
    assert_int_equal(look("/a/b/c", 0, &c), 0);
    assert_int_equal(look("/abs", LOOKUP_FOLLOW, &x), 0);
    assert_ptr_equal(x, c);
    assert_int_equal(look("/abs", 0, &x), 0); /* the link itself */
    assert_true(S_ISLNK(x->mode));
    assert_string_equal(vfs_readlink(x), "/a/b/c");
    assert_int_equal(look("/l1/c", 0, &x), 0); /* followed in the middle, always */
    assert_ptr_equal(x, c);
    assert_int_equal(look("/l1/", 0, &b), 0); /* trailing slash follows too */
    assert_true(S_ISDIR(b->mode));
    assert_int_equal(look("/a/up", LOOKUP_FOLLOW, &x), 0); /* relative to the link's dir */
    assert_ptr_equal(x, c);
    assert_int_equal(look("/loop1", LOOKUP_FOLLOW, &x), -ELOOP);
    assert_int_equal(look("/loop1/x", 0, &x), -ELOOP);
    assert_int_equal(look("/dangling", LOOKUP_FOLLOW, &x), -ENOENT);
    assert_int_equal(look("/dangling", 0, &x), 0);
}

static void test_parent(void **state)
{
    struct inode *p, *a;
    char last[NAME_MAX + 1];
    bool slash;
    assert_int_equal(look("/a", 0, &a), 0);
    assert_int_equal(vfs_lookup_parent(vfs_root(), "/a/newfile", &p, last, &slash), 0);
    assert_ptr_equal(p, a);
    assert_string_equal(last, "newfile");
    assert_false(slash);
    assert_int_equal(vfs_lookup_parent(vfs_root(), "/a/newdir/", &p, last, &slash), 0);
    assert_string_equal(last, "newdir");
    assert_true(slash);
    assert_int_equal(vfs_lookup_parent(vfs_root(), "/", &p, last, &slash), 0);
    assert_string_equal(last, "");
    assert_int_equal(vfs_lookup_parent(vfs_root(), "/l1/zz", &p, last, &slash), 0);
    assert_string_equal(last, "zz"); /* the parent through a symlink: /a/b */
    assert_int_equal(vfs_lookup_parent(vfs_root(), "/nope/zz", &p, last, &slash), -ENOENT);
}

static void test_names_and_links(void **state)
{
    struct inode *a, *b, *d, *c, *x;
    assert_int_equal(look("/a", 0, &a), 0);
    assert_int_equal(look("/a/b", 0, &b), 0);
    assert_int_equal(look("/a/d", 0, &d), 0);
    assert_int_equal(look("/a/b/c", 0, &c), 0);
    assert_int_equal(vfs_link(d, "c2", c), 0);
    assert_int_equal(c->nlink, 2);
    assert_int_equal(vfs_link(d, "c2", c), -EEXIST);
    assert_int_equal(vfs_link(d, "bdir", b), -EPERM); /* no hard links to directories */
    assert_int_equal(vfs_unlink(a, "b", true), -ENOTEMPTY);
    assert_int_equal(vfs_unlink(a, "b", false), -EISDIR);
    assert_int_equal(vfs_unlink(b, "c", true), -ENOTDIR);
    assert_int_equal(vfs_rename(vfs_root(), "a", b, "inside"), -EINVAL); /* into itself */
    assert_int_equal(vfs_rename(d, "c2", vfs_root(), "moved"), 0);
    assert_int_equal(look("/moved", 0, &x), 0);
    assert_ptr_equal(x, c);
    assert_int_equal(vfs_unlink(vfs_root(), "moved", false), 0);
    assert_int_equal(c->nlink, 1);
    char buf[64];
    assert_int_equal(vfs_path_of(d, buf, sizeof(buf)), 4);
    assert_string_equal(buf, "/a/d");
    assert_int_equal(vfs_path_of(vfs_root(), buf, sizeof(buf)), 1);
    assert_string_equal(buf, "/");
    assert_int_equal(vfs_path_of(d, buf, 4), -ERANGE);
    /* getdents order: ".", "..", then creation order. */
    struct dirent_cursor cur = {0};
    struct inode *ino;
    assert_string_equal(vfs_dirent(a, 0, &ino, &cur), ".");
    assert_string_equal(vfs_dirent(a, 1, &ino, &cur), "..");
    assert_ptr_equal(ino, vfs_root());
    assert_string_equal(vfs_dirent(a, 2, &ino, &cur), "b");
    assert_string_equal(vfs_dirent(a, 3, &ino, &cur), "d");
    /* Removing the last entry and adding one keeps the order (the append pointer moves back). */
    assert_int_equal(vfs_unlink(a, "d", true), 0);
    assert_int_equal(vfs_mknod(a, "e", S_IFREG | 0600, NULL), 0);
    assert_int_equal(vfs_mknod(a, "f", S_IFREG | 0600, NULL), 0);
    struct dirent_cursor c2 = {0};
    assert_string_equal(vfs_dirent(a, 2, &ino, &c2), "b");
    assert_string_equal(vfs_dirent(a, 3, &ino, &c2), "up"); /* the symlink made in setup */
    assert_string_equal(vfs_dirent(a, 4, &ino, &c2), "e");
    assert_string_equal(vfs_dirent(a, 5, &ino, &c2), "f");
    assert_null(vfs_dirent(a, 6, &ino, &c2));
    assert_int_equal(vfs_unlink(a, "e", false), 0);
    assert_int_equal(vfs_unlink(a, "f", false), 0);
    assert_int_equal(vfs_mknod(a, "g", S_IFDIR | 0700, NULL), 0);
    assert_string_equal(vfs_dirent(a, 4, &ino, NULL), "g");
}

static void test_file_data(void **state)
{
    struct inode *f = mk("/data", S_IFREG | 0600);
    static const uint8_t ext[] = "in place bytes";
    ramfs_set_ext(f, ext, sizeof(ext), false);
    char buf[20000];
    assert_int_equal(ramfs_read(f, buf, sizeof(buf), 3), sizeof(ext) - 3);
    assert_memory_equal(buf, "place", 5);
    long before = pages_out;
    assert_int_equal(ramfs_write(f, "IN", 2, 0), 2); /* moves the bytes into a page */
    assert_int_equal(pages_out, before + 1);
    assert_int_equal(ramfs_read(f, buf, 8, 0), 8);
    assert_memory_equal(buf, "IN place", 8);
    assert_int_equal(ramfs_write(f, "z", 1, 3 * 4096 + 5), 1); /* a hole in between */
    assert_int_equal(f->size, 3 * 4096 + 6);
    assert_int_equal(ramfs_read(f, buf, sizeof(buf), 0), 3 * 4096 + 6);
    assert_int_equal(buf[4096 + 7], 0);
    assert_int_equal(buf[3 * 4096 + 5], 'z');
    assert_int_equal(ramfs_truncate(f, 5), 0);
    assert_int_equal(ramfs_write(f, "y", 1, 10), 1);
    assert_int_equal(ramfs_read(f, buf, 20, 0), 11);
    assert_memory_equal(buf, "IN pl\0\0\0\0\0y", 11); /* truncated bytes read as zero */
    assert_int_equal(ramfs_truncate(f, 0), 0);
    assert_int_equal(pages_out, before);
}

/* Entries a directory links on first use (dir->pending, as fs/initrd.c does for the bootfs): a
 * test double with three static files p0, p1, p2 (lazy_ino, lazy_d: at the top). */
static const char *const lazy_names[3] = {"p0", "p1", "p2"};
static unsigned lazy_next, lazy_calls;

static void lazy_link(struct inode *dir, const char *name, size_t n)
{
    unsigned last = 2;
    lazy_calls++;
    for (unsigned i = lazy_next; name && i < 3; i++)
        if (strlen(lazy_names[i]) == n && memcmp(lazy_names[i], name, n) == 0)
            last = i;
    for (; lazy_next <= last; lazy_next++) {
        lazy_d[lazy_next] = (struct dentry){.inode = &lazy_ino[lazy_next],
                                            .name = lazy_names[lazy_next], .len = 2};
        lazy_ino[lazy_next] = (struct inode){.ino = 100 + lazy_next};
        assert_int_equal(vfs_add_static(dir, &lazy_d[lazy_next], S_IFREG | 0644), 0);
    }
    if (lazy_next < 3)
        dir->pending = lazy_link;
}

static struct inode *lazy_dir(void)
{
    struct inode *d = vfs_make_path("/lazy", S_IFDIR | 0755);
    assert_non_null(d);
    lazy_next = lazy_calls = 0;
    d->pending = lazy_link;
    return d;
}

static void test_pending_entries(void **state)
{
    struct inode *d = lazy_dir(), *ino;
    /* A name already linked does not link anything. */
    assert_int_equal(vfs_mknod(vfs_root(), "x", S_IFREG | 0644, NULL), 0);
    assert_int_equal(lazy_calls, 0);
    /* p1 links p0 and p1, in order, with their numbers; p2 waits. */
    assert_int_equal(look("/lazy/p1", 0, &ino), 0);
    assert_ptr_equal(ino, &lazy_ino[1]);
    assert_int_equal(ino->ino, 101);
    assert_int_equal(ino->nlink, 1);
    assert_int_equal(lazy_next, 2);
    assert_ptr_equal(d->pending, lazy_link);
    assert_int_equal(look("/lazy/p0", 0, &ino), 0);
    assert_int_equal(lazy_calls, 1); /* found linked: no call */
    /* A listing links the rest first: p0 p1 p2, then what was made after. */
    assert_non_null(vfs_child(d, "p0"));
    assert_int_equal(vfs_mknod(d, "q", S_IFREG | 0644, NULL), 0); /* links p2 first */
    assert_null(d->pending);
    const char *order[] = {".", "..", "p0", "p1", "p2", "q"};
    for (unsigned i = 0; i < 6; i++)
        assert_string_equal(vfs_dirent(d, i, &ino, NULL), order[i]);
    assert_null(vfs_dirent(d, 6, &ino, NULL));

    /* A name that is not pending links them all (the next misses cost nothing). */
    d = vfs_make_path("/lazy2", S_IFDIR | 0755);
    lazy_next = lazy_calls = 0;
    d->pending = lazy_link;
    assert_int_equal(vfs_lookup(d, "nope", 0, &ino), -ENOENT);
    assert_int_equal(lazy_next, 3);
    assert_null(d->pending);
    assert_int_equal(vfs_lookup(d, "nope", 0, &ino), -ENOENT);
    assert_int_equal(lazy_calls, 1);
    /* A pending entry can be unlinked like any other. */
    d = vfs_make_path("/lazy3", S_IFDIR | 0755);
    lazy_next = lazy_calls = 0;
    d->pending = lazy_link;
    assert_int_equal(vfs_unlink(d, "p0", false), 0);
    assert_null(vfs_child(d, "p0"));
    assert_int_equal(vfs_dirent(d, 2, &ino, NULL)[1], '1'); /* p1, p2 remain, in order */
    assert_int_equal(vfs_dirent(d, 3, &ino, NULL)[1], '2');
    /* vfs_add_static refuses a taken name and changes nothing. */
    struct inode extra = {0};
    struct dentry de = {.inode = &extra, .name = "p1", .len = 2};
    assert_int_equal(vfs_add_static(d, &de, S_IFREG | 0644), -EEXIST);
    assert_int_equal(extra.ino, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_paths),     cmocka_unit_test(test_errors),
        cmocka_unit_test(test_symlinks),        cmocka_unit_test(test_parent),
        cmocka_unit_test(test_names_and_links), cmocka_unit_test(test_file_data),
        cmocka_unit_test(test_pending_entries),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
