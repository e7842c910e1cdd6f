/* ext2/ext3/ext4 on-disk structures, little-endian, as the kernel's Documentation/filesystems/ext4
 * ("ext4 Data Structures and Algorithms") and e2fsprogs' lib/ext2fs/ext2_fs.h lay them out.
 * Only x86-64 (little-endian) hosts and guests read them, so fields are used as they are. */
#ifndef MOTE_EXT4_LAYOUT_H
#define MOTE_EXT4_LAYOUT_H

#include "mote/types.h"

#define EXT4_SUPER_OFFSET 1024
#define EXT4_SUPER_MAGIC 0xEF53
#define EXT4_ROOT_INO 2
#define EXT4_GOOD_OLD_INODE_SIZE 128
#define EXT4_GOOD_OLD_FIRST_INO 11
#define EXT4_N_BLOCKS 15
#define EXT4_NDIR_BLOCKS 12
#define EXT4_NAME_LEN 255

/* s_state */
#define EXT4_VALID_FS 0x0001
#define EXT4_ERROR_FS 0x0002

/* Feature bits (ext4 docs §"The Super Block"). */
#define EXT4_COMPAT_HAS_JOURNAL 0x0004
#define EXT4_COMPAT_SPARSE_SUPER2 0x0200

#define EXT4_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT4_RO_COMPAT_LARGE_FILE 0x0002
#define EXT4_RO_COMPAT_BTREE_DIR 0x0004
#define EXT4_RO_COMPAT_HUGE_FILE 0x0008
#define EXT4_RO_COMPAT_GDT_CSUM 0x0010
#define EXT4_RO_COMPAT_DIR_NLINK 0x0020
#define EXT4_RO_COMPAT_EXTRA_ISIZE 0x0040
#define EXT4_RO_COMPAT_METADATA_CSUM 0x0400

#define EXT4_INCOMPAT_FILETYPE 0x0002
#define EXT4_INCOMPAT_RECOVER 0x0004
#define EXT4_INCOMPAT_JOURNAL_DEV 0x0008
#define EXT4_INCOMPAT_META_BG 0x0010
#define EXT4_INCOMPAT_EXTENTS 0x0040
#define EXT4_INCOMPAT_64BIT 0x0080
#define EXT4_INCOMPAT_MMP 0x0100
#define EXT4_INCOMPAT_FLEX_BG 0x0200
#define EXT4_INCOMPAT_EA_INODE 0x0400
#define EXT4_INCOMPAT_DIRDATA 0x1000
#define EXT4_INCOMPAT_CSUM_SEED 0x2000
#define EXT4_INCOMPAT_LARGEDIR 0x4000
#define EXT4_INCOMPAT_INLINE_DATA 0x8000
#define EXT4_INCOMPAT_ENCRYPT 0x10000
#define EXT4_INCOMPAT_CASEFOLD 0x20000

/* What this driver reads and writes. Other INCOMPAT bits fail the mount; other RO_COMPAT bits
 * make it read-only (we would not keep their structures right). */
#define EXT4_INCOMPAT_SUPP                                                                      \
    (EXT4_INCOMPAT_FILETYPE | EXT4_INCOMPAT_RECOVER | EXT4_INCOMPAT_EXTENTS |                   \
     EXT4_INCOMPAT_64BIT | EXT4_INCOMPAT_FLEX_BG | EXT4_INCOMPAT_EA_INODE |                    \
     EXT4_INCOMPAT_CSUM_SEED | EXT4_INCOMPAT_LARGEDIR)
#define EXT4_RO_COMPAT_SUPP                                                                     \
    (EXT4_RO_COMPAT_SPARSE_SUPER | EXT4_RO_COMPAT_LARGE_FILE | EXT4_RO_COMPAT_BTREE_DIR |      \
     EXT4_RO_COMPAT_HUGE_FILE | EXT4_RO_COMPAT_GDT_CSUM | EXT4_RO_COMPAT_DIR_NLINK |           \
     EXT4_RO_COMPAT_EXTRA_ISIZE | EXT4_RO_COMPAT_METADATA_CSUM)

struct ext4_super {
    uint32_t s_inodes_count;
    uint32_t s_blocks_count_lo;
    uint32_t s_r_blocks_count_lo;
    uint32_t s_free_blocks_count_lo;
    uint32_t s_free_inodes_count;
    uint32_t s_first_data_block;
    uint32_t s_log_block_size;
    uint32_t s_log_cluster_size;
    uint32_t s_blocks_per_group;
    uint32_t s_clusters_per_group;
    uint32_t s_inodes_per_group;
    uint32_t s_mtime;
    uint32_t s_wtime;
    uint16_t s_mnt_count;
    int16_t s_max_mnt_count;
    uint16_t s_magic;
    uint16_t s_state;
    uint16_t s_errors;
    uint16_t s_minor_rev_level;
    uint32_t s_lastcheck;
    uint32_t s_checkinterval;
    uint32_t s_creator_os;
    uint32_t s_rev_level;
    uint16_t s_def_resuid;
    uint16_t s_def_resgid;
    /* EXT4_DYNAMIC_REV */
    uint32_t s_first_ino;
    uint16_t s_inode_size;
    uint16_t s_block_group_nr;
    uint32_t s_feature_compat;
    uint32_t s_feature_incompat;
    uint32_t s_feature_ro_compat;
    uint8_t s_uuid[16];
    char s_volume_name[16];
    char s_last_mounted[64];
    uint32_t s_algorithm_usage_bitmap;
    uint8_t s_prealloc_blocks;
    uint8_t s_prealloc_dir_blocks;
    uint16_t s_reserved_gdt_blocks;
    uint8_t s_journal_uuid[16];
    uint32_t s_journal_inum;
    uint32_t s_journal_dev;
    uint32_t s_last_orphan;
    uint32_t s_hash_seed[4];
    uint8_t s_def_hash_version;
    uint8_t s_jnl_backup_type;
    uint16_t s_desc_size;
    uint32_t s_default_mount_opts;
    uint32_t s_first_meta_bg;
    uint32_t s_mkfs_time;
    uint32_t s_jnl_blocks[17];
    /* 64-bit */
    uint32_t s_blocks_count_hi;
    uint32_t s_r_blocks_count_hi;
    uint32_t s_free_blocks_count_hi;
    uint16_t s_min_extra_isize;
    uint16_t s_want_extra_isize;
    uint32_t s_flags;
    uint16_t s_raid_stride;
    uint16_t s_mmp_interval;
    uint64_t s_mmp_block;
    uint32_t s_raid_stripe_width;
    uint8_t s_log_groups_per_flex;
    uint8_t s_checksum_type;
    uint16_t s_reserved_pad;
    uint64_t s_kbytes_written;
    uint8_t s_rest[0x3fc - 0x180]; /* snapshots, error info, mount options, s_checksum_seed */
    uint32_t s_checksum;
};
_Static_assert(sizeof(struct ext4_super) == 1024, "superblock layout");
_Static_assert(__builtin_offsetof(struct ext4_super, s_kbytes_written) == 0x178, "sb offsets");
_Static_assert(__builtin_offsetof(struct ext4_super, s_desc_size) == 0xfe, "sb offsets");
/* s_checksum_seed lives at 0x270 (inside s_rest); read it by offset. */
#define EXT4_SB_CHECKSUM_SEED_OFF 0x270
#define EXT4_SB_CHECKSUM_OFF 0x3fc
#define EXT4_SB_SIZE 1024

/* Group descriptor: 32 bytes, or s_desc_size (>= 64) with INCOMPAT_64BIT. */
struct ext4_group_desc {
    uint32_t bg_block_bitmap_lo;
    uint32_t bg_inode_bitmap_lo;
    uint32_t bg_inode_table_lo;
    uint16_t bg_free_blocks_count_lo;
    uint16_t bg_free_inodes_count_lo;
    uint16_t bg_used_dirs_count_lo;
    uint16_t bg_flags;
    uint32_t bg_exclude_bitmap_lo;
    uint16_t bg_block_bitmap_csum_lo;
    uint16_t bg_inode_bitmap_csum_lo;
    uint16_t bg_itable_unused_lo;
    uint16_t bg_checksum;
    /* 64-bit */
    uint32_t bg_block_bitmap_hi;
    uint32_t bg_inode_bitmap_hi;
    uint32_t bg_inode_table_hi;
    uint16_t bg_free_blocks_count_hi;
    uint16_t bg_free_inodes_count_hi;
    uint16_t bg_used_dirs_count_hi;
    uint16_t bg_itable_unused_hi;
    uint32_t bg_exclude_bitmap_hi;
    uint16_t bg_block_bitmap_csum_hi;
    uint16_t bg_inode_bitmap_csum_hi;
    uint32_t bg_reserved;
};
_Static_assert(sizeof(struct ext4_group_desc) == 64, "group descriptor layout");
#define EXT4_BG_CHECKSUM_OFF 0x1e
#define EXT4_MIN_DESC_SIZE 32
#define EXT4_MIN_DESC_SIZE_64BIT 64
#define EXT4_MAX_DESC_SIZE 1024

#define EXT4_BG_INODE_UNINIT 0x0001
#define EXT4_BG_BLOCK_UNINIT 0x0002
#define EXT4_BG_INODE_ZEROED 0x0004

struct ext4_inode {
    uint16_t i_mode;
    uint16_t i_uid;
    uint32_t i_size_lo;
    uint32_t i_atime;
    uint32_t i_ctime;
    uint32_t i_mtime;
    uint32_t i_dtime;
    uint16_t i_gid;
    uint16_t i_links_count;
    uint32_t i_blocks_lo;
    uint32_t i_flags;
    uint32_t i_version;
    uint32_t i_block[EXT4_N_BLOCKS];
    uint32_t i_generation;
    uint32_t i_file_acl_lo;
    uint32_t i_size_high;
    uint32_t i_obso_faddr;
    uint16_t i_blocks_high;
    uint16_t i_file_acl_high;
    uint16_t i_uid_high;
    uint16_t i_gid_high;
    uint16_t i_checksum_lo;
    uint16_t i_reserved;
    /* large inodes: the first i_extra_isize bytes past 128 are valid */
    uint16_t i_extra_isize;
    uint16_t i_checksum_hi;
    uint32_t i_ctime_extra;
    uint32_t i_mtime_extra;
    uint32_t i_atime_extra;
    uint32_t i_crtime;
    uint32_t i_crtime_extra;
    uint32_t i_version_hi;
    uint32_t i_projid;
};
_Static_assert(sizeof(struct ext4_inode) == 160, "inode layout");
_Static_assert(__builtin_offsetof(struct ext4_inode, i_checksum_hi) == 0x82, "inode layout");
#define EXT4_INODE_CSUM_LO_OFF 0x7c
#define EXT4_INODE_CSUM_HI_OFF 0x82
/* An extra field is present when i_extra_isize covers it. */
#define EXT4_FITS_EXTRA(raw, field)                                                             \
    ((size_t)EXT4_GOOD_OLD_INODE_SIZE + (raw)->i_extra_isize >=                                 \
     __builtin_offsetof(struct ext4_inode, field) + sizeof((raw)->field))

/* i_flags */
#define EXT4_INDEX_FL 0x00001000
#define EXT4_HUGE_FILE_FL 0x00040000
#define EXT4_EXTENTS_FL 0x00080000
#define EXT4_EA_INODE_FL 0x00200000
#define EXT4_INLINE_DATA_FL 0x10000000

/* Extent tree (ext4 docs §"Extent Tree"). */
#define EXT4_EXT_MAGIC 0xF30A
#define EXT4_EXT_MAX_DEPTH 5
#define EXT4_EXT_INIT_MAX_LEN 32768u
struct ext4_extent_header {
    uint16_t eh_magic;
    uint16_t eh_entries;
    uint16_t eh_max;
    uint16_t eh_depth;
    uint32_t eh_generation;
};
struct ext4_extent {
    uint32_t ee_block;
    uint16_t ee_len; /* > 32768: unwritten, length ee_len - 32768 */
    uint16_t ee_start_hi;
    uint32_t ee_start_lo;
};
struct ext4_extent_idx {
    uint32_t ei_block;
    uint32_t ei_leaf_lo;
    uint16_t ei_leaf_hi;
    uint16_t ei_unused;
};
_Static_assert(sizeof(struct ext4_extent_header) == 12, "extent header");
_Static_assert(sizeof(struct ext4_extent) == 12, "extent");
_Static_assert(sizeof(struct ext4_extent_idx) == 12, "extent index");

/* Directory entries (ext4 docs §"Directory Entries"). */
struct ext4_dirent {
    uint32_t inode;
    uint16_t rec_len;
    uint8_t name_len;
    uint8_t file_type; /* name_len's high byte without INCOMPAT_FILETYPE */
    char name[];
};
#define EXT4_DIRENT_HDR 8
#define EXT4_DIRENT_TAIL_SIZE 12
#define EXT4_DIRENT_TAIL_FT 0xDE
#define EXT4_FT_UNKNOWN 0
#define EXT4_FT_REG 1
#define EXT4_FT_DIR 2
#define EXT4_FT_CHR 3
#define EXT4_FT_BLK 4
#define EXT4_FT_FIFO 5
#define EXT4_FT_SOCK 6
#define EXT4_FT_SYMLINK 7

_Static_assert(sizeof(struct ext4_dirent) == 8, "directory entry");

/* Extended attribute block header: only its reference count and checksum are touched. */
#define EXT4_XATTR_MAGIC 0xEA020000
struct ext4_xattr_header {
    uint32_t h_magic;
    uint32_t h_refcount;
    uint32_t h_blocks;
    uint32_t h_hash;
    uint32_t h_checksum;
    uint32_t h_reserved[3];
};

#endif
