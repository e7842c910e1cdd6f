/* Block group descriptors (ext4 docs §"Block Group Descriptors"): accessors, checksums
 * (crc16 for gdt_csum, crc32c for metadata_csum, §"Checksums"), bitmap checksums, and writing
 * changed descriptors back through the cache. */
#include "fs/ext4/priv.h"

#define BB_CSUM_HI_END 0x3a /* bg_block_bitmap_csum_hi present when desc_size reaches it */
#define IB_CSUM_HI_END 0x3c

struct ext4_group_desc *ext4_gd(struct ext4_fs *fs, uint32_t g)
{
    return (struct ext4_group_desc *)(fs->gdt + (size_t)g * fs->desc_size);
}

static uint64_t hi32(struct ext4_fs *fs, uint32_t hi)
{
    return fs->desc_size >= EXT4_MIN_DESC_SIZE_64BIT ? (uint64_t)hi << 32 : 0;
}
static uint32_t hi16(struct ext4_fs *fs, uint16_t hi)
{
    return fs->desc_size >= EXT4_MIN_DESC_SIZE_64BIT ? (uint32_t)hi << 16 : 0;
}

uint64_t ext4_gd_block_bitmap(struct ext4_fs *fs, uint32_t g)
{
    struct ext4_group_desc *d = ext4_gd(fs, g);
    return d->bg_block_bitmap_lo | hi32(fs, d->bg_block_bitmap_hi);
}
uint64_t ext4_gd_inode_bitmap(struct ext4_fs *fs, uint32_t g)
{
    struct ext4_group_desc *d = ext4_gd(fs, g);
    return d->bg_inode_bitmap_lo | hi32(fs, d->bg_inode_bitmap_hi);
}
uint64_t ext4_gd_inode_table(struct ext4_fs *fs, uint32_t g)
{
    struct ext4_group_desc *d = ext4_gd(fs, g);
    return d->bg_inode_table_lo | hi32(fs, d->bg_inode_table_hi);
}
uint32_t ext4_gd_free_blocks(struct ext4_fs *fs, uint32_t g)
{
    struct ext4_group_desc *d = ext4_gd(fs, g);
    return d->bg_free_blocks_count_lo | hi16(fs, d->bg_free_blocks_count_hi);
}
uint32_t ext4_gd_free_inodes(struct ext4_fs *fs, uint32_t g)
{
    struct ext4_group_desc *d = ext4_gd(fs, g);
    return d->bg_free_inodes_count_lo | hi16(fs, d->bg_free_inodes_count_hi);
}

uint16_t ext4_gd_csum(struct ext4_fs *fs, uint32_t g)
{
    const uint8_t *d = (const uint8_t *)ext4_gd(fs, g);
    uint32_t le_group = g;
    const uint16_t zero = 0;
    size_t off = EXT4_BG_CHECKSUM_OFF;
    if (fs->csum) {
        uint32_t c = ext4_crc32c(fs->csum_seed, &le_group, 4);
        c = ext4_crc32c(c, d, off);
        c = ext4_crc32c(c, &zero, 2);
        if (off + 2 < fs->desc_size)
            c = ext4_crc32c(c, d + off + 2, fs->desc_size - off - 2);
        return (uint16_t)c;
    }
    if (!fs->gdt_csum)
        return 0;
    uint16_t c = ext4_crc16(0xffff, fs->sb.s_uuid, 16);
    c = ext4_crc16(c, &le_group, 4);
    c = ext4_crc16(c, d, off);
    if (fs->has_64bit && off + 2 < fs->desc_size)
        c = ext4_crc16(c, d + off + 2, fs->desc_size - off - 2);
    return c;
}

uint32_t ext4_bitmap_csum(struct ext4_fs *fs, const uint8_t *bitmap, bool inodes)
{
    uint32_t bytes = (inodes ? fs->ipg : fs->bpg) / 8;
    return ext4_crc32c(fs->csum_seed, bitmap, bytes);
}

/* Stores the bitmap checksum of a group whose bitmap block b holds. */
void ext4_gd_set_bitmap_csum(struct ext4_fs *fs, uint32_t g, const uint8_t *bitmap, bool inodes)
{
    if (!fs->csum)
        return;
    struct ext4_group_desc *d = ext4_gd(fs, g);
    uint32_t c = ext4_bitmap_csum(fs, bitmap, inodes);
    if (inodes) {
        d->bg_inode_bitmap_csum_lo = (uint16_t)c;
        if (fs->desc_size >= IB_CSUM_HI_END)
            d->bg_inode_bitmap_csum_hi = (uint16_t)(c >> 16);
    } else {
        d->bg_block_bitmap_csum_lo = (uint16_t)c;
        if (fs->desc_size >= BB_CSUM_HI_END)
            d->bg_block_bitmap_csum_hi = (uint16_t)(c >> 16);
    }
}

/* Checks a bitmap block against its descriptor (metadata_csum only). */
int ext4_gd_check_bitmap(struct ext4_fs *fs, uint32_t g, const uint8_t *bitmap, bool inodes)
{
    if (!fs->csum)
        return 0;
    struct ext4_group_desc *d = ext4_gd(fs, g);
    uint32_t c = ext4_bitmap_csum(fs, bitmap, inodes);
    uint32_t want;
    if (inodes)
        want = d->bg_inode_bitmap_csum_lo |
               (fs->desc_size >= IB_CSUM_HI_END ? (uint32_t)d->bg_inode_bitmap_csum_hi << 16 : 0);
    else
        want = d->bg_block_bitmap_csum_lo |
               (fs->desc_size >= BB_CSUM_HI_END ? (uint32_t)d->bg_block_bitmap_csum_hi << 16 : 0);
    if (fs->desc_size < (inodes ? IB_CSUM_HI_END : BB_CSUM_HI_END))
        c &= 0xffff;
    return c == want ? 0 : -EUCLEAN;
}

/* Writes the changed descriptors into their table blocks (through the cache). */
int ext4_groups_sync(struct ext4_fs *fs)
{
    uint32_t per_block = fs->bs / fs->desc_size;
    for (uint32_t g = 0; g < fs->ngroups; g++) {
        if (!fs->gd_dirty[g])
            continue;
        ext4_gd(fs, g)->bg_checksum = ext4_gd_csum(fs, g);
        struct ext4_buf *b;
        int err = ext4_bget(fs, fs->gdt_block + g / per_block, false, &b);
        if (err)
            return err;
        memcpy(b->data + (g % per_block) * fs->desc_size, ext4_gd(fs, g), fs->desc_size);
        ext4_bdirty(fs, b);
        ext4_bput(fs, b);
        fs->gd_dirty[g] = 0;
    }
    return 0;
}

static bool power_of(uint32_t n, uint32_t base)
{
    while (n > 1 && n % base == 0)
        n /= base;
    return n == 1;
}

/* Whether group g holds a superblock backup (sparse_super: 0, 1 and powers of 3, 5, 7). */
bool ext4_group_has_super(struct ext4_fs *fs, uint32_t g)
{
    if (g <= 1 || !ext4_ro_compat(fs, EXT4_RO_COMPAT_SPARSE_SUPER))
        return true;
    if (!(g & 1))
        return false;
    return power_of(g, 3) || power_of(g, 5) || power_of(g, 7);
}

uint64_t ext4_group_first_block(struct ext4_fs *fs, uint32_t g)
{
    return (uint64_t)g * fs->bpg + fs->first_data_block;
}

uint32_t ext4_group_blocks(struct ext4_fs *fs, uint32_t g)
{
    if (g + 1 < fs->ngroups)
        return fs->bpg;
    return (uint32_t)(fs->blocks - ext4_group_first_block(fs, g));
}

static void set_bit_range(uint8_t *map, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        map[i / 8] |= (uint8_t)(1u << (i % 8));
}

/* The block bitmap of a BLOCK_UNINIT group, as ext4_init_block_bitmap makes it: superblock
 * and descriptor table copies, every group's bitmaps and inode table that fall in the group, and
 * the bits past the group's end set. */
void ext4_init_block_bitmap(struct ext4_fs *fs, uint32_t g, uint8_t *map)
{
    memset(map, 0, fs->bs);
    uint64_t start = ext4_group_first_block(fs, g);
    uint32_t n = ext4_group_blocks(fs, g);
    if (ext4_group_has_super(fs, g)) {
        uint64_t gdt_blocks = ((uint64_t)fs->ngroups * fs->desc_size + fs->bs - 1) / fs->bs;
        set_bit_range(map, 0, (uint32_t)MIN((uint64_t)n, 1 + gdt_blocks +
                                                             fs->sb.s_reserved_gdt_blocks));
    }
    for (uint32_t o = 0; o < fs->ngroups; o++) {
        uint64_t bb = ext4_gd_block_bitmap(fs, o), ib = ext4_gd_inode_bitmap(fs, o);
        uint64_t it = ext4_gd_inode_table(fs, o);
        if (bb >= start && bb < start + n)
            set_bit_range(map, (uint32_t)(bb - start), (uint32_t)(bb - start + 1));
        if (ib >= start && ib < start + n)
            set_bit_range(map, (uint32_t)(ib - start), (uint32_t)(ib - start + 1));
        for (uint64_t b = it; b < it + fs->itb_per_group; b++)
            if (b >= start && b < start + n)
                set_bit_range(map, (uint32_t)(b - start), (uint32_t)(b - start + 1));
    }
    set_bit_range(map, n, fs->bs * 8);
}
