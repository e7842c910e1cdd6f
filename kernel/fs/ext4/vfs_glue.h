/* ext4 file systems in the VFS tree (fs/vfs.h's backing calls): mounted from the command line
 * (--rootfs=/dev/vda or root=/dev/vda: the disk behind /; --mount=/dev/vdb:/data), unmounted
 * (synced, marked clean) when the program exits. */
#ifndef MOTE_EXT4_VFS_GLUE_H
#define MOTE_EXT4_VFS_GLUE_H

#include "mote/types.h"

struct cmdline;
struct inode;

/* Mounts disk dev ("vda" or "/dev/vda") on directory at; 0 or a negative errno (printed). */
int ext4_vfs_mount(const char *dev, struct inode *at, bool ro);
/* Mounts what the command line asks for; failures are printed, not fatal. */
void ext4_vfs_mount_cmdline(const struct cmdline *cl);
/* Syncs and unmounts every mount (at power-off). */
void ext4_vfs_unmount_all(void);

#endif
