/* The ext4 core's internals, shared by its files (not for callers: see ext4.h). */
#ifndef MOTE_EXT4_PRIV_H
#define MOTE_EXT4_PRIV_H

#include "errno.h"
#include "fs/ext4/ext4.h"
#include "fs/ext4/layout.h"
#include "mote/string.h"

#ifndef EUCLEAN
#define EUCLEAN 117
#endif

/* Memory (port.c in the kernel, the test's allocator on the host). ext4_malloc zeroes. */
void *ext4_malloc(size_t size);
void ext4_mfree(void *p);

/* CRCs (crc.c): raw CRC32C (Castagnoli, reflected, no final inversion: what ext4 and e2fsprogs
 * call crc32c_le) and CRC16 (ANSI, reflected 0xA001: what gdt_csum uses). */
uint32_t ext4_crc32c(uint32_t crc, const void *buf, size_t len);
uint16_t ext4_crc16(uint16_t crc, const void *buf, size_t len);

/* The buffer cache (cache.c): one buffer per file system block, found by block number, LRU among
 * the unreferenced ones, written back when dirty (on eviction and by ext4_cache_sync). */
struct ext4_buf {
    uint64_t blk;
    uint8_t *data;
    bool dirty;
    int refs;
    struct ext4_buf *hnext;        /* hash chain */
    struct ext4_buf *lprev, *lnext; /* LRU list: most recent at the head */
};
struct ext4_cache {
    struct ext4_buf **hash;
    unsigned nhash;  /* power of two */
    unsigned count;  /* buffers allocated */
    unsigned limit;  /* soft capacity: exceeded only while every buffer is referenced */
    unsigned ndirty;
    struct ext4_buf *lru_head, *lru_tail;
    struct ext4_cache_stats stats;
};

struct ext4_fs {
    struct ext4_dev dev;
    struct ext4_super sb; /* in-memory copy, written back by ext4_sync */
    bool ro, sb_dirty;
    uint16_t mount_state;   /* s_state when mounted: restored at unmount */
    uint32_t bs;            /* block size */
    uint32_t bs_shift;
    uint64_t blocks;        /* s_blocks_count */
    uint32_t first_data_block;
    uint32_t bpg, ipg;      /* blocks and inodes per group */
    uint32_t ngroups;
    uint32_t inode_size;
    uint32_t desc_size;
    uint32_t inodes_per_block;
    uint32_t itb_per_group; /* inode table blocks per group */
    uint32_t first_ino;
    uint32_t csum_seed;     /* metadata_csum seed */
    bool csum, gdt_csum, has_64bit, has_extents, has_filetype, huge_file;
    uint8_t *gdt;           /* ngroups * desc_size bytes, the descriptors in memory */
    uint8_t *gd_dirty;      /* per group: counts, flags or bitmaps changed since the last sync */
    uint64_t gdt_block;     /* first block of the descriptor table */
    uint32_t alloc_group;   /* where the last allocation ended, for the next goal */
    uint32_t gen;           /* generation numbers for new inodes */
    struct ext4_cache cache;
};

static inline bool ext4_ro_compat(const struct ext4_fs *fs, uint32_t f)
{
    return (fs->sb.s_feature_ro_compat & f) != 0;
}

/* cache.c. ext4_bget reads the block (or, with zero, gives it zeroed without reading, for a
 * block about to be overwritten); each successful bget needs one ext4_bput. */
int ext4_cache_init(struct ext4_fs *fs, unsigned limit);
void ext4_cache_destroy(struct ext4_fs *fs);
int ext4_bget(struct ext4_fs *fs, uint64_t blk, bool zero, struct ext4_buf **out);
void ext4_bput(struct ext4_fs *fs, struct ext4_buf *b);
void ext4_bdirty(struct ext4_fs *fs, struct ext4_buf *b);
/* The cached buffer of blk, or NULL; no reference taken, no I/O. */
struct ext4_buf *ext4_bpeek(struct ext4_fs *fs, uint64_t blk);
/* Forgets a freed block (dirty contents dropped). */
void ext4_bforget(struct ext4_fs *fs, uint64_t blk);
int ext4_cache_sync(struct ext4_fs *fs);
int ext4_dev_read(struct ext4_fs *fs, uint64_t blk, void *buf, uint64_t nblocks);
int ext4_dev_write(struct ext4_fs *fs, uint64_t blk, const void *buf, uint64_t nblocks);

/* super.c / group.c */
struct ext4_group_desc *ext4_gd(struct ext4_fs *fs, uint32_t g);
uint64_t ext4_gd_block_bitmap(struct ext4_fs *fs, uint32_t g);
uint64_t ext4_gd_inode_bitmap(struct ext4_fs *fs, uint32_t g);
uint64_t ext4_gd_inode_table(struct ext4_fs *fs, uint32_t g);
uint32_t ext4_gd_free_blocks(struct ext4_fs *fs, uint32_t g);
uint32_t ext4_gd_free_inodes(struct ext4_fs *fs, uint32_t g);
uint16_t ext4_gd_csum(struct ext4_fs *fs, uint32_t g);
int ext4_groups_sync(struct ext4_fs *fs); /* descriptor checksums, descriptors into the cache */
uint32_t ext4_bitmap_csum(struct ext4_fs *fs, const uint8_t *bitmap, bool inodes);
void ext4_gd_set_bitmap_csum(struct ext4_fs *fs, uint32_t g, const uint8_t *bitmap, bool inodes);
int ext4_gd_check_bitmap(struct ext4_fs *fs, uint32_t g, const uint8_t *bitmap, bool inodes);
bool ext4_group_has_super(struct ext4_fs *fs, uint32_t g);
uint64_t ext4_group_first_block(struct ext4_fs *fs, uint32_t g);
uint32_t ext4_group_blocks(struct ext4_fs *fs, uint32_t g);
void ext4_init_block_bitmap(struct ext4_fs *fs, uint32_t g, uint8_t *map);
/* gd_dirty bits */
#define EXT4_GD_DIRTY 1
int ext4_super_write(struct ext4_fs *fs);
uint64_t ext4_sb_free_blocks(const struct ext4_fs *fs);
bool ext4_valid_block(struct ext4_fs *fs, uint64_t blk, uint64_t count);
void ext4_now(struct ext4_fs *fs, struct ext4_time *t);

/* alloc.c: blocks near goal (up to want contiguous, at least one), inodes near a group. */
int ext4_balloc(struct ext4_fs *fs, uint64_t goal, uint32_t want, uint64_t *blk, uint32_t *got);
int ext4_bfree(struct ext4_fs *fs, uint64_t blk, uint64_t count);
int ext4_ialloc(struct ext4_fs *fs, uint32_t near_group, bool dir, ext4_ino_t *ino);
int ext4_ifree(struct ext4_fs *fs, ext4_ino_t ino, bool dir);

/* inode.c: an inode is used in place in its inode-table buffer. */
struct ext4_iref {
    ext4_ino_t ino;
    struct ext4_inode *raw;
    struct ext4_buf *buf;
    bool dirty;
};
int ext4_iget(struct ext4_fs *fs, ext4_ino_t ino, struct ext4_iref *ir);
/* Checksums (if dirty) and releases the inode. */
void ext4_iput(struct ext4_fs *fs, struct ext4_iref *ir);
uint32_t ext4_inode_csum_seed(struct ext4_fs *fs, const struct ext4_iref *ir);
uint64_t ext4_isize(const struct ext4_inode *raw);
void ext4_set_isize(struct ext4_fs *fs, struct ext4_inode *raw, uint64_t size);
uint64_t ext4_iblocks(struct ext4_fs *fs, const struct ext4_inode *raw); /* 512-byte units */
void ext4_iblocks_add(struct ext4_fs *fs, struct ext4_iref *ir, int64_t fs_blocks);
void ext4_itime(struct ext4_fs *fs, struct ext4_iref *ir, bool a, bool m, bool c);
void ext4_set_time(struct ext4_fs *fs, struct ext4_iref *ir, int which, const struct ext4_time *t);
uint64_t ext4_file_acl(const struct ext4_inode *raw);
int ext4_inode_init(struct ext4_fs *fs, ext4_ino_t ino, uint32_t mode, struct ext4_iref *ir);
/* Drops a link; at zero frees blocks, the xattr block and the inode. */
int ext4_drop_link(struct ext4_fs *fs, ext4_ino_t ino);
bool ext4_fast_symlink(struct ext4_fs *fs, const struct ext4_inode *raw);

/* map.c / extent.c / indirect.c: logical file block -> physical block. */
#define EXT4_MAP_UNWRITTEN 1
#define EXT4_MAP_NEW 2 /* allocated by this call: contents undefined */
struct ext4_map {
    uint64_t pblk;   /* 0: a hole */
    uint32_t len;    /* blocks in this run (hole or mapped) */
    int flags;
};
int ext4_bmap(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, struct ext4_map *m);
/* Maps lblk, allocating up to want blocks for a hole there; m->len >= 1 on success. */
int ext4_bmap_alloc(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, uint32_t want,
                    struct ext4_map *m);
/* Frees every block from lblk on. */
int ext4_bmap_truncate(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk);
uint64_t ext4_max_lblocks(struct ext4_fs *fs, const struct ext4_inode *raw);

int ext4_ext_map(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, struct ext4_map *m);
int ext4_ext_insert(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, uint64_t pblk,
                    uint32_t len, bool unwritten);
int ext4_ext_truncate(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk);
int ext4_ext_mark_written(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk);
void ext4_ext_init_root(struct ext4_inode *raw);
int ext4_ind_map(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk, bool alloc,
                 struct ext4_map *m);
int ext4_ind_truncate(struct ext4_fs *fs, struct ext4_iref *ir, uint32_t lblk);

/* dir.c */
int ext4_dir_find(struct ext4_fs *fs, struct ext4_iref *dir, const char *name, size_t len,
                  ext4_ino_t *ino);
int ext4_dir_add(struct ext4_fs *fs, struct ext4_iref *dir, const char *name, size_t len,
                 ext4_ino_t ino, uint32_t mode);
int ext4_dir_remove(struct ext4_fs *fs, struct ext4_iref *dir, const char *name, size_t len);
/* Points an existing entry at another inode (rename over, ".." of a moved directory). */
int ext4_dir_set(struct ext4_fs *fs, struct ext4_iref *dir, const char *name, size_t len,
                 ext4_ino_t ino, uint32_t mode);
int ext4_dir_next(struct ext4_fs *fs, struct ext4_iref *dir, uint64_t *pos,
                  struct ext4_dirent_info *ent);
int ext4_dir_empty(struct ext4_fs *fs, struct ext4_iref *dir);
int ext4_dir_init(struct ext4_fs *fs, struct ext4_iref *dir, ext4_ino_t parent);
uint8_t ext4_mode_ft(uint32_t mode);

int ext4_iget_dir(struct ext4_fs *fs, ext4_ino_t ino, struct ext4_iref *ir);

/* file.c: reads and writes for file data, directories and slow symlinks alike. */
long ext4_iread(struct ext4_fs *fs, struct ext4_iref *ir, uint64_t off, void *buf, size_t len);
long ext4_iwrite(struct ext4_fs *fs, struct ext4_iref *ir, uint64_t off, const void *buf,
                 size_t len);
int ext4_itruncate(struct ext4_fs *fs, struct ext4_iref *ir, uint64_t size);

#define EXT4_S_IFMT 0170000
#define EXT4_S_IFLNK 0120000
#define EXT4_S_IFREG 0100000
#define EXT4_S_IFDIR 0040000
#define EXT4_S_ISDIR(m) (((m)&EXT4_S_IFMT) == EXT4_S_IFDIR)
#define EXT4_S_ISREG(m) (((m)&EXT4_S_IFMT) == EXT4_S_IFREG)
#define EXT4_S_ISLNK(m) (((m)&EXT4_S_IFMT) == EXT4_S_IFLNK)

#endif
