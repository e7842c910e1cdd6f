/* ext4 in the VFS: the tree in memory caches the file system. A directory reads its entries from
 * ext4 the first time it is used; every change (create, link, unlink, rename, write, truncate)
 * goes to ext4 first, under the mount's mutex; fsync syncs the mount (dirty blocks, then a device
 * flush). Inodes with more than one name share one VFS inode (found by ext4 inode number). */
#include <errno.h>

#include "core/cmdline.h"
#include "fs/ext4/blkdev.h"
#include "fs/ext4/ext4.h"
#include "fs/ext4/vfs_glue.h"
#include "fs/vfs.h"
#include "mote/blk.h"
#include "mote/mm.h"
#include "mote/printk.h"
#include "mote/sched.h"
#include "mote/string.h"

#define NBUCKETS 256

struct emount;
struct binode {
    struct emount *m;
    ext4_ino_t ino;
    struct inode *vino;
    struct binode *hnext;
};

struct emount {
    struct ext4_fs *fs;
    struct mutex lock;
    char dev[8];
    struct binode *hash[NBUCKETS];
    struct emount *next;
};

static struct emount *mounts;
static const struct vfs_backing_ops ext4_bops;

static struct binode *B(struct inode *v)
{
    return v->bpriv;
}

static struct inode *cached(struct emount *m, ext4_ino_t ino)
{
    for (struct binode *b = m->hash[ino % NBUCKETS]; b; b = b->hnext)
        if (b->ino == ino)
            return b->vino;
    return NULL;
}

static int attach(struct emount *m, struct inode *v, ext4_ino_t ino)
{
    struct binode *b = kzalloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->m = m;
    b->ino = ino;
    b->vino = v;
    b->hnext = m->hash[ino % NBUCKETS];
    m->hash[ino % NBUCKETS] = b;
    v->bops = &ext4_bops;
    v->bpriv = b;
    return 0;
}

static void release(struct inode *v)
{
    struct binode *b = B(v);
    struct binode **pp = &b->m->hash[b->ino % NBUCKETS];
    while (*pp && *pp != b)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = b->hnext;
    kfree(b);
    v->bpriv = NULL;
}

static struct kts kts_of(struct ext4_time t)
{
    return (struct kts){ t.sec, t.nsec };
}

static void fill(struct inode *v, const struct ext4_stat *st)
{
    v->mode = st->mode;
    v->nlink = st->nlink;
    v->uid = st->uid;
    v->gid = st->gid;
    v->rdev = st->rdev;
    v->size = st->size;
    v->atime = kts_of(st->atime);
    v->mtime = kts_of(st->mtime);
    v->ctime = kts_of(st->ctime);
}

/* A VFS inode for ext4 inode ino (shared by its names). */
static struct inode *inode_for(struct emount *m, ext4_ino_t ino, int *err)
{
    struct inode *v = cached(m, ino);
    if (v)
        return v;
    struct ext4_stat st;
    if ((*err = ext4_stat(m->fs, ino, &st)))
        return NULL;
    v = vfs_new_inode(st.mode);
    if (!v) {
        *err = -ENOMEM;
        return NULL;
    }
    fill(v, &st);
    if (S_ISLNK(st.mode)) {
        v->target = kmalloc(st.size + 1);
        long n = v->target ? ext4_readlink(m->fs, ino, v->target, st.size + 1) : -ENOMEM;
        if (n < 0) {
            kfree(v->target);
            kfree(v);
            *err = (int)n;
            return NULL;
        }
    }
    if ((*err = attach(m, v, ino))) {
        kfree(v->target);
        kfree(v);
        return NULL;
    }
    return v;
}

static int load_dir(struct inode *dir)
{
    struct emount *m = B(dir)->m;
    struct ext4_dirent_info *e = kmalloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    mutex_lock(&m->lock);
    uint64_t pos = 0;
    int rc;
    while ((rc = ext4_readdir(m->fs, B(dir)->ino, &pos, e)) == 1) {
        if (!strcmp(e->name, ".") || !strcmp(e->name, ".."))
            continue;
        int err = 0;
        bool fresh = !cached(m, e->ino);
        struct inode *v = inode_for(m, e->ino, &err);
        if (!v) {
            pr_err("ext4: %s: cannot read inode %u (%s): %d\n", m->dev, e->ino, e->name, err);
            continue;
        }
        if (vfs_add_loaded(dir, e->name, v) && fresh) {
            release(v); /* the name is taken by the tree in memory */
            kfree(v->target);
            kfree(v);
        }
    }
    mutex_unlock(&m->lock);
    kfree(e);
    if (rc < 0)
        pr_err("ext4: %s: reading a directory: %d\n", m->dev, rc);
    return rc < 0 ? rc : 0;
}

static long e_read(struct inode *v, void *buf, size_t len, uint64_t off)
{
    struct emount *m = B(v)->m;
    mutex_lock(&m->lock);
    long n = ext4_read(m->fs, B(v)->ino, off, buf, len);
    mutex_unlock(&m->lock);
    return n;
}

static long e_write(struct inode *v, const void *buf, size_t len, uint64_t off)
{
    struct emount *m = B(v)->m;
    mutex_lock(&m->lock);
    long n = ext4_write(m->fs, B(v)->ino, off, buf, len);
    if (n > 0) {
        if (off + (uint64_t)n > v->size)
            v->size = off + (uint64_t)n;
        v->mtime = v->ctime = vfs_now();
    }
    mutex_unlock(&m->lock);
    return n;
}

static int e_truncate(struct inode *v, uint64_t size)
{
    struct emount *m = B(v)->m;
    mutex_lock(&m->lock);
    int rc = ext4_truncate(m->fs, B(v)->ino, size);
    if (!rc) {
        v->size = size;
        v->mtime = v->ctime = vfs_now();
    }
    mutex_unlock(&m->lock);
    return rc;
}

static int e_mknod(struct inode *dir, const char *name, struct inode *v, const char *target)
{
    struct emount *m = B(dir)->m;
    ext4_ino_t d = B(dir)->ino, ino = 0;
    size_t len = strlen(name);
    mutex_lock(&m->lock);
    int rc;
    if (S_ISREG(v->mode))
        rc = ext4_create(m->fs, d, name, len, v->mode, &ino);
    else if (S_ISDIR(v->mode))
        rc = ext4_mkdir(m->fs, d, name, len, v->mode, &ino);
    else if (S_ISLNK(v->mode))
        rc = ext4_symlink(m->fs, d, name, len, target, &ino);
    else
        rc = ext4_mknod(m->fs, d, name, len, v->mode, v->rdev, &ino);
    if (!rc)
        rc = attach(m, v, ino);
    if (!rc && S_ISDIR(v->mode))
        v->bloaded = true; /* new and empty */
    mutex_unlock(&m->lock);
    return rc;
}

static int e_link(struct inode *dir, const char *name, struct inode *v)
{
    struct emount *m = B(dir)->m;
    if (B(v)->m != m)
        return -EXDEV;
    mutex_lock(&m->lock);
    int rc = ext4_link(m->fs, B(v)->ino, B(dir)->ino, name, strlen(name));
    mutex_unlock(&m->lock);
    return rc;
}

static int e_unlink(struct inode *dir, const char *name, struct inode *v)
{
    struct emount *m = B(dir)->m;
    mutex_lock(&m->lock);
    int rc = S_ISDIR(v->mode) ? ext4_rmdir(m->fs, B(dir)->ino, name, strlen(name))
                              : ext4_unlink(m->fs, B(dir)->ino, name, strlen(name));
    mutex_unlock(&m->lock);
    return rc;
}

static int e_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname)
{
    struct emount *m = B(odir)->m;
    if (B(ndir)->m != m)
        return -EXDEV;
    mutex_lock(&m->lock);
    int rc = ext4_rename(m->fs, B(odir)->ino, oname, strlen(oname), B(ndir)->ino, nname,
                         strlen(nname));
    mutex_unlock(&m->lock);
    return rc;
}

static int e_sync(struct inode *v)
{
    struct emount *m = B(v)->m;
    mutex_lock(&m->lock);
    int rc = ext4_sync(m->fs);
    mutex_unlock(&m->lock);
    return rc;
}

static const struct vfs_backing_ops ext4_bops = {
    .load_dir = load_dir, .read = e_read, .write = e_write, .truncate = e_truncate,
    .mknod = e_mknod, .link = e_link, .unlink = e_unlink, .rename = e_rename, .sync = e_sync,
    .release = release,
};

int ext4_vfs_mount(const char *dev, struct inode *at, bool ro)
{
    if (str_starts(dev, "/dev/"))
        dev += 5;
    struct blk_dev *d = blk_find(dev);
    if (!d) {
        pr_err("ext4: no disk %s (%u found)\n", dev, blk_count());
        return -ENODEV;
    }
    if (at->bops) {
        /* a directory of another mount (made by --mount): covered, as Linux does, if nothing of
         * it is in memory yet and it is not a mount's root itself */
        if (at->bops != &ext4_bops || at->children || B(at)->ino == ext4_root(B(at)->m->fs)) {
            pr_err("ext4: %s: the directory is a mount already or not empty\n", dev);
            return -EBUSY;
        }
        release(at);
        at->bops = NULL;
    }
    struct emount *m = kzalloc(sizeof(*m));
    if (!m)
        return -ENOMEM;
    char why[128];
    struct ext4_mount_opts o = { ro ? EXT4_MOUNT_RDONLY : 0, 1024 };
    int rc = ext4_mount_blk(d, &o, &m->fs, why, sizeof(why));
    if (rc) {
        pr_err("ext4: %s: %s (%d)\n", dev, why, rc);
        kfree(m);
        return rc;
    }
    if (why[0])
        pr_warn("ext4: %s: %s\n", dev, why);
    m->lock = (struct mutex)MUTEX_INIT;
    strlcpy(m->dev, dev, sizeof(m->dev));
    if ((rc = attach(m, at, ext4_root(m->fs)))) {
        ext4_umount_blk(m->fs);
        kfree(m);
        return rc;
    }
    at->bloaded = false;
    m->next = mounts;
    mounts = m;
    pr_info("ext4: %s mounted %s\n", dev, ext4_readonly(m->fs) ? "read-only" : "read-write");
    return 0;
}

void ext4_vfs_mount_cmdline(const struct cmdline *cl)
{
    const char *root = cl->rootfs ? cl->rootfs : cmdline_param(cl, "root");
    if (root && str_starts(root, "/dev/vd"))
        ext4_vfs_mount(root, vfs_root(), false);
    for (int i = 0; i < cl->nmounts; i++) {
        char dev[16];
        const char *colon = strchr(cl->mounts[i], ':');
        size_t n = colon ? (size_t)(colon - cl->mounts[i]) : 0;
        if (!colon || n >= sizeof(dev) || colon[1] != '/') {
            pr_err("ext4: --mount=%s: want --mount=/dev/vdX:/path\n", cl->mounts[i]);
            continue;
        }
        memcpy(dev, cl->mounts[i], n);
        dev[n] = '\0';
        struct inode *at = vfs_make_path(colon + 1, S_IFDIR | 0755);
        if (!at || !S_ISDIR(at->mode))
            pr_err("ext4: --mount=%s: cannot make %s\n", cl->mounts[i], colon + 1);
        else
            ext4_vfs_mount(dev, at, false);
    }
}

void ext4_vfs_unmount_all(void)
{
    for (struct emount *m = mounts; m; m = m->next) {
        mutex_lock(&m->lock);
        int rc = ext4_umount_blk(m->fs);
        m->fs = NULL;
        mutex_unlock(&m->lock);
        if (rc)
            pr_err("ext4: %s: unmount: %d\n", m->dev, rc);
        else
            pr_info("ext4: %s unmounted\n", m->dev);
    }
    mounts = NULL;
}
