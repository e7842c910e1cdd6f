/* Host helpers for the ext4 core's tests: an image file as the device, stock e2fsprogs to make
 * and check images, a generated source tree, and a tree comparison (core vs a host folder). */
#ifndef EXT4_UTIL_H
#define EXT4_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fs/ext4/ext4.h"

struct filedev {
    struct ext4_dev dev;
    int fd;
    unsigned flushes;
    bool real_flush; /* fdatasync on flush (benchmarks); the tests only count */
};

int filedev_open(struct filedev *fd, const char *path);
void filedev_close(struct filedev *fd);
/* Mounts path; NULL on failure (the reason printed). */
struct ext4_fs *mount_image(struct filedev *fd, const char *path, unsigned flags);

/* Runs a shell command; returns its exit status. */
int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* mke2fs -t type -b bs [-d dir] an image of mib MiB (extra: more options, may be ""). */
int make_image(const char *img, const char *type, unsigned bs, unsigned mib, const char *dir,
               const char *extra);
/* e2fsck -fn: 0 when clean (its output shown otherwise). */
int fsck_clean(const char *img);

/* The test tree: files of many sizes, sparse files (one with data past 4 GiB), deep
 * directories, 255-byte names, fast and slow symlinks, hard links, a 2000-entry directory. */
void make_tree(const char *root);
/* Compares the tree under the core's path with the host folder; prints the first difference.
 * Returns the number of differences. */
int compare_tree(struct ext4_fs *fs, const char *ext_path, const char *host_path);
/* A temporary folder under /tmp, removed by cleanup_dir. */
char *temp_dir(const char *tag);
void cleanup_dir(const char *dir);

#endif
