/* The file tree and path resolution; see vfs.h. Rules from path_resolution(7): components are
 * separated by one or more '/'; "." and ".." are looked up in the tree (".." of the root is the
 * root); a symlink met before the last component is always followed, the last one only with
 * LOOKUP_FOLLOW; more than 40 symlinks in one resolution is ELOOP; a name longer than NAME_MAX
 * is ENAMETOOLONG; a trailing '/' asks for a directory. */
#include <errno.h>

#include "fs/vfs.h"
#include "mote/mm.h"
#include "mote/string.h"

#define MAX_SYMLINKS 40
#define MAX_NESTED 8

static struct inode *root;
static uint64_t next_ino = 1;

struct inode *vfs_root(void)
{
    return root;
}

void vfs_init_inode(struct inode *ino, uint32_t mode)
{
    ino->ino = next_ino++;
    ino->mode = mode;
    ino->atime = ino->mtime = ino->ctime = vfs_now();
}

uint64_t vfs_reserve_inos(unsigned n)
{
    uint64_t first = next_ino;
    next_ino += n;
    return first;
}

struct inode *vfs_new_inode(uint32_t mode)
{
    struct inode *ino = kzalloc(sizeof(*ino));
    if (ino)
        vfs_init_inode(ino, mode);
    return ino;
}

static void inode_free(struct inode *ino)
{
    if (ino->bops) { /* the backing file system has already dropped it */
        if (ino->bops->release)
            ino->bops->release(ino);
        ino->bops = NULL;
    }
    if (S_ISREG(ino->mode))
        ramfs_truncate(ino, 0);
    kfree(ino->pages);
    kfree(ino->target);
    kfree(ino->htab);
    kfree(ino);
}

void vfs_inode_get(struct inode *ino)
{
    ino->refs++;
}

void vfs_inode_put(struct inode *ino)
{
    if (--ino->refs <= 0 && ino->nlink == 0)
        inode_free(ino);
}

#define HASH_MIN_ENTRIES 8

static uint32_t name_hash(const char *name, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h;
}

/* (Re)builds the hash of a directory with size buckets; on failure the lists still work. */
static void rehash(struct inode *dir, uint32_t size)
{
    struct dentry **t = kzalloc(size * sizeof(*t));
    if (!t)
        return;
    for (struct dentry *d = dir->children; d; d = d->next) {
        uint32_t b = name_hash(d->name, d->len) & (size - 1);
        d->hnext = t[b];
        t[b] = d;
    }
    kfree(dir->htab);
    dir->htab = t;
    dir->hsize = size;
}

/* A directory with a backing file system reads its entries the first time it is used. */
static void load(struct inode *dir)
{
    if (dir->bops && !dir->bloaded) {
        dir->bloaded = true;
        if (dir->bops->load_dir(dir))
            dir->bloaded = false; /* an error: tried again next time */
    }
}

static struct dentry *find_linked(struct inode *dir, const char *name, size_t n)
{
    if (!dir->htab) { /* a few entries: the list */
        for (struct dentry *d = dir->children; d; d = d->next)
            if (d->len == n && d->name[0] == name[0] && memcmp(d->name, name, n) == 0)
                return d;
        return NULL;
    }
    for (struct dentry *d = dir->htab[name_hash(name, n) & (dir->hsize - 1)]; d; d = d->hnext)
        if (d->len == n && d->name[0] == name[0] && memcmp(d->name, name, n) == 0)
            return d;
    return NULL;
}

/* Entries not linked yet come in before the list is needed whole or a name is missing from it. */
static void link_pending(struct inode *dir, const char *name, size_t n)
{
    void (*fn)(struct inode *, const char *, size_t) = dir->pending;
    dir->pending = NULL; /* no re-entry while it links */
    fn(dir, name, n);
}

static struct dentry *find_dentry(struct inode *dir, const char *name, size_t n)
{
    load(dir);
    struct dentry *d = find_linked(dir, name, n);
    if (!d && dir->pending) {
        link_pending(dir, name, n);
        d = find_linked(dir, name, n);
    }
    return d;
}

static struct inode *find_inode(struct inode *dir, const char *name, size_t n)
{
    struct dentry *d = find_dentry(dir, name, n);
    return d ? d->inode : NULL;
}

struct inode *vfs_child(struct inode *dir, const char *name)
{
    struct dentry *d = find_dentry(dir, name, strlen(name));
    return d ? d->inode : NULL;
}

/* Appended, so directory listings keep creation order (the initrd's order); hashed when the
 * directory has a table, which grows past twice its size. */
static inline __attribute__((always_inline)) void append_dentry(struct inode *dir,
                                                              struct dentry *d)
{
    d->next = NULL;
    if (dir->last_child)
        dir->last_child->next = d;
    else
        dir->children = d;
    dir->last_child = d;
    dir->nchildren++;
    if (dir->htab && dir->nchildren <= 2 * dir->hsize) {
        uint32_t b = name_hash(d->name, d->len) & (dir->hsize - 1);
        d->hnext = dir->htab[b];
        dir->htab[b] = d;
    } else if (dir->nchildren > HASH_MIN_ENTRIES) {
        rehash(dir, dir->hsize ? dir->hsize * 4 : 64);
    }
}

void vfs_attach(struct inode *dir, struct dentry *d)
{
    if (dir->pending)
        link_pending(dir, NULL, 0); /* they come first, as if linked at boot */
    struct inode *ino = d->inode;
    append_dentry(dir, d);
    ino->nlink++;
    if (S_ISDIR(ino->mode)) {
        ino->parent = dir;
        dir->nlink++; /* the child's ".." */
    }
    dir->mtime = dir->ctime = vfs_now();
}

int vfs_add_static(struct inode *dir, struct dentry *d, uint32_t mode)
{
    if (find_dentry(dir, d->name, d->len))
        return -EEXIST;
    if (dir->pending)
        link_pending(dir, NULL, 0);
    /* vfs_init_inode and vfs_attach for a non-directory that exists since boot: no clock. */
    struct inode *ino = d->inode;
    if (!ino->ino)
        ino->ino = next_ino++;
    ino->mode = mode;
    ino->nlink = 1;
    append_dentry(dir, d);
    return 0;
}

static int add_entry(struct inode *dir, const char *name, struct inode *ino)
{
    size_t n = strlen(name);
    struct dentry *d = kmalloc(sizeof(*d) + n + 1);
    if (!d)
        return -ENOMEM;
    d->inode = ino;
    d->len = n;
    memcpy(d->storage, name, n + 1);
    d->name = d->storage;
    vfs_attach(dir, d);
    return 0;
}

int vfs_add_loaded(struct inode *dir, const char *name, struct inode *ino)
{
    if (find_dentry(dir, name, strlen(name)))
        return -EEXIST; /* a name of the tree in memory (/dev, /proc, the bootfs) wins */
    uint32_t dn = dir->nlink, n = ino->nlink;
    int rc = add_entry(dir, name, ino);
    dir->nlink = dn;
    ino->nlink = n;
    return rc;
}

static bool valid_name(const char *name)
{
    return name[0] && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int vfs_link(struct inode *dir, const char *name, struct inode *ino)
{
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (!valid_name(name))
        return -EEXIST;
    if (vfs_child(dir, name))
        return -EEXIST;
    if (S_ISDIR(ino->mode) && ino->nlink)
        return -EPERM; /* no hard links to directories */
    if (dir->bops || ino->bops) {
        if (dir->bops != ino->bops || !dir->bops->link)
            return -EXDEV;
        int rc = dir->bops->link(dir, name, ino);
        if (rc)
            return rc;
    }
    return add_entry(dir, name, ino);
}

static int make_node(struct inode *dir, const char *name, uint32_t mode, const char *target,
                     struct inode **out)
{
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (!valid_name(name) || vfs_child(dir, name))
        return -EEXIST;
    struct inode *ino = vfs_new_inode(mode);
    if (!ino)
        return -ENOMEM;
    if (S_ISDIR(mode))
        ino->nlink = 1; /* its own "." */
    if (dir->bops) {
        int rc = dir->bops->mknod(dir, name, ino, target);
        if (rc) {
            kfree(ino);
            return rc;
        }
    }
    int rc = add_entry(dir, name, ino);
    if (rc) {
        kfree(ino);
        return rc;
    }
    if (out)
        *out = ino;
    return 0;
}

int vfs_mknod(struct inode *dir, const char *name, uint32_t mode, struct inode **out)
{
    return make_node(dir, name, mode, NULL, out);
}

int vfs_symlink(struct inode *dir, const char *name, const char *target)
{
    size_t n = strlen(target);
    if (n == 0)
        return -ENOENT;
    if (n >= PATH_MAX)
        return -ENAMETOOLONG;
    char *t = kmalloc(n + 1);
    if (!t)
        return -ENOMEM;
    memcpy(t, target, n + 1);
    struct inode *ino;
    int rc = make_node(dir, name, S_IFLNK | 0777, t, &ino);
    if (rc) {
        kfree(t);
        return rc;
    }
    ino->target = t;
    ino->size = n;
    return 0;
}

/* Unlinks the entry without checks; returns the inode it named. */
static struct inode *drop_entry(struct inode *dir, const char *name)
{
    size_t n = strlen(name);
    struct dentry *prev = NULL;
    for (struct dentry **pp = &dir->children; *pp; prev = *pp, pp = &(*pp)->next) {
        struct dentry *d = *pp;
        if (d->len != n || memcmp(d->name, name, n) != 0)
            continue;
        *pp = d->next;
        if (dir->last_child == d)
            dir->last_child = prev;
        dir->nchildren--;
        if (dir->htab) {
            struct dentry **hp = &dir->htab[name_hash(d->name, d->len) & (dir->hsize - 1)];
            while (*hp != d)
                hp = &(*hp)->hnext;
            *hp = d->hnext;
        }
        struct inode *ino = d->inode;
        kfree(d);
        dir->dir_version++;
        ino->nlink--;
        if (S_ISDIR(ino->mode)) {
            dir->nlink--;
            ino->nlink--; /* its "." */
        }
        ino->ctime = dir->mtime = dir->ctime = vfs_now();
        return ino;
    }
    return NULL;
}

int vfs_unlink(struct inode *dir, const char *name, bool rmdir)
{
    if (!S_ISDIR(dir->mode))
        return -ENOTDIR;
    if (rmdir && strcmp(name, ".") == 0)
        return -EINVAL;
    if (rmdir && strcmp(name, "..") == 0)
        return -ENOTEMPTY;
    struct inode *ino = vfs_child(dir, name);
    if (!ino)
        return -ENOENT;
    if (rmdir && !S_ISDIR(ino->mode))
        return -ENOTDIR;
    if (!rmdir && S_ISDIR(ino->mode))
        return -EISDIR;
    if (rmdir && ino->children)
        return -ENOTEMPTY;
    if (ino == root)
        return -EBUSY;
    if (dir->bops) {
        int rc = dir->bops->unlink(dir, name, ino);
        if (rc)
            return rc;
    }
    drop_entry(dir, name);
    if (ino->nlink == 0 && ino->refs <= 0)
        inode_free(ino);
    return 0;
}

static bool is_ancestor(struct inode *a, struct inode *d)
{
    for (; d; d = d->parent == d ? NULL : d->parent)
        if (d == a)
            return true;
    return false;
}

int vfs_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname)
{
    if (!S_ISDIR(odir->mode) || !S_ISDIR(ndir->mode))
        return -ENOTDIR;
    if (!valid_name(oname) || !valid_name(nname))
        return -EBUSY;
    struct inode *src = vfs_child(odir, oname);
    if (!src)
        return -ENOENT;
    struct inode *dst = vfs_child(ndir, nname);
    if (dst == src)
        return 0;
    if (S_ISDIR(src->mode) && is_ancestor(src, ndir))
        return -EINVAL; /* into its own subtree */
    if (dst) {
        if (S_ISDIR(dst->mode) && !S_ISDIR(src->mode))
            return -EISDIR;
        if (!S_ISDIR(dst->mode) && S_ISDIR(src->mode))
            return -ENOTDIR;
        if (S_ISDIR(dst->mode) && dst->children)
            return -ENOTEMPTY;
    }
    if (odir->bops || ndir->bops) {
        if (odir->bops != ndir->bops)
            return -EXDEV;
        int rc = odir->bops->rename(odir, oname, ndir, nname); /* -EXDEV across mounts */
        if (rc)
            return rc;
    }
    vfs_inode_get(src);
    drop_entry(odir, oname);
    if (dst) {
        drop_entry(ndir, nname);
        if (dst->nlink == 0 && dst->refs <= 0)
            inode_free(dst);
    }
    int rc = add_entry(ndir, nname, src);
    if (rc) /* out of memory: put it back where it was */
        add_entry(odir, oname, src);
    src->refs--;
    return rc;
}

const char *vfs_readlink(struct inode *ino)
{
    if (ino->dynlink)
        return ino->dynlink();
    return ino->target ? ino->target : "";
}

/* The next component of *p: *name points at it (not NUL-terminated); returns its length, 0 at the
 * end, or -ENAMETOOLONG. Leaves *p after the component. */
static long next_component(const char **p, const char **name)
{
    const char *s = *p;
    while (*s == '/')
        s++;
    const char *e = s;
    while (*e && *e != '/')
        e++;
    if (e - s > NAME_MAX)
        return -ENAMETOOLONG;
    *name = s;
    *p = e;
    return e - s;
}

static int walk(struct inode *dir, const char *path, int flags, int *links, struct inode **out,
                struct inode **parent_out, char *last, bool *slash_out);

static int follow(struct inode *dir, struct inode *link, int *links, struct inode **out)
{
    /* 40 links in all, nested at most 8 deep (each level is a walk's frame on the stack). */
    static int depth;
    if (++*links > MAX_SYMLINKS || depth >= MAX_NESTED)
        return -ELOOP;
    depth++;
    int rc = walk(dir, vfs_readlink(link), LOOKUP_FOLLOW, links, out, NULL, NULL, NULL);
    depth--;
    return rc;
}

/* The walk behind both lookups: with parent_out set it stops before the last component. */
static int walk(struct inode *dir, const char *path, int flags, int *links, struct inode **out,
                struct inode **parent_out, char *last, bool *slash_out)
{
    const char *name;
    if (!path[0])
        return -ENOENT;
    if (path[0] == '/')
        dir = root;
    struct inode *cur = dir;
    const char *p = path;
    for (;;) {
        long n = next_component(&p, &name);
        if (n < 0)
            return (int)n;
        if (n == 0) {
            /* End of the path ("/" or trailing slashes). */
            if (parent_out) {
                *parent_out = cur;
                last[0] = '\0';
                *slash_out = true;
                return 0;
            }
            break;
        }
        const char *rest = p;
        while (*rest == '/')
            rest++;
        bool is_last = *rest == '\0';
        bool trailing = is_last && p != rest;
        if (!S_ISDIR(cur->mode))
            return -ENOTDIR;
        if (is_last && parent_out) {
            *parent_out = cur;
            memcpy(last, name, n);
            last[n] = '\0';
            *slash_out = trailing;
            return 0;
        }
        struct inode *next;
        if (name[0] == '.' && n == 1)
            next = cur;
        else if (name[0] == '.' && name[1] == '.' && n == 2)
            next = cur->parent ? cur->parent : cur;
        else
            next = find_inode(cur, name, n);
        if (!next)
            return -ENOENT;
        if (S_ISLNK(next->mode) && (!is_last || trailing || (flags & LOOKUP_FOLLOW))) {
            int rc = follow(cur, next, links, &next);
            if (rc)
                return rc;
        }
        cur = next;
        if (is_last) {
            if (trailing && !S_ISDIR(cur->mode))
                return -ENOTDIR;
            break;
        }
    }
    if ((flags & LOOKUP_DIRECTORY) && !S_ISDIR(cur->mode))
        return -ENOTDIR;
    *out = cur;
    return 0;
}

int vfs_lookup(struct inode *dir, const char *path, int flags, struct inode **out)
{
    int links = 0;
    return walk(dir, path, flags, &links, out, NULL, NULL, NULL);
}

int vfs_lookup_parent(struct inode *dir, const char *path, struct inode **parent, char *last,
                      bool *slash)
{
    int links = 0;
    struct inode *unused;
    return walk(dir, path, 0, &links, &unused, parent, last, slash);
}

long vfs_path_of(struct inode *dir, char *buf, size_t size)
{
    /* Built from the end of buf backwards, then moved to the front. */
    if (size < 2)
        return -ERANGE;
    size_t pos = size - 1;
    buf[pos] = '\0';
    for (struct inode *d = dir; d != root && d->parent;) {
        struct inode *p = d->parent;
        struct dentry *e = p->children;
        while (e && e->inode != d)
            e = e->next;
        if (!e)
            return -ENOENT; /* removed directory */
        if (e->len + 1 > pos)
            return -ERANGE;
        pos -= e->len;
        memcpy(buf + pos, e->name, e->len);
        buf[--pos] = '/';
        d = p;
    }
    if (pos == size - 1)
        buf[--pos] = '/';
    size_t len = size - 1 - pos;
    memmove(buf, buf + pos, len + 1);
    return len;
}

const char *vfs_dirent(struct inode *dir, uint64_t i, struct inode **ino, struct dirent_cursor *c)
{
    load(dir);
    if (dir->pending)
        link_pending(dir, NULL, 0);
    if (i == 0) {
        *ino = dir;
        return ".";
    }
    if (i == 1) {
        *ino = dir->parent ? dir->parent : dir;
        return "..";
    }
    struct dentry *d;
    if (c && c->next && c->index == i && c->version == dir->dir_version) {
        d = c->next;
    } else {
        d = dir->children;
        for (uint64_t k = 2; d && k < i; k++)
            d = d->next;
    }
    if (!d)
        return NULL;
    if (c) {
        c->next = d->next;
        c->index = i + 1;
        c->version = dir->dir_version;
    }
    *ino = d->inode;
    return d->name;
}

struct inode *vfs_make_path(const char *path, uint32_t mode)
{
    char name[NAME_MAX + 1];
    struct inode *cur = root;
    const char *p = path, *comp;
    for (;;) {
        long n = next_component(&p, &comp);
        if (n <= 0)
            return n == 0 ? cur : NULL;
        memcpy(name, comp, n);
        name[n] = '\0';
        const char *rest = p;
        while (*rest == '/')
            rest++;
        bool is_last = *rest == '\0';
        if (strcmp(name, ".") == 0)
            continue;
        if (strcmp(name, "..") == 0) {
            cur = cur->parent ? cur->parent : cur;
            continue;
        }
        struct inode *next = vfs_child(cur, name);
        if (next && is_last && (next->mode & S_IFMT) != (mode & S_IFMT)) {
            /* A later archive replaces an earlier file of another type. */
            if (vfs_unlink(cur, name, S_ISDIR(next->mode)))
                return NULL;
            next = NULL;
        }
        if (!next && vfs_mknod(cur, name, is_last ? mode : (S_IFDIR | 0755), &next))
            return NULL;
        if (!S_ISDIR(next->mode) && !is_last)
            return NULL;
        if (is_last) {
            next->mode = mode;
            return next;
        }
        cur = next;
    }
}

/* ---- open files ---- */

void file_init(struct file *f, const struct file_ops *ops, void *priv, int flags)
{
    f->refs = 1;
    f->ops = ops;
    f->priv = priv;
    f->flags = flags;
}

struct file *file_new(const struct file_ops *ops, void *priv, int flags)
{
    struct file *f = kzalloc(sizeof(*f));
    if (f)
        file_init(f, ops, priv, flags);
    return f;
}

void file_get(struct file *f)
{
    f->refs++;
}

void file_put(struct file *f)
{
    if (--f->refs > 0)
        return;
    if (f->ops && f->ops->release)
        f->ops->release(f);
    if (f->inode)
        vfs_inode_put(f->inode);
    kfree(f);
}

/* /proc files: the content generated at open, read from the snapshot. */
struct snapshot {
    size_t len;
    char data[];
};

static long snap_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    struct snapshot *s = f->priv;
    if (*pos >= s->len)
        return 0;
    size_t n = MIN(len, s->len - *pos);
    memcpy(buf, s->data + *pos, n);
    *pos += n;
    return n;
}

static void snap_release(struct file *f)
{
    kfree(f->priv);
}

static const struct file_ops snapshot_ops = {.read = snap_read, .release = snap_release};

struct file *vfs_open(struct inode *ino, int flags, int *err)
{
    const struct file_ops *ops = ino->fops;
    void *priv = NULL;
    if (S_ISDIR(ino->mode)) {
        if ((flags & O_ACCMODE) != O_RDONLY) {
            *err = -EISDIR;
            return NULL;
        }
        ops = &ramfs_dir_ops;
    } else if (ino->gen) {
        struct snapshot *s = kmalloc(sizeof(*s) + 4096);
        if (!s) {
            *err = -ENOMEM;
            return NULL;
        }
        long n = ino->gen(s->data, 4096);
        s->len = n < 0 ? 0 : MIN((size_t)n, 4096);
        ops = &snapshot_ops;
        priv = s;
    } else if (S_ISREG(ino->mode)) {
        ops = &ramfs_file_ops;
    } else if (!ops) {
        *err = -ENXIO;
        return NULL;
    }
    struct file *f = file_new(ops, priv, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC));
    if (!f) {
        kfree(priv);
        *err = -ENOMEM;
        return NULL;
    }
    f->inode = ino;
    vfs_inode_get(ino);
    return f;
}

int vfs_init(void)
{
    static struct inode root_inode; /* static memory: never freed (nlink stays >= 2) */
    root = &root_inode;
    memset(root, 0, sizeof(*root));
    vfs_init_inode(root, S_IFDIR | 0755);
    root->nlink = 2;
    root->refs = 1;
    return 0;
}
