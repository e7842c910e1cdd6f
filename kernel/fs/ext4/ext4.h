/* ext2/ext3/ext4 read-write core (docs/ext4.md). Pure C over a byte-addressed device given as
 * callbacks, so the kernel runs it over the block layer and the host tests over a file.
 * Not thread-safe: the caller holds one lock per mounted file system around every call.
 * Every function returns 0 (or a count) or a negative errno: -EUCLEAN for a corrupt structure,
 * -EIO for a device error, -EROFS when mounted read-only. */
#ifndef MOTE_EXT4_H
#define MOTE_EXT4_H

#include "mote/types.h"

struct ext4_dev {
    /* Byte-addressed I/O; 0 or a negative errno. len and off are multiples of 512. */
    int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
    int (*flush)(void *ctx); /* may be NULL: the device has no volatile cache */
    /* Time for inode stamps and the superblock; may be NULL (the last write time is kept). */
    void (*now)(void *ctx, int64_t *sec, uint32_t *nsec);
    void *ctx;
    uint64_t size; /* bytes */
};

#define EXT4_MOUNT_RDONLY 0x1

struct ext4_mount_opts {
    unsigned flags;
    unsigned cache_blocks; /* buffer cache capacity in blocks; 0: a default (256) */
};

struct ext4_fs;
typedef uint32_t ext4_ino_t;

/* Mounts the file system on dev (dev is copied). On failure returns a negative errno and, when
 * why is not NULL, a one-line reason in why[why_len]. A mount may succeed read-only although
 * read-write was asked (unsupported RO_COMPAT features, a journal needing recovery): check
 * ext4_readonly; the reason is in why then too. */
int ext4_mount(const struct ext4_dev *dev, const struct ext4_mount_opts *opts,
               struct ext4_fs **out, char *why, size_t why_len);
/* Writes everything back, marks the file system clean, flushes the device, frees fs. */
int ext4_umount(struct ext4_fs *fs);
/* Writes every dirty block and the superblock, then flushes the device (fsync/sync). */
int ext4_sync(struct ext4_fs *fs);
bool ext4_readonly(const struct ext4_fs *fs);
ext4_ino_t ext4_root(const struct ext4_fs *fs);

struct ext4_time {
    int64_t sec;
    uint32_t nsec;
};
struct ext4_stat {
    ext4_ino_t ino;
    uint32_t mode, nlink, uid, gid, rdev;
    uint64_t size;
    uint64_t blocks; /* 512-byte units */
    struct ext4_time atime, mtime, ctime;
};
struct ext4_statfs {
    uint32_t block_size;
    uint64_t blocks, free_blocks, avail_blocks;
    uint64_t inodes, free_inodes;
};
int ext4_stat(struct ext4_fs *fs, ext4_ino_t ino, struct ext4_stat *st);
void ext4_statfs(struct ext4_fs *fs, struct ext4_statfs *st);

/* Names: a name is len bytes (1..255, no '/'; not NUL-terminated). */
int ext4_lookup(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len,
                ext4_ino_t *out);
/* Resolves a '/'-separated path from the root of fs (symlinks followed in the middle; in the
 * last component only with follow). For the tests and tools. */
int ext4_resolve(struct ext4_fs *fs, const char *path, bool follow, ext4_ino_t *out);

struct ext4_dirent_info {
    ext4_ino_t ino;
    uint8_t type; /* EXT4_FT_*; 0 without the filetype feature */
    uint8_t name_len;
    char name[256]; /* NUL-terminated */
};
/* The entry at or after *pos (0 at the start; "." and ".." included) into *ent, *pos moved past
 * it. Returns 1 for an entry, 0 at the end of the directory. */
int ext4_readdir(struct ext4_fs *fs, ext4_ino_t dir, uint64_t *pos, struct ext4_dirent_info *ent);

/* File data. Reads stop at the end of the file; holes read as zeros. */
long ext4_read(struct ext4_fs *fs, ext4_ino_t ino, uint64_t off, void *buf, size_t len);
long ext4_write(struct ext4_fs *fs, ext4_ino_t ino, uint64_t off, const void *buf, size_t len);
int ext4_truncate(struct ext4_fs *fs, ext4_ino_t ino, uint64_t size);
/* A symlink's target, NUL-terminated in buf; returns its length (-ERANGE if it does not fit). */
long ext4_readlink(struct ext4_fs *fs, ext4_ino_t ino, char *buf, size_t size);

/* Changing the tree (mode: permission bits; the type comes from the call, or from mode's S_IFMT
 * bits for ext4_mknod). */
int ext4_create(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len, uint32_t mode,
                ext4_ino_t *out);
int ext4_mknod(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len, uint32_t mode,
               uint32_t rdev, ext4_ino_t *out);
int ext4_mkdir(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len, uint32_t mode,
               ext4_ino_t *out);
int ext4_symlink(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len,
                 const char *target, ext4_ino_t *out);
int ext4_link(struct ext4_fs *fs, ext4_ino_t ino, ext4_ino_t dir, const char *name, size_t len);
int ext4_unlink(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len);
int ext4_rmdir(struct ext4_fs *fs, ext4_ino_t dir, const char *name, size_t len);
/* Replaces an existing target as rename(2) does. */
int ext4_rename(struct ext4_fs *fs, ext4_ino_t odir, const char *oname, size_t olen,
                ext4_ino_t ndir, const char *nname, size_t nlen);
/* chmod/chown/utimes: mode's permission bits, uid/gid, and times (NULL: unchanged). */
int ext4_setattr(struct ext4_fs *fs, ext4_ino_t ino, const uint32_t *mode, const uint32_t *uid,
                 const uint32_t *gid, const struct ext4_time *atime,
                 const struct ext4_time *mtime);

/* Counters, for the tests and benchmarks. */
struct ext4_cache_stats {
    uint64_t hits, misses, writebacks, evictions;
};
void ext4_cache_stats(const struct ext4_fs *fs, struct ext4_cache_stats *st);

#endif
