/* The file system: one tree of inodes in memory (ramfs: directories, regular files, symlinks,
 * hard links), device nodes under /dev and generated files under /proc; open files; path
 * resolution with Linux's rules (path_resolution(7)). Regular file data lives either in place
 * (the bootfs in the kernel image, the initrd: read-only bytes used until the first write) or in
 * pages listed per file. Pure C over kmalloc and the page allocator: the host tests build it. */
#ifndef MOTE_VFS_H
#define MOTE_VFS_H

#include "mote/types.h"

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m)&S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)

#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000

#define NAME_MAX 255
#define PATH_MAX 4096

/* poll(2) bits */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020

struct inode;
struct file;

struct file_ops {
    /* buf is a kernel pointer or a user pointer the caller has checked. */
    long (*read)(struct file *f, void *buf, size_t len, uint64_t *pos);
    long (*write)(struct file *f, const void *buf, size_t len, uint64_t *pos);
    unsigned (*poll)(struct file *f); /* POLL* bits ready now */
    long (*ioctl)(struct file *f, unsigned long cmd, uint64_t arg);
    void (*release)(struct file *f);
    /* poll's answer changes only together with a file_ready_changed() call (pipes, eventfds,
     * sockets): a waiter sleeps until then. Files without it (the console) are asked again
     * every millisecond. */
    bool poll_wakes;
};

/* Readiness changes (fs/ready.c). Take the generation before testing files, then wait for it to
 * move: a change between the test and the wait is not lost. deadline_tsc 0 = none. Returns 0
 * once woken (test again), -ETIMEDOUT past the deadline, -ERESTARTSYS when a signal waits for
 * the caller's process or it is ending: the caller stops waiting, drops what it holds, and
 * returns that (or -EINTR, or what it already transferred). */
uint64_t file_ready_gen(void);
void file_ready_changed(void);
int file_ready_wait(uint64_t gen, uint64_t deadline_tsc);

struct dentry {
    struct dentry *next;
    struct dentry *hnext; /* the directory's hash chain */
    struct inode *inode;
    size_t len;
    const char *name; /* storage[], or a static string (vfs_attach) */
    char storage[];
};

struct kts {
    int64_t sec, nsec;
};

/* A file system behind inodes (fs/ext4/vfs_glue.c): the tree in memory is its cache; each change
 * goes to it first. Calls return 0 or a negative errno. */
struct vfs_backing_ops {
    int (*load_dir)(struct inode *dir); /* adds the directory's entries (once) */
    long (*read)(struct inode *ino, void *buf, size_t len, uint64_t off);
    long (*write)(struct inode *ino, const void *buf, size_t len, uint64_t off);
    int (*truncate)(struct inode *ino, uint64_t size);
    /* ino: the new inode (mode set), to be given its backing; target for symlinks */
    int (*mknod)(struct inode *dir, const char *name, struct inode *ino, const char *target);
    int (*link)(struct inode *dir, const char *name, struct inode *ino);
    int (*unlink)(struct inode *dir, const char *name, struct inode *ino);
    int (*rename)(struct inode *odir, const char *oname, struct inode *ndir, const char *nname);
    int (*sync)(struct inode *ino);
    void (*release)(struct inode *ino); /* the inode is freed */
};

struct inode {
    uint64_t ino;
    uint32_t mode, nlink, uid, gid, rdev;
    int refs;      /* open files, mappings, the cwd */
    uint64_t size; /* regular files and symlinks */
    struct kts atime, mtime, ctime;
    const struct file_ops *fops;        /* character devices */
    long (*gen)(char *buf, size_t cap); /* /proc files: the content, made at open */
    const char *(*dynlink)(void);       /* /proc/self/exe: the target, asked at each lookup */
    /* directories */
    struct inode *parent;
    struct dentry *children, *last_child; /* in creation order; last_child: appends are O(1) */
    struct dentry **htab; /* name hash, made past a few entries: lookups stay O(1) */
    uint32_t hsize, nchildren;
    uint32_t dir_version; /* bumped when an entry goes away: invalidates getdents cursors */
    /* regular files: bytes in place (ext, read-only) until the first write, then pages */
    const uint8_t *ext;
    bool ext_mappable; /* ext is page-aligned and lives as long as the kernel (the bootfs) */
    paddr_t *pages;
    uint64_t npages; /* entries in pages[] (0 = hole) */
    char *target;    /* symlinks */
    /* directories with entries not linked yet (fs/initrd.c: the bootfs files under /, linked on
     * first use): called, with pending cleared, before a name is found missing, before a listing
     * and before a new entry; links those up to and including name (every one when name is NULL
     * or not among them), and sets pending again if some are left */
    void (*pending)(struct inode *dir, const char *name, size_t n);
    /* a backing file system (NULL: ramfs); directories load their entries on first use */
    const struct vfs_backing_ops *bops;
    void *bpriv;
    bool bloaded;
};
/* Adds an entry for an inode the backing file system already has (no backing call). */
int vfs_add_loaded(struct inode *dir, const char *name, struct inode *ino);

struct file {
    int refs;
    int flags; /* O_ACCMODE, O_APPEND, O_NONBLOCK as open() got them */
    uint64_t pos;
    struct inode *inode; /* NULL for pipes, eventfds, epoll */
    const struct file_ops *ops;
    void *priv;
};

/* Builds the tree: /, /dev (console, null, zero, random, urandom, tty), /proc (cpuinfo,
 * meminfo, self/exe), /tmp. */
int vfs_init(void);
struct inode *vfs_root(void);

/* Resolution flags */
#define LOOKUP_FOLLOW 1    /* follow a symlink in the last component */
#define LOOKUP_DIRECTORY 2 /* the result must be a directory */

/* Resolves path from dir (absolute paths start at the root). Returns 0 with *out (no reference
 * taken), or -ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EINVAL... */
int vfs_lookup(struct inode *dir, const char *path, int flags, struct inode **out);
/* Resolves all but the last component: *parent (a directory) and last (a name, NUL-terminated,
 * NAME_MAX+1 bytes; "" when the path is "/"; "." or ".." are returned as such). *slash is set
 * when the path ends in '/'. */
int vfs_lookup_parent(struct inode *dir, const char *path, struct inode **parent, char *last,
                      bool *slash);
/* Looks a name up in a directory (no "." / ".."). */
struct inode *vfs_child(struct inode *dir, const char *name);

struct inode *vfs_new_inode(uint32_t mode);
/* Boot-time nodes in static memory (fs/dev.c): fills ino as vfs_new_inode does, and links a
 * dentry whose name, len and inode the caller has set, with no allocation and no checks. */
void vfs_init_inode(struct inode *ino, uint32_t mode);
/* Reserves n inode numbers for nodes initialised statically (fs/dev.c); returns the first. */
uint64_t vfs_reserve_inos(unsigned n);
void vfs_attach(struct inode *dir, struct dentry *d);
/* Links a non-directory node in static memory that exists since boot (the bootfs): d's name, len
 * and inode set; the inode zeroed but for its data and, if not 0, its number (else the next one);
 * its times stay 0 (as every node's made before the first process) and dir's are not touched.
 * Returns 0, or -EEXIST (nothing done) when dir has the name already. */
int vfs_add_static(struct inode *dir, struct dentry *d, uint32_t mode);
void vfs_inode_get(struct inode *ino);
void vfs_inode_put(struct inode *ino);
/* Names: each returns 0 or a negative errno with Linux's meaning. */
int vfs_link(struct inode *dir, const char *name, struct inode *ino);
int vfs_mknod(struct inode *dir, const char *name, uint32_t mode, struct inode **out);
int vfs_symlink(struct inode *dir, const char *name, const char *target);
int vfs_unlink(struct inode *dir, const char *name, bool rmdir);
int vfs_rename(struct inode *odir, const char *oname, struct inode *ndir, const char *nname);
/* The symlink's target (static for /proc/self/exe). */
const char *vfs_readlink(struct inode *ino);
/* Writes the absolute path of a directory into buf; returns its length or -ERANGE. */
long vfs_path_of(struct inode *dir, char *buf, size_t size);
/* The i-th directory entry, "." and ".." included first; NULL past the end. *cursor (NULL at
 * first, kept by the caller with the version it was made under) makes a walk in order cost one
 * step per entry. */
struct dirent_cursor {
    struct dentry *next;
    uint64_t index;
    uint32_t version;
};
const char *vfs_dirent(struct inode *dir, uint64_t i, struct inode **ino, struct dirent_cursor *c);

/* Regular file data (fs/ramfs.c). */
long ramfs_read(struct inode *ino, void *buf, size_t len, uint64_t off);
long ramfs_write(struct inode *ino, const void *buf, size_t len, uint64_t off);
int ramfs_truncate(struct inode *ino, uint64_t size);
/* Sets a file's content to bytes that stay in place (bootfs, initrd). */
void ramfs_set_ext(struct inode *ino, const uint8_t *data, uint64_t size, bool mappable);
/* The physical page holding bytes [idx*4096, +4096) when it can be mapped in place into a
 * program read-only (bootfs pages only), else 0. */
paddr_t ramfs_page_phys(struct inode *ino, uint64_t idx);
/* A contiguous kernel view of the whole file (in place, or the pages mapped together); release it
 * with ramfs_unview. NULL for an empty file or when out of memory. */
const uint8_t *ramfs_view(struct inode *ino);
void ramfs_unview(struct inode *ino, const uint8_t *view);
long vfs_read_kernel(struct inode *ino, void *buf, size_t len, uint64_t off);

/* Open files. */
struct file *vfs_open(struct inode *ino, int flags, int *err);
struct file *file_new(const struct file_ops *ops, void *priv, int flags);
/* Sets up a zeroed file in static memory (the first process's fds 0-2), as file_new does. */
void file_init(struct file *f, const struct file_ops *ops, void *priv, int flags);
void file_get(struct file *f);
void file_put(struct file *f);

/* Creates (or finds) a directory chain and the file at path; used to fill the tree at boot. */
struct inode *vfs_make_path(const char *path, uint32_t mode);

/* Time for inode stamps (core/time.c, or the host test's). */
struct kts vfs_now(void);

extern const struct file_ops ramfs_file_ops, ramfs_dir_ops;

#endif
