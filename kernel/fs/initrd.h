/* Filling the file tree at boot (fs/initrd.c). */
#ifndef MOTE_INITRD_H
#define MOTE_INITRD_H

#include "mote/types.h"

/* Adds every bootfs file (read in place, mappable into the program). Returns the count. */
int initrd_add_bootfs(void);
/* Unpacks the cpio newc initrd at physical [addr, addr+size), gzip-compressed or not, over the
 * tree (a later entry replaces an earlier one). Returns the number of entries, or a negative
 * errno after printing what is wrong. */
int initrd_unpack(uint64_t addr, uint64_t size);

int dev_init(void);
/* The console device (/dev/console's inode, whatever the tree says later). */
struct inode *dev_console(void);
/* /dev/vda, /dev/vdb, ...: a block-device file per disk of the block layer (after the drivers). */
int dev_add_disks(void);

#endif
