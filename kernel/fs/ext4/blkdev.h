/* The ext4 core over a disk of the block layer (mote/blk.h): byte requests become sector
 * requests; buffers outside the direct map, or not physically contiguous, go through a bounce
 * page. */
#ifndef MOTE_EXT4_BLKDEV_H
#define MOTE_EXT4_BLKDEV_H

#include "fs/ext4/ext4.h"

struct blk_dev;

/* Mounts the file system on disk d; ext4_umount_blk unmounts it (sync, flush) and frees what
 * ext4_mount_blk allocated. See ext4_mount for why and the read-only fallback. */
int ext4_mount_blk(struct blk_dev *d, const struct ext4_mount_opts *o, struct ext4_fs **out,
                   char *why, size_t why_len);
int ext4_umount_blk(struct ext4_fs *fs);

#endif
