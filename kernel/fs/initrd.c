/* Filling the file tree at boot: the bootfs linked into the kernel, then the initrd (a cpio newc
 * archive, as `cpio -o -H newc` writes it, optionally gzip-compressed). Uncompressed archives are
 * read in place: file bytes stay in the initrd's memory until written. A compressed one is
 * inflated once into kernel memory, and the initrd's pages go back to the allocator. Hard links
 * (newc stores the data once, with the last name of the group) share one inode. */
#include <errno.h>

#include "fs/initrd.h"
#include "fs/vfs.h"
#include "mote/bootfs.h"
#include "mote/cpio.h"
#include "mote/inflate.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/string.h"

/* The bootfs files. Those directly under / become nodes in static memory whose names point into
 * the image (no allocation, no path walk); when every file is such a one (the default image),
 * they are linked on first use, not at boot: the first lookup of /hello links /hello (and any file
 * before it in the image), a listing of / or a new entry there links the rest first, so / lists
 * them in image order, ahead of the initrd's entries, as if linked at boot. Their inode numbers
 * are reserved at boot and their times are 0, as every node's made before the first process.
 * Under PVM each CPL0 instruction costs ~2.8 us; a file linked at boot ~200 of them. */
#define BOOTFS_STATIC_NODES 16

static struct inode bootfs_inodes[BOOTFS_STATIC_NODES];
static struct dentry bootfs_dentries[BOOTFS_STATIC_NODES];
static unsigned bootfs_used, lazy_next, lazy_count; /* files linked on first use: [next, count) */
static uint64_t bootfs_ino; /* the next reserved inode number; 0: none reserved */

/* Links file i of the bootfs: a node in static memory, or what vfs_make_path does (deeper paths,
 * a name / has already: the later file's bytes win, as in an initrd). */
static int link_file(unsigned i)
{
    struct bootfs_file bf;
    bootfs_get(i, &bf);
    uint32_t mode = S_IFREG | (bf.mode & 07777);
    const char *name = bf.name + 1;
    size_t n = strlen(name);
    if (bootfs_used < BOOTFS_STATIC_NODES && bf.name[0] == '/' && n && n <= NAME_MAX &&
        !memchr(name, '/', n) && !(name[0] == '.' && (n == 1 || (n == 2 && name[1] == '.')))) {
        struct dentry *d = &bootfs_dentries[bootfs_used];
        struct inode *ino = &bootfs_inodes[bootfs_used];
        d->inode = ino;
        d->name = name;
        d->len = n;
        ino->ino = bootfs_ino;
        ino->ext = bf.data;
        ino->size = bf.size;
        ino->ext_mappable = true;
        if (vfs_add_static(vfs_root(), d, mode) == 0) {
            bootfs_used++;
            if (bootfs_ino)
                bootfs_ino++;
            return 0;
        }
        *ino = (struct inode){0}; /* the name is taken */
    }
    struct inode *ino = vfs_make_path(bf.name, mode);
    if (!ino)
        return -ENOMEM;
    ramfs_set_ext(ino, bf.data, bf.size, true);
    return 0;
}

/* root->pending: links the files up to name (all of them when name is NULL or not a file). */
static void link_pending(struct inode *root, const char *name, size_t n)
{
    unsigned last = lazy_count - 1;
    if (name) {
        for (unsigned i = lazy_next; i < lazy_count; i++) {
            struct bootfs_file bf;
            bootfs_get(i, &bf);
            if (strlen(bf.name + 1) == n && memcmp(bf.name + 1, name, n) == 0) {
                last = i;
                break;
            }
        }
    }
    while (lazy_next <= last)
        if (link_file(lazy_next++))
            panic("bootfs: a file cannot be added to the tree (a name of /dev, /proc or /tmp?)");
    if (lazy_next < lazy_count)
        root->pending = link_pending;
}

int initrd_add_bootfs(void)
{
    unsigned n = bootfs_count();
    if (n && bootfs_flat() && n <= BOOTFS_STATIC_NODES) {
        lazy_count = n;
        bootfs_ino = vfs_reserve_inos(n);
        vfs_root()->pending = link_pending;
        return n;
    }
    for (unsigned i = 0; i < n; i++)
        if (link_file(i))
            return -ENOMEM;
    return n;
}

struct link_seen {
    uint32_t ino, major, minor;
    struct inode *inode;
};

static const char *clean_name(const char *name)
{
    while (name[0] == '.' && name[1] == '/')
        name += 2;
    while (name[0] == '/')
        name++;
    return name;
}

static int add_entry(const struct cpio_entry *e, struct link_seen **links, unsigned *nlinks,
                     unsigned *cap)
{
    const char *name = clean_name(e->name);
    uint32_t type = e->mode & S_IFMT, perm = e->mode & 07777;
    if (!name[0] || strcmp(name, ".") == 0)
        return 0; /* the root itself */
    struct inode *ino;
    if (type == S_IFDIR) {
        ino = vfs_make_path(name, S_IFDIR | perm);
    } else if (type == S_IFLNK) {
        if (e->size == 0 || e->size >= PATH_MAX)
            return -EINVAL;
        char *t = kmalloc(e->size + 1);
        if (!t)
            return -ENOMEM;
        memcpy(t, e->data, e->size);
        t[e->size] = '\0';
        ino = vfs_make_path(name, S_IFLNK | 0777);
        if (!ino) {
            kfree(t);
            return -ENOMEM;
        }
        kfree(ino->target);
        ino->target = t;
        ino->size = e->size;
    } else if (type == S_IFREG) {
        /* A member of a hard-link group we met before: one more name for its inode. */
        if (e->nlink > 1) {
            for (unsigned i = 0; i < *nlinks; i++) {
                struct link_seen *l = &(*links)[i];
                if (l->ino != e->ino || l->major != e->devmajor || l->minor != e->devminor)
                    continue;
                char last[NAME_MAX + 1];
                struct inode *dir;
                bool slash;
                struct inode *parent = vfs_make_path(name, S_IFREG | perm);
                /* vfs_make_path made a file at name: replace it by the link. */
                if (!parent || vfs_lookup_parent(vfs_root(), name, &dir, last, &slash) ||
                    vfs_unlink(dir, last, false) || vfs_link(dir, last, l->inode))
                    return -ENOMEM;
                if (e->size)
                    ramfs_set_ext(l->inode, e->data, e->size, false);
                return 0;
            }
        }
        ino = vfs_make_path(name, S_IFREG | perm);
        if (!ino)
            return -ENOMEM;
        ramfs_set_ext(ino, e->data, e->size, false);
        if (e->nlink > 1) {
            if (*nlinks == *cap) {
                unsigned ncap = *cap ? *cap * 2 : 16;
                struct link_seen *nl =
                    krealloc(*links, *cap * sizeof(**links), ncap * sizeof(**links));
                if (!nl)
                    return -ENOMEM;
                *links = nl;
                *cap = ncap;
            }
            (*links)[(*nlinks)++] = (struct link_seen){e->ino, e->devmajor, e->devminor, ino};
        }
    } else {
        return 0; /* device nodes, FIFOs, sockets: /dev is ours */
    }
    if (!ino)
        return -ENOMEM;
    ino->uid = e->uid;
    ino->gid = e->gid;
    ino->mtime = ino->ctime = (struct kts){e->mtime, 0};
    return 0;
}

static int unpack(const uint8_t *buf, size_t len)
{
    struct cpio_iter it;
    struct cpio_entry e;
    struct link_seen *links = NULL;
    unsigned nlinks = 0, cap = 0;
    int n = 0, rc;
    cpio_begin(&it, buf, len);
    for (;;) {
        rc = cpio_next(&it, &e);
        if (rc < 0) {
            pr_err("initrd: cpio archive is corrupt at byte %lu (%d)\n", it.pos, rc);
            break;
        }
        if (rc == 0) {
            if (it.pos >= it.len)
                break;
            continue; /* another archive follows */
        }
        rc = add_entry(&e, &links, &nlinks, &cap);
        if (rc) {
            pr_err("initrd: cannot add %s (%d)\n", e.name, rc);
            break;
        }
        n++;
    }
    kfree(links);
    return rc < 0 ? rc : n;
}

int initrd_unpack(uint64_t addr, uint64_t size)
{
    const uint8_t *img = phys_to_virt(addr);
    if (!gzip_detect(img, size))
        return unpack(img, size);
    /* The gzip trailer gives the size (mod 4 GiB) of the last member; grow if it was wrong. */
    size_t cap = gzip_claimed_size(img, size);
    size_t limit = page_free_count() * PAGE_SIZE / 4 * 3;
    if (cap < size)
        cap = size * 4;
    int rc = -E2BIG;
    uint8_t *out = NULL;
    size_t outlen = 0;
    for (int tries = 0; tries < 4 && rc == -E2BIG && cap <= limit; tries++, cap *= 2) {
        out = kmalloc(cap);
        if (!out)
            break;
        rc = gzip_inflate(img, size, out, cap, &outlen);
        if (rc)
            kfree(out);
    }
    if (rc) {
        pr_err("initrd: cannot inflate the gzip image (%d)\n", rc);
        return rc;
    }
    /* Its bytes are in out now: the compressed image's whole pages go back to the allocator. */
    for (uint64_t p = ALIGN_UP(addr, PAGE_SIZE); p + PAGE_SIZE <= addr + size; p += PAGE_SIZE)
        page_free(p);
    return unpack(out, outlen);
}
