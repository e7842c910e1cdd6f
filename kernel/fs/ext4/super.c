/* Mount, sync and unmount (ext4 docs §"The Super Block"): the superblock is checked field by
 * field and by checksum, the descriptors are read and checked, feature bits decide between
 * read-write, read-only and refusal; the state field is kept as e2fsprogs expects (VALID cleared
 * while mounted read-write, restored at unmount). */
#include "fs/ext4/priv.h"

static void say(char *why, size_t len, const char *msg)
{
    if (!why || !len)
        return;
    size_t i = 0;
    for (; msg[i] && i + 1 < len; i++)
        why[i] = msg[i];
    why[i] = '\0';
}

static uint32_t sb_csum(const struct ext4_super *sb)
{
    return ext4_crc32c(0xffffffff, sb, EXT4_SB_CHECKSUM_OFF);
}

void ext4_now(struct ext4_fs *fs, struct ext4_time *t)
{
    if (fs->dev.now) {
        fs->dev.now(fs->dev.ctx, &t->sec, &t->nsec);
    } else {
        t->sec = fs->sb.s_wtime;
        t->nsec = 0;
    }
}

uint64_t ext4_sb_free_blocks(const struct ext4_fs *fs)
{
    return fs->sb.s_free_blocks_count_lo |
           (fs->has_64bit ? (uint64_t)fs->sb.s_free_blocks_count_hi << 32 : 0);
}

bool ext4_valid_block(struct ext4_fs *fs, uint64_t blk, uint64_t count)
{
    return blk >= fs->first_data_block && blk < fs->blocks && count <= fs->blocks - blk;
}

int ext4_super_write(struct ext4_fs *fs)
{
    struct ext4_time t;
    ext4_now(fs, &t);
    fs->sb.s_wtime = (uint32_t)t.sec;
    if (fs->csum)
        fs->sb.s_checksum = sb_csum(&fs->sb);
    uint64_t blk = EXT4_SUPER_OFFSET >> fs->bs_shift;
    struct ext4_buf *b;
    int err = ext4_bget(fs, blk, false, &b);
    if (err)
        return err;
    memcpy(b->data + (EXT4_SUPER_OFFSET & (fs->bs - 1)), &fs->sb, EXT4_SB_SIZE);
    ext4_bdirty(fs, b);
    ext4_bput(fs, b);
    return 0;
}

int ext4_sync(struct ext4_fs *fs)
{
    if (fs->ro)
        return 0;
    int err = ext4_groups_sync(fs);
    if (!err)
        err = ext4_super_write(fs);
    if (!err)
        err = ext4_cache_sync(fs);
    if (!err && fs->dev.flush)
        err = fs->dev.flush(fs->dev.ctx);
    return err;
}

/* Checks the superblock's geometry and fills fs's derived fields. */
static int check_geometry(struct ext4_fs *fs, char *why, size_t wl)
{
    struct ext4_super *sb = &fs->sb;
    if (sb->s_log_block_size > 6) {
        say(why, wl, "ext4: block size above 64 KiB");
        return -EUCLEAN;
    }
    fs->bs_shift = 10 + sb->s_log_block_size;
    fs->bs = 1u << fs->bs_shift;
    fs->has_64bit = sb->s_feature_incompat & EXT4_INCOMPAT_64BIT;
    fs->blocks = sb->s_blocks_count_lo | (fs->has_64bit ? (uint64_t)sb->s_blocks_count_hi << 32 : 0);
    fs->first_data_block = sb->s_first_data_block;
    fs->bpg = sb->s_blocks_per_group;
    fs->ipg = sb->s_inodes_per_group;
    if (sb->s_rev_level == 0) {
        fs->inode_size = EXT4_GOOD_OLD_INODE_SIZE;
        fs->first_ino = EXT4_GOOD_OLD_FIRST_INO;
    } else {
        fs->inode_size = sb->s_inode_size;
        fs->first_ino = sb->s_first_ino;
    }
    if (fs->blocks > fs->dev.size >> fs->bs_shift) {
        say(why, wl, "ext4: the file system is larger than the device");
        return -EINVAL;
    }
    if (fs->first_data_block != (fs->bs == 1024 ? 1u : 0u) || fs->blocks <= fs->first_data_block) {
        say(why, wl, "ext4: bad first data block or block count");
        return -EUCLEAN;
    }
    if (sb->s_log_cluster_size != sb->s_log_block_size) {
        say(why, wl, "ext4: bigalloc (clusters) is not supported");
        return -EINVAL;
    }
    if (fs->bpg < 8 || fs->bpg > fs->bs * 8 || fs->bpg % 8 || fs->ipg < 8 ||
        fs->ipg > fs->bs * 8 || fs->ipg % 8) {
        say(why, wl, "ext4: bad blocks or inodes per group");
        return -EUCLEAN;
    }
    if (fs->inode_size < EXT4_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->bs ||
        (fs->inode_size & (fs->inode_size - 1))) {
        say(why, wl, "ext4: bad inode size");
        return -EUCLEAN;
    }
    if (fs->first_ino < EXT4_GOOD_OLD_FIRST_INO || fs->first_ino >= sb->s_inodes_count) {
        say(why, wl, "ext4: bad first inode");
        return -EUCLEAN;
    }
    fs->inodes_per_block = fs->bs / fs->inode_size;
    fs->itb_per_group = (uint32_t)(((uint64_t)fs->ipg * fs->inode_size + fs->bs - 1) / fs->bs);
    uint64_t ngroups = (fs->blocks - fs->first_data_block + fs->bpg - 1) / fs->bpg;
    if (ngroups == 0 || ngroups > 0xffffffffull / fs->ipg ||
        (uint64_t)sb->s_inodes_count != ngroups * fs->ipg) {
        say(why, wl, "ext4: inode count does not match the groups");
        return -EUCLEAN;
    }
    fs->ngroups = (uint32_t)ngroups;
    fs->desc_size = EXT4_MIN_DESC_SIZE;
    if (fs->has_64bit) {
        fs->desc_size = sb->s_desc_size;
        if (fs->desc_size < EXT4_MIN_DESC_SIZE_64BIT || fs->desc_size > EXT4_MAX_DESC_SIZE ||
            (fs->desc_size & (fs->desc_size - 1)) || fs->desc_size > fs->bs) {
            say(why, wl, "ext4: bad group descriptor size");
            return -EUCLEAN;
        }
    }
    return 0;
}

/* Decides on features: 0 (maybe setting fs->ro with a reason), or a refusal. */
static int check_features(struct ext4_fs *fs, bool want_rw, char *why, size_t wl)
{
    struct ext4_super *sb = &fs->sb;
    if (sb->s_rev_level == 0)
        sb->s_feature_compat = sb->s_feature_incompat = sb->s_feature_ro_compat = 0;
    uint32_t incompat = sb->s_feature_incompat & ~EXT4_INCOMPAT_SUPP;
    if (incompat) {
        say(why, wl, (incompat & EXT4_INCOMPAT_META_BG)       ? "ext4: unsupported feature meta_bg"
                     : (incompat & EXT4_INCOMPAT_INLINE_DATA) ? "ext4: unsupported feature inline_data"
                     : (incompat & EXT4_INCOMPAT_ENCRYPT)     ? "ext4: unsupported feature encrypt"
                     : (incompat & EXT4_INCOMPAT_CASEFOLD)    ? "ext4: unsupported feature casefold"
                     : (incompat & EXT4_INCOMPAT_JOURNAL_DEV) ? "ext4: this is an external journal"
                     : (incompat & EXT4_INCOMPAT_MMP)         ? "ext4: unsupported feature mmp"
                                                              : "ext4: unsupported incompatible feature");
        return -EINVAL;
    }
    fs->has_extents = sb->s_feature_incompat & EXT4_INCOMPAT_EXTENTS;
    fs->has_filetype = sb->s_feature_incompat & EXT4_INCOMPAT_FILETYPE;
    fs->csum = ext4_ro_compat(fs, EXT4_RO_COMPAT_METADATA_CSUM);
    fs->gdt_csum = ext4_ro_compat(fs, EXT4_RO_COMPAT_GDT_CSUM);
    fs->huge_file = ext4_ro_compat(fs, EXT4_RO_COMPAT_HUGE_FILE);
    if (!want_rw)
        return 0;
    const char *ro = NULL;
    if (sb->s_feature_incompat & EXT4_INCOMPAT_RECOVER)
        ro = "ext4: the journal needs recovery (run e2fsck); mounted read-only";
    else if (sb->s_feature_ro_compat & ~EXT4_RO_COMPAT_SUPP)
        ro = "ext4: unsupported read-only-compatible feature; mounted read-only";
    else if (sb->s_feature_compat & EXT4_COMPAT_SPARSE_SUPER2)
        ro = "ext4: sparse_super2 is not written; mounted read-only";
    else if (!(sb->s_state & EXT4_VALID_FS) || (sb->s_state & EXT4_ERROR_FS))
        ro = "ext4: not cleanly unmounted or has errors (run e2fsck); mounted read-only";
    else if (sb->s_last_orphan)
        ro = "ext4: orphan inodes pending (run e2fsck); mounted read-only";
    if (ro) {
        say(why, wl, ro);
        fs->ro = true;
    }
    return 0;
}

static int load_groups(struct ext4_fs *fs, char *why, size_t wl)
{
    uint64_t bytes = (uint64_t)fs->ngroups * fs->desc_size;
    uint64_t nblk = (bytes + fs->bs - 1) / fs->bs;
    fs->gdt_block = fs->first_data_block + 1;
    if (!ext4_valid_block(fs, fs->gdt_block, nblk)) {
        say(why, wl, "ext4: descriptor table past the end");
        return -EUCLEAN;
    }
    fs->gdt = ext4_malloc(nblk * fs->bs);
    fs->gd_dirty = ext4_malloc(fs->ngroups);
    if (!fs->gdt || !fs->gd_dirty)
        return -ENOMEM;
    int err = ext4_dev_read(fs, fs->gdt_block, fs->gdt, nblk);
    if (err) {
        say(why, wl, "ext4: cannot read the group descriptors");
        return err;
    }
    for (uint32_t g = 0; g < fs->ngroups; g++) {
        struct ext4_group_desc *d = ext4_gd(fs, g);
        if ((fs->csum || fs->gdt_csum) && d->bg_checksum != ext4_gd_csum(fs, g)) {
            say(why, wl, "ext4: group descriptor checksum mismatch");
            return -EUCLEAN;
        }
        if (!ext4_valid_block(fs, ext4_gd_block_bitmap(fs, g), 1) ||
            !ext4_valid_block(fs, ext4_gd_inode_bitmap(fs, g), 1) ||
            !ext4_valid_block(fs, ext4_gd_inode_table(fs, g), fs->itb_per_group) ||
            ext4_gd_free_blocks(fs, g) > fs->bpg || ext4_gd_free_inodes(fs, g) > fs->ipg) {
            say(why, wl, "ext4: group descriptor out of range");
            return -EUCLEAN;
        }
    }
    return 0;
}

static void fs_free(struct ext4_fs *fs)
{
    ext4_cache_destroy(fs);
    ext4_mfree(fs->gdt);
    ext4_mfree(fs->gd_dirty);
    ext4_mfree(fs);
}

int ext4_mount(const struct ext4_dev *dev, const struct ext4_mount_opts *opts,
               struct ext4_fs **out, char *why, size_t wl)
{
    say(why, wl, "");
    if (dev->size < EXT4_SUPER_OFFSET + EXT4_SB_SIZE) {
        say(why, wl, "ext4: device too small");
        return -EINVAL;
    }
    struct ext4_fs *fs = ext4_malloc(sizeof(*fs));
    if (!fs)
        return -ENOMEM;
    fs->dev = *dev;
    bool want_rw = !(opts && (opts->flags & EXT4_MOUNT_RDONLY));
    fs->ro = !want_rw;
    int err = dev->read(dev->ctx, EXT4_SUPER_OFFSET, &fs->sb, EXT4_SB_SIZE);
    if (err) {
        say(why, wl, "ext4: cannot read the superblock");
        goto fail;
    }
    err = -EINVAL;
    if (fs->sb.s_magic != EXT4_SUPER_MAGIC) {
        say(why, wl, "ext4: no ext2/3/4 superblock (bad magic)");
        goto fail;
    }
    if ((err = check_features(fs, want_rw, why, wl)))
        goto fail;
    if (fs->csum) {
        err = -EUCLEAN;
        if (fs->sb.s_checksum_type != 1) {
            say(why, wl, "ext4: unknown checksum type");
            goto fail;
        }
        if (fs->sb.s_checksum != sb_csum(&fs->sb)) {
            say(why, wl, "ext4: superblock checksum mismatch");
            goto fail;
        }
        if (fs->sb.s_feature_incompat & EXT4_INCOMPAT_CSUM_SEED)
            memcpy(&fs->csum_seed, (uint8_t *)&fs->sb + EXT4_SB_CHECKSUM_SEED_OFF, 4);
        else
            fs->csum_seed = ext4_crc32c(0xffffffff, fs->sb.s_uuid, 16);
    }
    if ((err = check_geometry(fs, why, wl)))
        goto fail;
    if ((err = ext4_cache_init(fs, opts ? opts->cache_blocks : 0)))
        goto fail;
    if ((err = load_groups(fs, why, wl)))
        goto fail;
    struct ext4_iref root;
    if ((err = ext4_iget(fs, EXT4_ROOT_INO, &root))) {
        say(why, wl, "ext4: cannot read the root directory's inode");
        goto fail;
    }
    bool dir = EXT4_S_ISDIR(root.raw->i_mode) && root.raw->i_links_count;
    ext4_iput(fs, &root);
    if (!dir) {
        say(why, wl, "ext4: the root inode is not a directory");
        err = -EUCLEAN;
        goto fail;
    }
    fs->gen = fs->sb.s_wtime * 2654435761u;
    fs->mount_state = fs->sb.s_state;
    if (!fs->ro) {
        struct ext4_time t;
        ext4_now(fs, &t);
        fs->sb.s_state &= (uint16_t)~EXT4_VALID_FS;
        fs->sb.s_mtime = (uint32_t)t.sec;
        fs->sb.s_mnt_count++;
        if ((err = ext4_sync(fs))) {
            say(why, wl, "ext4: cannot write the superblock");
            goto fail;
        }
    }
    *out = fs;
    return 0;
fail:
    fs_free(fs);
    return err;
}

int ext4_umount(struct ext4_fs *fs)
{
    int err = 0;
    if (!fs->ro) {
        fs->sb.s_state = fs->mount_state;
        err = ext4_sync(fs);
    }
    fs_free(fs);
    return err;
}

bool ext4_readonly(const struct ext4_fs *fs)
{
    return fs->ro;
}

ext4_ino_t ext4_root(const struct ext4_fs *fs)
{
    return EXT4_ROOT_INO;
}

void ext4_statfs(struct ext4_fs *fs, struct ext4_statfs *st)
{
    uint64_t r = fs->sb.s_r_blocks_count_lo |
                 (fs->has_64bit ? (uint64_t)fs->sb.s_r_blocks_count_hi << 32 : 0);
    st->block_size = fs->bs;
    st->blocks = fs->blocks;
    st->free_blocks = ext4_sb_free_blocks(fs);
    st->avail_blocks = st->free_blocks > r ? st->free_blocks - r : 0;
    st->inodes = fs->sb.s_inodes_count;
    st->free_inodes = fs->sb.s_free_inodes_count;
}
